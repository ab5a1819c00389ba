package org.sparkgrad.spark;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A man in the middle on 127.0.0.1 for one step connection: forwards the wire frames both ways, keeps the bodies it
 * saw, and can flip one byte in the body of a chosen wire frame of one direction, fixing up the frame's CRC32 as an
 * attacker would, so only the encryption's tag can tell; or send that frame twice (a replay).
 */
final class TamperingProxy implements AutoCloseable {
    /** Frames seen going from the driver (the accepting side) to the task, and back. */
    final List<byte[]> toTask = Collections.synchronizedList(new ArrayList<>());
    final List<byte[]> toDriver = Collections.synchronizedList(new ArrayList<>());
    private final ServerSocket server;
    private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
    private final boolean replay;

    /**
     * @param target the endpoint's host:port
     * @param alterToTask the 0-based wire frame driver -> task to alter (-1: none)
     * @param alterToDriver the same for task -> driver
     */
    TamperingProxy(String target, int alterToTask, int alterToDriver) throws IOException {
        this(target, alterToTask, alterToDriver, false);
    }

    /** As above; with replay the chosen frames are sent twice instead of altered. */
    TamperingProxy(String target, int alterToTask, int alterToDriver, boolean replay) throws IOException {
        this.replay = replay;
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        int colon = target.lastIndexOf(':');
        Thread t = new Thread(() -> {
            try {
                Socket task = server.accept();
                Socket driver = new Socket(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)));
                sockets.add(task);
                sockets.add(driver);
                pump(driver.getInputStream(), task.getOutputStream(), toTask, alterToTask);
                pump(task.getInputStream(), driver.getOutputStream(), toDriver, alterToDriver);
            } catch (IOException e) {
                // closed by the test
            }
        }, "tampering-proxy");
        t.setDaemon(true);
        t.start();
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    private void pump(InputStream from, OutputStream to, List<byte[]> seen, int alter) {
        Thread t = new Thread(() -> {
            try (DataInputStream in = new DataInputStream(from)) {
                for (int i = 0; ; i++) {
                    byte[] header = new byte[StepFrame.HEADER];
                    in.readFully(header);
                    ByteBuffer h = ByteBuffer.wrap(header);
                    byte[] body = new byte[h.getInt(0)];
                    in.readFully(body);
                    seen.add(body.clone());
                    if (i == alter && replay) {
                        to.write(header);
                        to.write(body);
                    } else if (i == alter) {
                        body[body.length / 2] ^= 0x01;
                        ByteBuffer.wrap(header).put(StepFrame.header(header[4] & 0xff, h.getLong(5), body, 0, body.length));
                    }
                    to.write(header);
                    to.write(body);
                    to.flush();
                }
            } catch (IOException e) {
                close(); // one side ended (EOFException) or the test closed the proxy
            }
        }, "tampering-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // test teardown
        }
        synchronized (sockets) {
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // test teardown
                }
            }
        }
    }
}
