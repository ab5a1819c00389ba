package org.sparkgrad.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.backend.DeviceOutOfMemoryError;

/** The allocator's rounding, reuse and out-of-memory logic against a fake device. */
class CachingAllocatorTest {
    /** A device with a byte budget; pointers are Longs counting up. */
    static final class FakeMemory implements DeviceMemory<Long> {
        final long total;
        long used;
        long next = 1;
        final List<Long> allocations = new ArrayList<>();
        final List<Long> frees = new ArrayList<>();
        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        FakeMemory(long total) {
            this.total = total;
        }

        @Override
        public Long allocate(long bytes) {
            if (used + bytes > total) {
                return null;
            }
            used += bytes;
            allocations.add(bytes);
            sizes.put(next, bytes);
            return next++;
        }

        @Override
        public void free(Long block) {
            used -= sizes.remove(block);
            frees.add(block);
        }

        @Override
        public long freeBytes() {
            return total - used;
        }

        @Override
        public long totalBytes() {
            return total;
        }
    }

    @Test
    void roundsSmallRequestsTo512AndLargeTo2MiB() {
        assertEquals(512, CachingAllocator.roundedSize(0));
        assertEquals(512, CachingAllocator.roundedSize(1));
        assertEquals(512, CachingAllocator.roundedSize(512));
        assertEquals(1024, CachingAllocator.roundedSize(513));
        assertEquals(1L << 20, CachingAllocator.roundedSize((1L << 20) - 1));
        assertEquals(2L << 20, CachingAllocator.roundedSize(1L << 20));
        assertEquals(4L << 20, CachingAllocator.roundedSize((2L << 20) + 1));
        assertThrows(IllegalArgumentException.class, () -> CachingAllocator.roundedSize(-1));
    }

    @Test
    void reusesAFreedBlockOfTheSameRoundedSize() {
        FakeMemory mem = new FakeMemory(1L << 30);
        CachingAllocator<Long> a = new CachingAllocator<>("cuda:0", mem);
        CachingAllocator.Block<Long> b1 = a.allocate(1000);
        assertEquals(1024, b1.bytes());
        a.release(b1);
        assertEquals(1024, a.cachedBytes());
        assertEquals(0, a.usedBytes());
        CachingAllocator.Block<Long> b2 = a.allocate(600); // rounds to 1024 too
        assertSame(b1.pointer(), b2.pointer());
        assertEquals(List.of(1024L), mem.allocations, "the second request is served from the cache");
        assertEquals(0, a.cachedBytes());
        assertEquals(1024, a.usedBytes());
    }

    @Test
    void doesNotReuseABlockOfAnotherSize() {
        FakeMemory mem = new FakeMemory(1L << 30);
        CachingAllocator<Long> a = new CachingAllocator<>("cuda:0", mem);
        CachingAllocator.Block<Long> b1 = a.allocate(100);
        a.release(b1);
        CachingAllocator.Block<Long> b2 = a.allocate(3000);
        assertNotSame(b1.pointer(), b2.pointer());
        assertEquals(List.of(512L, 3072L), mem.allocations);
        assertEquals(512, a.cachedBytes());
    }

    @Test
    void freesTheCacheAndRetriesWhenTheDeviceIsFull() {
        FakeMemory mem = new FakeMemory(4096);
        CachingAllocator<Long> a = new CachingAllocator<>("cuda:0", mem);
        a.release(a.allocate(2048));
        a.release(a.allocate(1024));
        assertEquals(3072, a.cachedBytes());
        CachingAllocator.Block<Long> big = a.allocate(4000); // 4096: fits only once the cache is freed
        assertEquals(4096, big.bytes());
        assertEquals(2, mem.frees.size());
        assertEquals(0, a.cachedBytes());
        assertEquals(4096, a.usedBytes());
    }

