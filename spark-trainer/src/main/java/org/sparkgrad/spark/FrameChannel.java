package org.sparkgrad.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * A connection between the driver and a barrier task that reads and writes {@link StepFrame}s, every wait bounded by
 * a timeout whose message names the peer (partition, executor, host) and what was awaited. Non-blocking NIO under one
 * selector per connection, so {@link #abort(Throwable)} (the stage failed elsewhere) wakes a waiting read at once.
 *
 * <p>A payload longer than {@link #chunkBytes} goes as several wire frames of the same kind and step, the kind byte's
 * {@link StepFrame#CONTINUED} bit set on all but the last, each with its own checksum; the reader joins them, checking
 * kind, step, chunk sizes and the total. After {@link #encrypt(FrameCipher)} every wire frame's payload is sealed
 * with AES-GCM (its header authenticated with it).
 */
final class FrameChannel implements AutoCloseable {
    /**
     * The largest payload of one wire frame: 1 GiB with room for the GCM tag. Package-private and not final so a test
     * can lower it (the driver and local tasks share the JVM); must be positive.
     */
    static volatile int chunkBytes = StepFrame.MAX_PAYLOAD - FrameCipher.TAG;
    /**
     * The most bytes one socket read or write moves: the JDK copies a heap buffer's whole remaining part through a
     * temporary direct buffer on every call, which for a 40 MB frame written in socket-buffer-sized pieces copied
     * the rest of the frame again and again; a bounded slice is copied once and, read, checksummed while in cache.
     */
    static final int SLICE = 1 << 18;

    private final SocketChannel channel;
    private final Selector selector;
    private final long timeoutMillis;
    private volatile String peer;
    private volatile Throwable aborted;
    private volatile FrameCipher cipher;
    /**
     * The body buffers of the last {@link #readReusing} frames, one per size (a shard peer sends parameter and
     * gradient slices of different sizes in turn), the most recently used first.
     */
    private final java.util.ArrayDeque<byte[]> spares = new java.util.ArrayDeque<>();
    /** How many sizes of frames {@link #spares} keeps. */
    private static final int SPARE_SIZES = 3;

    private FrameChannel(SocketChannel channel, long timeoutMillis, String peer) throws IOException {
        this.channel = channel;
        this.timeoutMillis = timeoutMillis;
        this.peer = peer;
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        this.selector = Selector.open();
    }

    /** Wraps an accepted connection (the driver's side). */
    static FrameChannel accepted(SocketChannel channel, long timeoutMillis) throws IOException {
        return new FrameChannel(channel, timeoutMillis, "an unauthenticated connection from " + channel.getRemoteAddress());
    }

    /** Connects to the driver's endpoint at host:port (the task's side). */
    static FrameChannel connect(String address, long timeoutMillis) {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        int port = Integer.parseInt(address.substring(colon + 1));
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.socket().connect(new InetSocketAddress(host, port), (int) Math.min(timeoutMillis, Integer.MAX_VALUE));
            return new FrameChannel(ch, timeoutMillis, "the driver at " + address);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new TrainingException("cannot connect to the driver's step endpoint at " + address + " within "
                    + seconds(timeoutMillis) + ": " + e, e);
        }
    }

    /** Who is at the other end, for messages (e.g. "partition 3 (executor 1 on host h)"). */
    String peer() {
        return peer;
    }

    void peer(String description) {
        this.peer = description;
    }

    /**
     * Seals every later frame in both directions with the connection's keys (both sides switch right after the
     * handshake's WELCOME, the last frame in the clear).
     */
    void encrypt(FrameCipher c) {
        this.cipher = c;
    }

    /** Writes a frame (in chunks when long), waiting at most the timeout per chunk for the peer to take it. */
    void write(StepFrame frame, String doing) {
        byte[] p = frame.payload();
        int chunk = chunkBytes;
        int off = 0;
        do {
            int len = Math.min(chunk, p.length - off);
            int kindByte = frame.kind().ordinal() | (off + len < p.length ? StepFrame.CONTINUED : 0);
            FrameCipher c = cipher;
            ByteBuffer body = c == null ? ByteBuffer.wrap(p, off, len)
                    : ByteBuffer.wrap(c.seal(StepFrame.aad(kindByte, frame.step(), len + FrameCipher.TAG), p, off, len));
            ByteBuffer header = c == null && len == p.length ? frame.header()
                    : StepFrame.header(kindByte, frame.step(), body.array(), body.position(), body.remaining());
            send(header, body, doing);
            off += len;
        } while (off < p.length);
    }

    private void send(ByteBuffer header, ByteBuffer body, String doing) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        int end = body.limit();
        ByteBuffer[] parts = {header, body};
        try {
            while (header.hasRemaining() || body.position() < end) {
                body.limit(Math.min(end, body.position() + SLICE));
                if (channel.write(parts) == 0) {
                    await(SelectionKey.OP_WRITE, deadline, doing);
                }
            }
        } catch (IOException e) {
            throw lost(doing, e);
        }
    }

    /** Reads the next frame (joining its chunks), waiting at most the timeout per chunk. */
    StepFrame read(String waitingFor) {
        return read(waitingFor, false);
    }

    /**
     * As {@link #read(String)}, but a one-chunk frame goes into a buffer the channel keeps for the next such call
     * (reused when that frame has the same size), so a step loop does not reallocate a big model's frames: the frame
     * is only valid until the next {@code readReusing} on this channel of a frame of the same size.
     */
    StepFrame readReusing(String waitingFor) {
        return read(waitingFor, true);
    }

    private StepFrame read(String waitingFor, boolean reuse) {
        List<byte[]> chunks = new ArrayList<>();
        StepFrame.Kind kind = null;
        long step = 0;
        long total = 0;
        while (true) {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            ByteBuffer header = ByteBuffer.allocate(StepFrame.HEADER);
            fill(header, deadline, waitingFor, null);
            int length = StepFrame.payloadLength(header, peer);
            boolean whole = chunks.isEmpty() && (header.get(4) & StepFrame.CONTINUED) == 0;
            ByteBuffer body = ByteBuffer.wrap(reuse && whole ? spare(length) : new byte[length]);
            CRC32 crc = StepFrame.checksumOfHeader(header);
            fill(body, deadline, waitingFor, crc);
            StepFrame.check(header, (int) crc.getValue(), peer);
            StepFrame.Kind k = StepFrame.kind(header, peer);
            long s = header.getLong(5);
            String what = "a " + k + " frame of step " + (s + 1) + (chunks.isEmpty() ? "" : " (chunk " + (chunks.size() + 1) + ")");
            if (kind != null && (k != kind || s != step)) {
                throw new TrainingException(what + " from " + peer + " arrived amid the chunks of a " + kind
                        + " frame of step " + (step + 1) + ": the stream is corrupted");
            }
            FrameCipher c = cipher;
            byte[] plain = c == null ? body.array()
                    : c.open(Arrays.copyOf(header.array(), StepFrame.AAD), body.array(), what, peer);
            boolean more = (header.get(4) & StepFrame.CONTINUED) != 0;
            if (more && plain.length == 0 || !chunks.isEmpty() && (chunks.get(chunks.size() - 1).length
                    != chunks.get(0).length || plain.length > chunks.get(0).length)) {
                throw new TrainingException(what + " from " + peer + " has " + plain.length + " bytes after chunks of "
                        + (chunks.isEmpty() ? 0 : chunks.get(0).length) + ": the chunks of one frame are equal and not"
                        + " empty but for a shorter last one");
            }
            total += plain.length;
            if (total > StepFrame.MAX_MESSAGE) {
                throw new TrainingException("the chunks of " + what + " from " + peer + " add up to over "
                        + StepFrame.MAX_MESSAGE + " bytes: the stream is corrupted or not from a sparkgrad task");
            }
            kind = k;
            step = s;
            chunks.add(plain);
            if (!more) {
                // a frame in one plain wire frame keeps its checked checksum, so forwarding it costs no pass
                return chunks.size() == 1 && c == null ? new StepFrame(kind, step, plain, (int) crc.getValue())
                        : new StepFrame(kind, step, join(chunks, (int) total));
            }
        }
    }

    /** The kept body buffer of length bytes, or a new one kept in place of the least recently used. */
    private byte[] spare(int length) {
        for (java.util.Iterator<byte[]> it = spares.iterator(); it.hasNext();) {
            byte[] s = it.next();
            if (s.length == length) {
                it.remove();
                spares.addFirst(s);
                return s;
            }
        }
        byte[] s = new byte[length];
        spares.addFirst(s);
        if (spares.size() > SPARE_SIZES) {
            spares.removeLast();
        }
        return s;
    }

    private static byte[] join(List<byte[]> chunks, int total) {
        if (chunks.size() == 1) {
            return chunks.get(0);
        }
        byte[] all = new byte[total];
        int at = 0;
        for (byte[] c : chunks) {
            System.arraycopy(c, 0, all, at, c.length);
            at += c.length;
        }
        return all;
    }

    /** Reads the next frame and fails unless it is of the expected kind (a FAILED frame's message is the error). */
    StepFrame expect(StepFrame.Kind kind, String waitingFor) {
        return expect(kind, waitingFor, false);
    }

    /** As {@link #expect(StepFrame.Kind, String)}, reading as {@link #readReusing} does. */
    StepFrame expectReusing(StepFrame.Kind kind, String waitingFor) {
        return expect(kind, waitingFor, true);
    }

    private StepFrame expect(StepFrame.Kind kind, String waitingFor, boolean reuse) {
        StepFrame f = read(waitingFor, reuse);
        if (f.kind() == kind) {
            return f;
        }
        if (f.kind() == StepFrame.Kind.FAILED || f.kind() == StepFrame.Kind.REFUSED) {
            throw new TrainingException(peer + " " + (f.kind() == StepFrame.Kind.FAILED ? "failed" : "refused")
                    + " while the other side waited for " + waitingFor + ": " + f.text());
        }
        throw new TrainingException("expected " + kind + " from " + peer + " (" + waitingFor + "), got " + f.kind()
                + " of step " + (f.step() + 1));
    }

    /** Makes waits on this channel fail with cause (e.g. the barrier stage failed). */
    void abort(Throwable cause) {
        aborted = cause;
        selector.wakeup();
    }

    /** Reads buf full in slices, adding each slice to crc (when not null) as it arrives. */
    private void fill(ByteBuffer buf, long deadline, String waitingFor, CRC32 crc) {
        int end = buf.limit();
        try {
            while (buf.position() < end) {
                int at = buf.position();
                buf.limit(Math.min(end, at + SLICE));
                int n = channel.read(buf);
                if (n > 0 && crc != null) {
                    crc.update(buf.array(), buf.arrayOffset() + at, n);
                }
                if (n < 0) {
                    throw new TrainingException(peer + " closed the connection while waiting for " + waitingFor);
                }
                if (n == 0) {
                    await(SelectionKey.OP_READ, deadline, waitingFor);
                }
            }
        } catch (IOException e) {
            throw lost(waitingFor, e);
        }
    }

    private void await(int op, long deadline, String what) throws IOException {
        SelectionKey key = channel.register(selector, op);
        try {
            while (true) {
                checkAborted(what);
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    throw new TrainingException("no progress from " + peer + " for " + seconds(timeoutMillis)
                            + " while " + (op == SelectionKey.OP_READ ? "waiting for " : "") + what
                            + ": the task is stuck or lost");
                }
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new TrainingException("interrupted while " + what + " (" + peer + ")");
                }
                if (selector.select(left) > 0) {
                    selector.selectedKeys().clear();
                    return;
                }
            }
        } finally {
            key.interestOps(0);
            checkAborted(what);
        }
    }

    private void checkAborted(String what) {
        Throwable a = aborted;
        if (a != null) {
            throw new TrainingException("stopped " + what + " from " + peer + ": " + a.getMessage(), a);
        }
    }

    private TrainingException lost(String what, IOException e) {
        checkAborted(what);
        return new TrainingException("the connection to " + peer + " broke while " + what + ": " + e, e);
    }

    static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    @Override
    public void close() {
        closeQuietly(selector);
        closeQuietly(channel);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing after a failure: the first error is the one reported
            }
        }
    }
}
