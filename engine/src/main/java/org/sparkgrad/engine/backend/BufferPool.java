package org.sparkgrad.engine.backend;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CPU's cache of freed large arrays, like PyTorch's CPU caching allocator: arrays of at least
 * {@link #MIN_LENGTH} elements handed back through {@link CpuBackend#recycle} wait here, bucketed by exact
 * length (a training loop asks for the same sizes every step), for the next allocation of that length, which
 * then skips the garbage collector and the kernel's page faults. At most {@link #CAPACITY_BYTES} are kept; an
 * array that would exceed it is left to the garbage collector. Thread-safe.
 */
final class BufferPool {
    /** Arrays shorter than this are not cached: the JVM allocates them cheaply in its thread-local buffers. */
    static final int MIN_LENGTH = 1 << 14;
    /** The most bytes the pool keeps: 256 MiB, or an eighth of the maximum heap when that is less. */
    static final long CAPACITY_BYTES = Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 8);

    private static final ConcurrentHashMap<Integer, ConcurrentLinkedDeque<float[]>> FLOATS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<Integer, ConcurrentLinkedDeque<double[]>> DOUBLES = new ConcurrentHashMap<>();
    private static final AtomicLong BYTES = new AtomicLong();
    private static final AtomicLong GIVEN = new AtomicLong();

    private BufferPool() {
    }

    /** A cached float array of exactly this length (its contents unspecified), or null. */
    static float[] takeFloats(int length) {
        if (length < MIN_LENGTH) {
            return null;
        }
        ConcurrentLinkedDeque<float[]> q = FLOATS.get(length);
        float[] a = q == null ? null : q.pollFirst();
        if (a != null) {
            BYTES.addAndGet(-4L * length);
        }
        return a;
    }

    /** A cached double array of exactly this length (its contents unspecified), or null. */
    static double[] takeDoubles(int length) {
        if (length < MIN_LENGTH) {
            return null;
        }
        ConcurrentLinkedDeque<double[]> q = DOUBLES.get(length);
        double[] a = q == null ? null : q.pollFirst();
        if (a != null) {
            BYTES.addAndGet(-8L * length);
        }
        return a;
    }

    /** Keeps a, if it is large enough and fits; the caller must not touch it afterwards. */
    static void give(float[] a) {
        GIVEN.incrementAndGet();
        if (a.length >= MIN_LENGTH && reserve(4L * a.length)) {
            FLOATS.computeIfAbsent(a.length, k -> new ConcurrentLinkedDeque<>()).addFirst(a);
        }
    }

    /** Keeps a, if it is large enough and fits; the caller must not touch it afterwards. */
    static void give(double[] a) {
        GIVEN.incrementAndGet();
        if (a.length >= MIN_LENGTH && reserve(8L * a.length)) {
            DOUBLES.computeIfAbsent(a.length, k -> new ConcurrentLinkedDeque<>()).addFirst(a);
        }
    }

    private static boolean reserve(long bytes) {
        long now;
        do {
            now = BYTES.get();
            if (now + bytes > CAPACITY_BYTES) {
                return false;
            }
        } while (!BYTES.compareAndSet(now, now + bytes));
        return true;
    }

    /** How many arrays were handed back so far, kept or not (for tests). */
    static long given() {
        return GIVEN.get();
    }

    /** Drops every cached array (to the garbage collector). */
    static void clear() {
        for (var q : FLOATS.values()) {
            for (float[] a; (a = q.pollFirst()) != null; ) {
                BYTES.addAndGet(-4L * a.length);
            }
        }
        for (var q : DOUBLES.values()) {
            for (double[] a; (a = q.pollFirst()) != null; ) {
                BYTES.addAndGet(-8L * a.length);
            }
        }
    }
}
