package org.sparkgrad.spark;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What a barrier task needs to reach the driver's {@link StepEndpoint}: its address, the fit's secret, the wait
 * timeout and whether the connection is encrypted ({@link FrameCipher}). Shipped in the stage's closure (which Spark
 * protects with its own authentication and encryption settings); {@link #connect} authenticates and returns the open
 * channel.
 */
record StepLink(String address, byte[] fitSecret, long timeoutMillis, boolean encrypt) implements Serializable {
    /** A link without encryption. */
    StepLink(String address, byte[] fitSecret, long timeoutMillis) {
        this(address, fitSecret, timeoutMillis, false);
    }

    /** The same endpoint's link at another address (a shard peer's). */
    StepLink at(String otherAddress) {
        return new StepLink(otherAddress, fitSecret, timeoutMillis, encrypt);
    }

    /**
     * Connects as the task of a partition (attempt, executor and host name it in the driver's messages) and answers
     * the driver's challenge with the key of the fit secret and sparkSecret (null: none).
     */
    FrameChannel connect(int partition, int attempt, String executor, String host, String sparkSecret) {
        FrameChannel ch = FrameChannel.connect(address, timeoutMillis);
        try {
            byte[] challenge = ch.expect(StepFrame.Kind.CHALLENGE, "the driver's challenge").payload();
            byte[] key = PeerAuth.key(fitSecret, sparkSecret);
            byte[] mac = PeerAuth.mac(key, challenge, partition, attempt);
            byte[] nonce = PeerAuth.random(PeerAuth.NONCE);
            ch.write(new StepFrame(StepFrame.Kind.HELLO, -1, hello(mac, partition, attempt, nonce, executor, host)),
                    "sending the answer to the driver's challenge");
            ch.expect(StepFrame.Kind.WELCOME, "the driver to accept partition " + partition);
            if (encrypt) {
                ch.encrypt(FrameCipher.connector(key, challenge, nonce, partition, attempt));
            }
            return ch;
        } catch (RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** The task that a HELLO frame says it is, and its nonce (for the connection's keys). */
    record Hello(byte[] mac, int partition, int attempt, byte[] nonce, String executor, String host) {
        /** For messages: "partition 3 (executor 1 on host h)". */
        String describe() {
            return describe("partition " + partition);
        }

        /** For messages, with the task's own name: "task 1 (partitions 3-5) (executor 1 on host h)". */
        String describe(String task) {
            return task + " (executor " + executor + " on host " + host + ")";
        }
    }

    static byte[] hello(byte[] mac, int partition, int attempt, byte[] nonce, String executor, String host) {
        byte[] e = executor.getBytes(StandardCharsets.UTF_8);
        byte[] h = host.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(PeerAuth.MAC + 4 + 4 + PeerAuth.NONCE + 4 + e.length + 4 + h.length).put(mac)
                .putInt(partition).putInt(attempt).put(nonce).putInt(e.length).put(e).putInt(h.length).put(h).array();
    }

    static Hello hello(byte[] payload, String from) {
        try {
            ByteBuffer b = ByteBuffer.wrap(payload);
            byte[] mac = new byte[PeerAuth.MAC];
            b.get(mac);
            int partition = b.getInt();
            int attempt = b.getInt();
            byte[] nonce = new byte[PeerAuth.NONCE];
            b.get(nonce);
            byte[] e = new byte[b.getInt()];
            b.get(e);
            byte[] h = new byte[b.getInt()];
            b.get(h);
            return new Hello(mac, partition, attempt, nonce, new String(e, StandardCharsets.UTF_8),
                    new String(h, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new TrainingException("a malformed HELLO from " + from + " (" + payload.length + " bytes): " + e, e);
        }
    }
}
