package org.sparkgrad.spark;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What an executor JVM keeps between the tasks of a training run: block schedules (one epoch per block)
 * and model replicas (one per concurrently running task and device, built once by the model factory). Both maps are
 * bounded, so the entries of finished runs age out.
 */
final class ExecutorCache {
    private static final int MAX_SCHEDULES = 4096;
    /** Replica pools kept: one per (run, device), so a few runs on an executor with several GPUs. */
    private static final int MAX_REPLICA_POOLS = 16;

    private record ScheduleEntry(long seed, long epoch, BlockSchedule schedule) {
    }

    private static final Map<String, ScheduleEntry> SCHEDULES = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ScheduleEntry> eldest) {
            return size() > MAX_SCHEDULES;
        }
    };

    private static final Map<String, Deque<ModelReplica>> REPLICAS = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<ModelReplica>> eldest) {
            return size() > MAX_REPLICA_POOLS;
        }
    };

    private ExecutorCache() {
    }

    /** The block's schedule for (seed, epoch), computing it on first use in this JVM. */
    static BlockSchedule schedule(String dataId, DataBlock block, long firstGlobal, long rows, long seed, long epoch) {
        // rows too: a barrier task of a batch-norm model merges its partition's blocks into one that starts at row 0
        String key = dataId + "/" + block.partition + "/" + block.firstRow + "+" + block.rows;
        synchronized (SCHEDULES) {
            ScheduleEntry e = SCHEDULES.get(key);
            if (e != null && e.seed() == seed && e.epoch() == epoch) {
                return e.schedule();
            }
        }
        BlockSchedule s = BlockSchedule.of(block.rows, firstGlobal, new KeyedPermutation(rows, seed, epoch));
        synchronized (SCHEDULES) {
            SCHEDULES.put(key, new ScheduleEntry(seed, epoch, s));
        }
        return s;
    }

    /** A replica from a pool (one per run and device) that no other task is using, built by create when none is free. */
    static ModelReplica borrow(String pool, Supplier<ModelReplica> create) {
        synchronized (REPLICAS) {
            Deque<ModelReplica> free = REPLICAS.get(pool);
            if (free != null && !free.isEmpty()) {
                return free.pop();
            }
        }
        return create.get();
    }

    /** Gives a replica back to its pool for the next task. */
    static void release(String pool, ModelReplica replica) {
        synchronized (REPLICAS) {
            REPLICAS.computeIfAbsent(pool, k -> new ArrayDeque<>()).push(replica);
        }
    }
}
