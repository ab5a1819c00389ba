package org.sparkgrad.spark;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What a barrier task needs to reach the driver's {@link StepEndpoint}: its address, the fit's secret and the wait
 * timeout. Shipped in the stage's closure (which Spark protects with its own authentication and encryption
 * settings); {@link #connect} authenticates and returns the open channel.
 */
record StepLink(String address, byte[] fitSecret, long timeoutMillis) implements Serializable {
    /**
     * Connects as the task of a partition (attempt, executor and host name it in the driver's messages) and answers
     * the driver's challenge with the key of the fit secret and sparkSecret (null: none).
     */
    FrameChannel connect(int partition, int attempt, String executor, String host, String sparkSecret) {
        FrameChannel ch = FrameChannel.connect(address, timeoutMillis);
        try {
            byte[] nonce = ch.expect(StepFrame.Kind.CHALLENGE, "the driver's challenge").payload();
            byte[] mac = PeerAuth.mac(PeerAuth.key(fitSecret, sparkSecret), nonce, partition, attempt);
            ch.write(new StepFrame(StepFrame.Kind.HELLO, -1, hello(mac, partition, attempt, executor, host)),
                    "sending the answer to the driver's challenge");
            ch.expect(StepFrame.Kind.WELCOME, "the driver to accept partition " + partition);
            return ch;
        } catch (RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** The task that a HELLO frame says it is. */
    record Hello(byte[] mac, int partition, int attempt, String executor, String host) {
        /** For messages: "partition 3 (executor 1 on host h)". */
        String describe() {
            return "partition " + partition + " (executor " + executor + " on host " + host + ")";
        }
    }

    static byte[] hello(byte[] mac, int partition, int attempt, String executor, String host) {
        byte[] e = executor.getBytes(StandardCharsets.UTF_8);
        byte[] h = host.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(PeerAuth.MAC + 4 + 4 + 4 + e.length + 4 + h.length).put(mac).putInt(partition)
                .putInt(attempt).putInt(e.length).put(e).putInt(h.length).put(h).array();
    }

    static Hello hello(byte[] payload, String from) {
        try {
            ByteBuffer b = ByteBuffer.wrap(payload);
            byte[] mac = new byte[PeerAuth.MAC];
            b.get(mac);
            int partition = b.getInt();
            int attempt = b.getInt();
            byte[] e = new byte[b.getInt()];
            b.get(e);
            byte[] h = new byte[b.getInt()];
            b.get(h);
            return new Hello(mac, partition, attempt, new String(e, StandardCharsets.UTF_8),
                    new String(h, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new TrainingException("a malformed HELLO from " + from + " (" + payload.length + " bytes): " + e, e);
        }
    }
}
