package org.sparkgrad.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Logger;

/**
 * The driver's end of a barrier stage: a TCP endpoint the stage's tasks connect to. Every connection must answer a
 * challenge with the fit's key ({@link PeerAuth}); one that does not is refused, logged and closed while the endpoint
 * goes on serving the others. Authenticated tasks are kept by partition, and the driver's step loop talks to them
 * through {@link #peer(int)}.
 */
final class StepEndpoint implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DataParallelTrainer.class.getName());

    private final ServerSocketChannel server;
    private final byte[] fitSecret;
    private final byte[] key;
    private final long timeoutMillis;
    private final boolean encrypt;
    private final String address;
    private final ExecutorService handshakes;
    private final Thread acceptor;
    private final Map<Integer, FrameChannel> peers = new TreeMap<>();
    private final List<String> refusals = new ArrayList<>();
    private volatile boolean closed;
    private Throwable aborted;
    /** The name of the task that connects with an index, for messages (default "partition N"). */
    private volatile java.util.function.IntFunction<String> names = i -> "partition " + i;

    /**
     * Listens on bindHost (any free port) and tells tasks to connect to host; tasks must present the key of fitSecret
     * and sparkSecret (null: none); every wait is bounded by timeoutMillis.
     */
    StepEndpoint(String bindHost, String host, byte[] fitSecret, String sparkSecret, long timeoutMillis) {
        this(bindHost, host, fitSecret, sparkSecret, timeoutMillis, false);
    }

    /** As above; with encrypt, every connection's frames after the handshake are sealed ({@link FrameCipher}). */
    StepEndpoint(String bindHost, String host, byte[] fitSecret, String sparkSecret, long timeoutMillis, boolean encrypt) {
        this.encrypt = encrypt;
        this.fitSecret = fitSecret.clone();
        this.key = PeerAuth.key(fitSecret, sparkSecret);
        this.timeoutMillis = timeoutMillis;
        try {
            this.server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(bindHost, 0));
            this.address = host + ":" + ((InetSocketAddress) server.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new TrainingException("cannot open the driver's step endpoint on " + bindHost + ": " + e, e);
        }
        this.handshakes = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "sparkgrad-step-handshake");
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(this::acceptLoop, "sparkgrad-step-endpoint " + address);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** What the stage's tasks need to connect. */
    StepLink link() {
        return new StepLink(address, fitSecret, timeoutMillis, encrypt);
    }

    String address() {
        return address;
    }

    /** Names the tasks by their index in messages (before they connect); by default "partition N". */
    void names(java.util.function.IntFunction<String> taskNames) {
        this.names = taskNames;
    }

    /** The reasons of the connections refused so far. */
    synchronized List<String> refusals() {
        return List.copyOf(refusals);
    }

    /**
     * Waits until partitions 0..n-1 have connected and authenticated (at most waitMillis), else fails naming the
     * partitions that did not.
     */
    synchronized void awaitPeers(int n, String stage, long waitMillis) throws InterruptedException {
        awaitPeers(n, -1, stage, waitMillis);
    }

    /** {@link #awaitPeers(int, String, long)} for partitions 0..n-1 other than except. */
    synchronized void awaitPeers(int n, int except, String stage, long waitMillis) throws InterruptedException {
        long deadline = System.nanoTime() + waitMillis * 1_000_000L;
        while (!missing(n, except).isEmpty() && aborted == null) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new TrainingException(stage + ": the tasks of partitions " + missing(n, except) + " did not connect to the"
                        + " driver's step endpoint " + address + " within " + FrameChannel.seconds(waitMillis)
                        + (refusals.isEmpty() ? "" : "; refused connections: " + refusals));
            }
            wait(left);
        }
        if (aborted != null) {
            throw new TrainingException(stage + ": " + aborted.getMessage(), aborted);
        }
    }

    private List<Integer> missing(int n, int except) {
        List<Integer> missing = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            if (p != except && !peers.containsKey(p)) {
                missing.add(p);
            }
        }
        return missing;
    }

    /** The authenticated channel of a partition's task. */
    synchronized FrameChannel peer(int partition) {
        FrameChannel ch = peers.get(partition);
        if (ch == null) {
            throw new IllegalStateException("partition " + partition + " has not connected");
        }
        return ch;
    }

    /** Fails every current and later wait with cause (the stage failed). */
    synchronized void abort(Throwable cause) {
        if (aborted == null) {
            aborted = cause;
        }
        peers.values().forEach(ch -> ch.abort(cause));
        notifyAll();
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warning("the step endpoint " + address + " stopped accepting: " + e);
                }
                return;
            }
            handshakes.execute(() -> handshake(s));
        }
    }

    private void handshake(SocketChannel s) {
        FrameChannel ch;
        try {
            ch = FrameChannel.accepted(s, timeoutMillis);
        } catch (IOException e) {
            LOG.warning("a connection to the step endpoint " + address + " failed before its handshake: " + e);
            return;
        }
        String from = ch.peer();
        try {
            byte[] nonce = PeerAuth.random(PeerAuth.NONCE);
            ch.write(new StepFrame(StepFrame.Kind.CHALLENGE, -1, nonce), "sending the challenge");
            StepLink.Hello hello = StepLink.hello(ch.expect(StepFrame.Kind.HELLO, "the answer to the challenge").payload(),
                    from);
            String name = hello.describe(names.apply(hello.partition()));
            String who = name + " from " + from.substring(from.lastIndexOf(' ') + 1);
            if (!PeerAuth.verify(key, nonce, hello.partition(), hello.attempt(), hello.mac())) {
                refuse(ch, who + " did not present this fit's secret");
                return;
            }
            synchronized (this) {
                if (peers.containsKey(hello.partition())) {
                    refuse(ch, who + " connected while " + peers.get(hello.partition()).peer() + " holds that partition");
                    return;
                }
                ch.peer(name);
                // welcomed before the step loop can see it, so its first frame after WELCOME is the loop's
                ch.write(new StepFrame(StepFrame.Kind.WELCOME, -1, new byte[0]), "welcoming " + name);
                if (encrypt) {
                    ch.encrypt(FrameCipher.acceptor(key, nonce, hello.nonce(), hello.partition(), hello.attempt()));
                }
                if (aborted != null) {
                    ch.abort(aborted);
                }
                peers.put(hello.partition(), ch);
                notifyAll();
            }
        } catch (RuntimeException e) {
            synchronized (this) {
                refusals.add(from + ": " + e.getMessage());
            }
            LOG.warning("step endpoint " + address + ": " + e.getMessage());
            ch.close();
        }
    }

    private void refuse(FrameChannel ch, String reason) {
        synchronized (this) {
            refusals.add(reason);
        }
        LOG.warning("step endpoint " + address + " refused " + reason);
        try {
            ch.write(StepFrame.text(StepFrame.Kind.REFUSED, -1, reason), "refusing " + reason);
        } catch (RuntimeException ignored) {
            // the peer is refused either way
        } finally {
            ch.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // nothing to do: the port is released either way
        }
        handshakes.shutdownNow();
        synchronized (this) {
            peers.values().forEach(FrameChannel::close);
            peers.clear();
        }
    }
}
