package org.sparkgrad.gpu;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.backend.DeviceOutOfMemoryError;

/**
 * A caching allocator for one device: freed blocks are kept and handed out again for requests of the same
 * rounded size, so training steps stop calling the driver's (synchronizing) malloc and free. When the device
 * runs out, the cache is released to the driver and the allocation retried, then retried after up to
 * {@link #GC_ROUNDS} garbage collections (blocks of unreachable storages come back through their Cleaner);
 * if it still fails a {@link DeviceOutOfMemoryError} names the requested bytes and the free memory the driver
 * reports.
 * Thread-safe (blocks come back from a {@link java.lang.ref.Cleaner} thread).
 *
 * @param <P> the device pointer type
 */
final class CachingAllocator<P> {
    /** Requests below this are rounded up to a multiple of {@link #SMALL_ROUND}. */
    static final long SMALL_LIMIT = 1L << 20;
    /** Granularity of small blocks (and the smallest block). */
    static final long SMALL_ROUND = 512;
    /** Granularity of large blocks. */
    static final long LARGE_ROUND = 2L << 20;

    /** A device block: its pointer and its rounded size. */
    record Block<P>(P pointer, long bytes) {
    }

    /** Garbage collections an allocation asks for, one after another, before it reports out of memory. */
    static final int GC_ROUNDS = 3;
    /** How long an allocation waits after each collection for the Cleaner to return a block. */
    static final long WAIT_NANOS = 200_000_000L;

    private final String device;
    private final DeviceMemory<P> memory;
    private final Runnable collectGarbage;
    private final Map<Long, ArrayDeque<Block<P>>> cache = new HashMap<>();
    private long cachedBytes;
    private long usedBytes;
    /** Blocks released so far: allocations waiting for the Cleaner watch it change. */
    private long releases;

    CachingAllocator(String device, DeviceMemory<P> memory) {
        this(device, memory, System::gc);
    }

    /** An allocator whose out-of-memory path runs {@code collectGarbage} (System.gc outside tests). */
    CachingAllocator(String device, DeviceMemory<P> memory, Runnable collectGarbage) {
        this.device = device;
        this.memory = memory;
        this.collectGarbage = collectGarbage;
    }

    /** The size a request is served with: 512-byte steps up to 1 MiB, 2 MiB steps above (at least 512). */
    static long roundedSize(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("Expected a byte count >= 0, got " + bytes);
        }
        long round = bytes < SMALL_LIMIT ? SMALL_ROUND : LARGE_ROUND;
        long n = Math.max(bytes, 1);
        return (n + round - 1) / round * round;
    }

    /**
     * A block of at least {@code bytes}: from the cache when one of the same rounded size is free, else from the
     * driver, else from the driver after the cache was freed to it, else after garbage collections returned
     * the blocks of unreachable storages.
     *
     * @throws DeviceOutOfMemoryError when none of that found room
     */
    Block<P> allocate(long bytes) {
        long size = roundedSize(bytes);
        long released = 0;
        for (int round = 0; ; round++) {
            long seen;
            synchronized (this) {
                Block<P> b = fromCacheOrDriver(size);
                if (b != null) {
                    return b;
                }
                released += cachedBytes;
                emptyCache();
                b = fromCacheOrDriver(size);
                if (b != null) {
                    return b;
                }
                if (round == GC_ROUNDS || Thread.currentThread().isInterrupted()) {
                    throw new DeviceOutOfMemoryError(device, bytes, memory.freeBytes(), memory.totalBytes(), released);
                }
                seen = releases;
            }
            // A storage is a small Java object that may own a large device block, so the heap rarely fills
            // enough to run the GC, and dead tensors keep their blocks until it does. Ask for a collection, then
            // wait (not holding the lock: release() needs it) until the Cleaner returns a block or WAIT_NANOS
            // pass, whichever is first. The rounds and the timed wait bound how long an OOM takes to report
            // when nothing comes back (e.g. -XX:+DisableExplicitGC).
            collectGarbage.run();
            awaitRelease(seen);
        }
    }

    private Block<P> fromCacheOrDriver(long size) {
        ArrayDeque<Block<P>> free = cache.get(size);
        if (free != null && !free.isEmpty()) {
            Block<P> b = free.pop();
            cachedBytes -= size;
            usedBytes += size;
            return b;
        }
        P p = memory.allocate(size);
        if (p == null) {
            return null;
        }
        usedBytes += size;
        return new Block<>(p, size);
    }

    /** Waits until a block was released after the count {@code seen}, for at most WAIT_NANOS. */
    private synchronized void awaitRelease(long seen) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        try {
            for (long left = WAIT_NANOS; releases == seen && left > 0; left = deadline - System.nanoTime()) {
                wait(Math.max(1, left / 1_000_000)); // wait() gives up the monitor while it waits
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // no more rounds; the caller reports the OOM
        }
    }

    /** Returns a block to the cache (its memory stays on the device for reuse) and wakes allocations waiting for one. */
    synchronized void release(Block<P> block) {
        cache.computeIfAbsent(block.bytes(), k -> new ArrayDeque<>()).push(block);
        cachedBytes += block.bytes();
        usedBytes -= block.bytes();
        releases++;
        notifyAll();
    }

    /** Frees every cached block to the driver. */
    synchronized void emptyCache() {
        List<Block<P>> all = new ArrayList<>();
        cache.values().forEach(all::addAll);
        cache.clear();
        cachedBytes = 0;
        for (Block<P> b : all) {
            memory.free(b.pointer());
        }
    }

    /** Bytes held in the cache, free for reuse. */
    synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** Bytes in blocks handed out and not yet released. */
    synchronized long usedBytes() {
        return usedBytes;
    }
}