    @Test
    void outOfMemoryNamesRequestedAndFreeBytesAfterGcRoundsFreeNothing() {
        FakeMemory mem = new FakeMemory(8192);
        AtomicInteger gcs = new AtomicInteger();
        CachingAllocator<Long> a = new CachingAllocator<>("cuda:0", mem, gcs::incrementAndGet);
        a.allocate(5000); // 5120 in use, 3072 free
        a.release(a.allocate(1024));
        assertEquals(0, gcs.get(), "an allocation that fits asks for no garbage collection");
        DeviceOutOfMemoryError e = assertThrows(DeviceOutOfMemoryError.class, () -> a.allocate(6000));
        String m = e.getMessage();
        assertTrue(m.contains("cuda:0"), m);
        assertTrue(m.contains("tried to allocate 6000 bytes"), m);
        assertTrue(m.startsWith("CUDA out of memory on cuda:0: "), m);
        assertTrue(m.contains("the device reports 3072 bytes (0.00 MiB) free of 8192 bytes"), m);
        assertEquals(6000, e.requested());
        assertEquals(3072, e.free());
        assertTrue(m.contains("after releasing 1024 cached bytes"), m);
        assertEquals(CachingAllocator.GC_ROUNDS, gcs.get(), "one garbage collection per round before giving up");
        assertEquals(0, a.cachedBytes());
        assertEquals(5120, a.usedBytes());
    }

    @Test
    void reusesABlockTheCleanerReturnsAfterAGarbageCollection() throws Exception {
        FakeMemory mem = new FakeMemory(8192);
        List<Thread> cleaners = new ArrayList<>();
        AtomicReference<CachingAllocator.Block<Long>> dead = new AtomicReference<>();
        AtomicReference<CachingAllocator<Long>> allocator = new AtomicReference<>();
        // Like System.gc() and the Cleaner: the dead storage's block comes back later, on another thread, and
        // only if the allocation does not hold the allocator's lock while it waits.
        Runnable gc = () -> {
            Thread t = new Thread(() -> allocator.get().release(dead.getAndSet(null)));
            cleaners.add(t);
            t.start();
        };
        CachingAllocator<Long> a = new CachingAllocator<>("cuda:0", mem, gc);
        allocator.set(a);
        CachingAllocator.Block<Long> live = a.allocate(4000); // 4096
        dead.set(a.allocate(4000));                            // 4096: the device is full
        CachingAllocator.Block<Long> b = a.allocate(3700);     // rounds to 4096 too
        assertEquals(1, cleaners.size(), "one garbage collection was enough");
        for (Thread t : cleaners) {
            t.join();
        }
        assertEquals(2L, b.pointer(), "the block the Cleaner returned is reused");
        assertNotSame(live.pointer(), b.pointer());
        assertEquals(List.of(4096L, 4096L), mem.allocations);
        assertEquals(8192, a.usedBytes());
        assertEquals(0, a.cachedBytes());
    }

    @Test
    void aReturnedBlockOfAnotherSizeIsFreedToMakeRoom() throws Exception {
        FakeMemory mem = new FakeMemory(4096);
        List<Thread> cleaners = new ArrayList<>();
        AtomicReference<CachingAllocator.Block<Long>> dead = new AtomicReference<>();
        AtomicReference<CachingAllocator<Long>> allocator = new AtomicReference<>();
        Runnable gc = () -> {
            CachingAllocator.Block<Long> block = dead.getAndSet(null);
            if (block != null) {
                Thread t = new Thread(() -> allocator.get().release(block));
                cleaners.add(t);
                t.start();
            }
        };
        CachingAllocator<Long> a = new CachingAllocator<>("cuda:0", mem, gc);
        allocator.set(a);
        dead.set(a.allocate(4000));                        // 4096: the device is full
        CachingAllocator.Block<Long> b = a.allocate(1000); // 1024: fits once the returned block is freed
        for (Thread t : cleaners) {
            t.join();
        }
        assertEquals(1024, b.bytes());
        assertEquals(List.of(1L), mem.frees, "the returned 4096-byte block went back to the driver");
        assertEquals(1024, a.usedBytes());
    }
}
