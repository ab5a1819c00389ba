package org.sparkgrad.engine.backend;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.Cleaner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CPU's cache of freed large arrays, like PyTorch's CPU caching allocator: arrays of at least
 * {@link #MIN_LENGTH} elements come back here when their tensor's storage is handed back
 * ({@link CpuBackend#recycle}, right away) or found unreachable (by the garbage collector, through a
 * {@link Cleaner}), and wait, bucketed by exact length (a training loop asks for the same sizes every step), for
 * the next allocation of that length, which then skips the garbage collector, the zeroing and the page faults of
 * fresh memory (a fresh 16 MB output costs about as much as the kernel writing it). At most
 * {@link #CAPACITY_BYTES} are kept; an array that would exceed it is left to the garbage collector. Thread-safe.
 */
final class BufferPool {
    /** Arrays shorter than this are not cached: the JVM allocates them cheaply in its thread-local buffers. */
    static final int MIN_LENGTH = 1 << 14;
    /**
     * Arrays of at least this many bytes go back through the garbage collector's discovery of their dead
     * storage: under G1 these are its humongous objects (half a region or more), which a collection never
     * copies. An array tracked that way stays reachable from its cleaner until its storage's death has been
     * processed, so any smaller array, or any array under a collector that moves large objects (Serial and
     * Parallel: measured Full GCs at 16 MB a step), would be copied by every collection first: there the
     * pool takes back only what is handed back explicitly ({@link Long#MAX_VALUE}).
     */
    static final long MIN_TRACKED_BYTES = humongousBytes();
    /** The most bytes the pool keeps: 256 MiB, or an eighth of the maximum heap when that is less. */
    static final long CAPACITY_BYTES = Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 8);

    private static final ConcurrentHashMap<Integer, ConcurrentLinkedDeque<float[]>> FLOATS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<Integer, ConcurrentLinkedDeque<double[]>> DOUBLES = new ConcurrentHashMap<>();
    private static final AtomicLong BYTES = new AtomicLong();
    private static final AtomicLong GIVEN = new AtomicLong();

    /** One daemon thread hands back the arrays of storages the garbage collector found unreachable. */
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "sparkgrad-buffer-pool");
        t.setDaemon(true);
        return t;
    });

    private BufferPool() {
    }

    /** Whether an array of this length and element size is given back when its storage dies. */
    static boolean tracks(int length, int elementBytes) {
        return (long) length * elementBytes >= MIN_TRACKED_BYTES;
    }

    /** Half of G1's region size when G1 collects this JVM's heap, else Long.MAX_VALUE. */
    private static long humongousBytes() {
        try {
            boolean g1 = ManagementFactory.getGarbageCollectorMXBeans().stream().anyMatch(b -> b.getName().startsWith("G1"));
            if (!g1) {
                return Long.MAX_VALUE;
            }
            HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return Long.parseLong(hs.getVMOption("G1HeapRegionSize").getValue()) / 2;
        } catch (RuntimeException | LinkageError e) {
            return Long.MAX_VALUE; // not a HotSpot JVM: no tracking
        }
    }

    /**
     * Gives a to the pool when owner becomes unreachable or the returned cleanable is cleaned, whichever comes
     * first (once). The caller must guarantee that only owner holds a, so that nobody touches it afterwards.
     */
    static Cleaner.Cleanable returnWhenUnreachable(Object owner, float[] a) {
        return CLEANER.register(owner, new Floats(a));
    }

    static Cleaner.Cleanable returnWhenUnreachable(Object owner, double[] a) {
        return CLEANER.register(owner, new Doubles(a));
    }

    /** Gives a to the pool when the returned cleanable is cleaned (the caller cleans it at most once). */
    static Cleaner.Cleanable returnOnClean(float[] a) {
        return () -> give(a);
    }

    static Cleaner.Cleanable returnOnClean(double[] a) {
        return () -> give(a);
    }

    /** The cleaning action: must not refer to the owner, or the owner would never become unreachable. */
    private record Floats(float[] a) implements Runnable {
        @Override
        public void run() {
            give(a);
        }
    }

    private record Doubles(double[] a) implements Runnable {
        @Override
        public void run() {
            give(a);
        }
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
