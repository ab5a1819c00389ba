package org.sparkgrad.gpu;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A caching allocator for one device: freed blocks are kept and handed out again for requests of the same
 * rounded size, so training steps stop calling the driver's (synchronizing) malloc and free. When the device
 * runs out, the cache is released to the driver and the allocation retried once; if it still fails a
 * {@link DeviceOutOfMemoryError} names the requested bytes and the free memory the driver reports.
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

    private final String device;
    private final DeviceMemory<P> memory;
    private final Map<Long, ArrayDeque<Block<P>>> cache = new HashMap<>();
    private long cachedBytes;
    private long usedBytes;

    CachingAllocator(String device, DeviceMemory<P> memory) {
        this.device = device;
        this.memory = memory;
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

    /** A block of at least {@code bytes}, from the cache when one of the same rounded size is free. */
    synchronized Block<P> allocate(long bytes) {
        long size = roundedSize(bytes);
        ArrayDeque<Block<P>> free = cache.get(size);
        if (free != null && !free.isEmpty()) {
            Block<P> b = free.pop();
            cachedBytes -= size;
            usedBytes += size;
            return b;
        }
        P p = memory.allocate(size);
        if (p == null) {
            long released = cachedBytes;
            emptyCache();
            p = memory.allocate(size);
            if (p == null) {
                throw new DeviceOutOfMemoryError(device, bytes, memory.freeBytes(), memory.totalBytes(), released);
            }
        }
        usedBytes += size;
        return new Block<>(p, size);
    }

    /** Returns a block to the cache (its memory stays on the device for reuse). */
    synchronized void release(Block<P> block) {
        cache.computeIfAbsent(block.bytes(), k -> new ArrayDeque<>()).push(block);
        cachedBytes += block.bytes();
        usedBytes -= block.bytes();
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
