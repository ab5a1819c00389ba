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
        return take(FLOATS, length, 4);
    }

    /** A cached double array of exactly this length (its contents unspecified), or null. */
    static double[] takeDoubles(int length) {
        return take(DOUBLES, length, 8);
    }

    /** Keeps a, if it is large enough and fits; the caller must not touch it afterwards. */
    static void give(float[] a) {
        give(FLOATS, a, a.length, 4);
    }

    /** Keeps a, if it is large enough and fits; the caller must not touch it afterwards. */
    static void give(double[] a) {
        give(DOUBLES, a, a.length, 8);
    }

    private static <T> T take(ConcurrentHashMap<Integer, ConcurrentLinkedDeque<T>> pool, int length, int elementBytes) {
        if (length < MIN_LENGTH) {
            return null;
        }
        ConcurrentLinkedDeque<T> q = pool.get(length);
        T a = q == null ? null : q.pollFirst();
        if (a != null) {
            BYTES.addAndGet(-(long) elementBytes * length);
        }
        return a;
    }

    private static <T> void give(ConcurrentHashMap<Integer, ConcurrentLinkedDeque<T>> pool, T a, int length,
            int elementBytes) {
        GIVEN.incrementAndGet();
        if (length >= MIN_LENGTH && reserve((long) elementBytes * length)) {
            pool.computeIfAbsent(length, k -> new ConcurrentLinkedDeque<>()).addFirst(a);
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
        FLOATS.values().forEach(q -> drain(q, 4));
        DOUBLES.values().forEach(q -> drain(q, 8));
    }

    private static void drain(ConcurrentLinkedDeque<?> q, int elementBytes) {
        for (Object a; (a = q.pollFirst()) != null; ) {
            BYTES.addAndGet(-(long) elementBytes * java.lang.reflect.Array.getLength(a));
        }
    }
}
