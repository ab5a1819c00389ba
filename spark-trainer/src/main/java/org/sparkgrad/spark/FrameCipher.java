package org.sparkgrad.spark;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The encryption of one authenticated step connection: AES-256-GCM per wire frame, one key per direction derived
 * with HKDF-SHA256 (RFC 5869) from the connection's {@link PeerAuth} key, salted with the driver's challenge nonce and
 * the task's nonce, and bound to the task's partition and attempt. The GCM nonce is a frame counter per direction,
 * so a frame replayed, dropped or reordered fails like an altered one; the frame's header is the additional
 * authenticated data. Keys never cross the connection; each connection (and each stage attempt) gets fresh ones.
 */
final class FrameCipher {
    /** Bytes the GCM tag adds to each frame's payload. */
    static final int TAG = 16;
    private static final int IV = 12;

    private final Cipher sealer;
    private final Cipher opener;
    private final SecretKeySpec sendKey;
    private final SecretKeySpec receiveKey;
    private long sent;
    private long received;

    private FrameCipher(byte[] sendKey, byte[] receiveKey) {
        try {
            this.sealer = Cipher.getInstance("AES/GCM/NoPadding");
            this.opener = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM/NoPadding is not available in this JVM", e);
        }
        this.sendKey = new SecretKeySpec(sendKey, "AES");
        this.receiveKey = new SecretKeySpec(receiveKey, "AES");
    }

    /** The driver's (accepting) side's cipher of a connection. */
    static FrameCipher acceptor(byte[] key, byte[] challenge, byte[] taskNonce, int partition, int attempt) {
        byte[] prk = extract(challenge, taskNonce, key);
        return new FrameCipher(expand(prk, "acceptor->connector", partition, attempt),
                expand(prk, "connector->acceptor", partition, attempt));
    }

    /** The task's (connecting) side's cipher of a connection: the acceptor's keys, swapped. */
    static FrameCipher connector(byte[] key, byte[] challenge, byte[] taskNonce, int partition, int attempt) {
        byte[] prk = extract(challenge, taskNonce, key);
        return new FrameCipher(expand(prk, "connector->acceptor", partition, attempt),
                expand(prk, "acceptor->connector", partition, attempt));
    }

    /** HKDF-Extract: HMAC-SHA256 with the two nonces as salt over the input key. */
    private static byte[] extract(byte[] challenge, byte[] taskNonce, byte[] key) {
        byte[] salt = ByteBuffer.allocate(challenge.length + taskNonce.length).put(challenge).put(taskNonce).array();
        return hmac(salt, key);
    }

    /** HKDF-Expand to one 32-byte block: T(1) = HMAC(prk, info || 0x01). */
    private static byte[] expand(byte[] prk, String direction, int partition, int attempt) {
        byte[] label = ("sparkgrad step frames " + direction).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return hmac(prk, ByteBuffer.allocate(label.length + 9).put(label).putInt(partition).putInt(attempt)
                .put((byte) 1).array());
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** The payload encrypted, its tag appended, with header (not encrypted) authenticated alongside. */
    byte[] seal(byte[] header, byte[] payload, int offset, int length) {
        try {
            sealer.init(Cipher.ENCRYPT_MODE, sendKey, new GCMParameterSpec(TAG * 8, iv(sent++)));
            sealer.updateAAD(header);
            return sealer.doFinal(payload, offset, length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed: " + e, e);
        }
    }

    /**
     * The plaintext of a sealed payload; a frame altered on the way, not sealed by the peer's key or out of order
     * fails naming what and from whom.
     */
    byte[] open(byte[] header, byte[] sealed, String what, String from) {
        long n = received++;
        try {
            opener.init(Cipher.DECRYPT_MODE, receiveKey, new GCMParameterSpec(TAG * 8, iv(n)));
            opener.updateAAD(header);
            return opener.doFinal(sealed);
        } catch (AEADBadTagException e) {
            throw new TrainingException(what + " from " + from + " fails its authentication (AES-GCM tag, frame " + n
                    + " of the connection): it was altered on the way, replayed or reordered, or not sent by a"
                    + " holder of this fit's secret");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed: " + e, e);
        }
    }

    private static byte[] iv(long counter) {
        return ByteBuffer.allocate(IV).putInt(0).putLong(counter).array();
    }
}
