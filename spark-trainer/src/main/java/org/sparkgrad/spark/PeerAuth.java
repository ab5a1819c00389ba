package org.sparkgrad.spark;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Challenge and response of a step connection: the driver sends a random nonce, the task answers with
 * HMAC-SHA256(key, nonce, partition, attempt), where the key is the fit's random secret (shipped to the tasks in the
 * stage's closure) followed by Spark's {@code spark.authenticate} secret when authentication is on. Neither secret
 * crosses the connection.
 */
final class PeerAuth {
    static final int NONCE = 16;
    static final int MAC = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private PeerAuth() {
    }

    /** A fresh random secret (a fit's) or nonce of n bytes. */
    static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** The HMAC key: the fit secret, then Spark's secret when there is one (null or empty: none). */
    static byte[] key(byte[] fitSecret, String sparkSecret) {
        byte[] spark = sparkSecret == null ? new byte[0] : sparkSecret.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(fitSecret.length + spark.length).put(fitSecret).put(spark).array();
    }

    static byte[] mac(byte[] key, byte[] nonce, int partition, int attempt) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(nonce);
            mac.update(ByteBuffer.allocate(8).putInt(partition).putInt(attempt).array());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** Whether a response is the MAC the key gives (constant-time comparison). */
    static boolean verify(byte[] key, byte[] nonce, int partition, int attempt, byte[] response) {
        return MessageDigest.isEqual(mac(key, nonce, partition, attempt), response);
    }

    /** Spark's authentication secret in this JVM (driver or executor), or null when spark.authenticate is off. */
    static String sparkSecret() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        if (env == null || !env.securityManager().isAuthenticationEnabled()) {
            return null;
        }
        return env.securityManager().getSecretKey();
    }
}
