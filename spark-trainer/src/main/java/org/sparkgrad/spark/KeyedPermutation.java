package org.sparkgrad.spark;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * A pseudo-random permutation of {@code [0, n)} keyed by (seed, epoch), computed index by index without
 * storing it: a balanced Feistel network on the smallest even number of bits that covers n, with cycle
 * walking to stay inside {@code [0, n)}. {@link #position(long)} and {@link #indexAt(long)} are inverses.
 *
 * <p>The trainer puts sample {@code i} at position {@code position(i)} of epoch e's order; global step t
 * takes positions {@code [t*B, (t+1)*B)}. The order depends on (seed, epoch, n) only, never on how the
 * samples are partitioned.
 *
 * <pre>{@code
 * KeyedPermutation p = new KeyedPermutation(1000, 42, 0);
 * long first = p.indexAt(0);         // the sample that comes first in epoch 0
 * assert p.position(first) == 0;
 * }</pre>
 */
public final class KeyedPermutation implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int ROUNDS = 6;

    private final long n;
    private final int halfBits;
    private final long mask;
    private final long[] keys = new long[ROUNDS];

    /**
     * The permutation of {@code [0, n)} for (seed, epoch).
     *
     * @throws IllegalArgumentException when n is negative or above 2^62
     */
    public KeyedPermutation(long n, long seed, long epoch) {
        if (n < 0 || n > (1L << 62)) {
            throw new IllegalArgumentException("a permutation needs 0 <= n <= 2^62 elements, got n=" + n);
        }
        this.n = n;
        int bits = n <= 1 ? 2 : 64 - Long.numberOfLeadingZeros(n - 1);
        this.halfBits = Math.max(1, (bits + 1) / 2);
        this.mask = (1L << halfBits) - 1;
        SplittableRandom random = new SplittableRandom(mix(seed ^ mix(epoch + 0x9E3779B97F4A7C15L)));
        for (int i = 0; i < ROUNDS; i++) {
            keys[i] = random.nextLong();
        }
    }

    /** The number of elements n. */
    public long size() {
        return n;
    }

    /** Where element {@code index} lands: its position in {@code [0, n)}. */
    public long position(long index) {
        check(index, "index");
        long x = index;
        do {
            x = encrypt(x);
        } while (x >= n);
        return x;
    }

    /** The element at {@code position} (the inverse of {@link #position(long)}). */
    public long indexAt(long position) {
        check(position, "position");
        long x = position;
        do {
            x = decrypt(x);
        } while (x >= n);
        return x;
    }

    private void check(long v, String what) {
        if (v < 0 || v >= n) {
            throw new IndexOutOfBoundsException(what + " " + v + " is out of range for a permutation of " + n + " elements");
        }
    }

    private long encrypt(long x) {
        long left = x >>> halfBits;
        long right = x & mask;
        for (int i = 0; i < ROUNDS; i++) {
            long next = left ^ round(right, keys[i]);
            left = right;
            right = next;
        }
        return (left << halfBits) | right;
    }

    private long decrypt(long x) {
        long left = x >>> halfBits;
        long right = x & mask;
        for (int i = ROUNDS - 1; i >= 0; i--) {
            long prev = right ^ round(left, keys[i]);
            right = left;
            left = prev;
        }
        return (left << halfBits) | right;
    }

    private long round(long half, long key) {
        return mix(half ^ key) & mask;
    }

    /** SplitMix64's finalizer: a bijective 64-bit mix. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
