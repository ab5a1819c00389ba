package org.sparkgrad.engine.backend;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The CPU backend's threads: a fixed pool that runs the numbered tasks of one large elementwise op or
 * reduction, the calling thread taking part. The thread count is read here once: the system property
 * {@code sparkgrad.threads}, else every core; a calling thread may ask for fewer ({@link CpuThreads}, e.g. a
 * Spark task for its {@code spark.task.cpus}). Matrix products run on the BLAS's own threads
 * (OPENBLAS_NUM_THREADS) while this pool's workers are parked, so the two never compete.
 *
 * <p>Callers split their work into tasks whose boundaries depend only on the problem size (never on the
 * thread count) and combine per-task results in task order, so results are the same for any thread count.
 */
final class Parallel {
    /** Threads the configuration allows (the pool has one fewer: the caller works too). */
    static final int THREADS = Math.max(1, Integer.getInteger("sparkgrad.threads",
            Runtime.getRuntime().availableProcessors()));
    /** Work (elements, or element-equivalents) below which an op stays on the calling thread. */
    static final long GRAIN = 1 << 15;
    /**
     * How long a worker keeps polling for the next job after finishing one, and the caller for its helpers'
     * tasks, before parking: waking a parked thread costs 10-50 us here, more than a 64k-element op itself,
     * so back-to-back ops would otherwise run slower on two threads than on one (as OpenMP's spin-wait).
     */
    static final long SPIN_NANOS = 200_000;

    private static final LinkedBlockingQueue<Job> QUEUE = new LinkedBlockingQueue<>();
    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);
    /** The threads a job may use now: THREADS, or fewer where a test asks (see {@link #limitThreads}). */
    private static volatile int active = THREADS;
    /** A calling thread's own bound (see {@link CpuThreads#limitForCurrentThread}); 0 for none. */
    private static final ThreadLocal<int[]> CALLER_LIMIT = ThreadLocal.withInitial(() -> new int[1]);

    static {
        for (int i = 1; i < THREADS; i++) {
            Thread t = new Thread(Parallel::work, "sparkgrad-cpu-" + i);
            t.setDaemon(true);
            t.start();
        }
    }

    private Parallel() {
    }

    /**
     * Uses at most {@code n} threads (at least 1, at most {@link #THREADS}) from now on and returns the
     * previous limit; for tests that compare results between thread counts.
     */
    static int limitThreads(int n) {
        int before = active;
        active = Math.max(1, Math.min(THREADS, n));
        return before;
    }

    /** Sets the calling thread's bound (0 removes it) and returns the previous one. */
    static int limitCaller(int n) {
        int[] l = CALLER_LIMIT.get();
        int before = l[0];
        l[0] = Math.max(0, n);
        return before;
    }

    /** The threads a job started from this thread may use. */
    static int threadsForCaller() {
        int own = CALLER_LIMIT.get()[0];
        return own > 0 ? Math.min(active, own) : active;
    }

    /** The number of tasks to cut {@code work} units into: ceil(work / GRAIN), at least 1. */
    static int tasksFor(long work) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (work + GRAIN - 1) / GRAIN));
    }

    /**
     * Runs body(0) .. body(tasks - 1), spread over the pool when there is more than one task; returns when
     * all are done. A call from inside a task runs serially. The first exception a task throws is rethrown.
     */
    static void forEach(int tasks, IntConsumer body) {
        int threads = Math.min(threadsForCaller(), tasks);
        if (threads <= 1 || IN_WORKER.get()) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
            return;
        }
        Job job = new Job(tasks, body, Thread.currentThread());
        for (int i = 1; i < threads; i++) {
            QUEUE.add(job);
        }
        IN_WORKER.set(true);
        try {
            job.runTasks();
        } finally {
            IN_WORKER.set(false);
        }
        job.awaitTasks();
        if (job.failure != null) {
            if (job.failure instanceof RuntimeException r) {
                throw r;
            }
            if (job.failure instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(job.failure);
        }
    }

    private static void work() {
        IN_WORKER.set(true);
        while (true) {
            try {
                Job job = spinFor();
                (job != null ? job : QUEUE.take()).runTasks();
            } catch (InterruptedException e) {
                // keep serving: the pool lives as long as the JVM
            }
        }
    }

    /**
     * Polls for a job for up to {@link #SPIN_NANOS}, or until {@link #quiesce} (threads outside the pool, e.g.
     * the BLAS's, are about to need the cores); null when none came.
     */
    private static Job spinFor() {
        long start = System.nanoTime();
        long seen = quiesced;
        int polls = 0;
        do {
            Job job = QUEUE.poll();
            if (job != null) {
                return job;
            }
            Thread.onSpinWait();
            if ((++polls & 63) == 0 && (quiesced != seen || System.nanoTime() - start > SPIN_NANOS)) {
                return null;
            }
        } while (true);
    }

    /** Bumped by {@link #quiesce}: a spinning worker that sees it change parks at once. */
    private static volatile long quiesced;

    /**
     * Tells the spinning workers to park now: called before work that runs on threads of its own (a large
     * matrix product on the BLAS's threads), so that the two do not compete for the cores.
     */
    static void quiesce() {
        if (THREADS > 1) {
            quiesced++;
        }
    }

    /**
     * One forEach call: tasks are claimed from a counter by whichever thread is free. The caller waits for
     * the tasks, not for the helpers: a helper that is not scheduled in time (a loaded machine) finds nothing
     * left to claim when it comes, and nobody waited for it.
     */
    private static final class Job {
        final int tasks;
        final IntConsumer body;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(int tasks, IntConsumer body, Thread caller) {
            this.tasks = tasks;
            this.body = body;
            this.caller = caller;
        }

        void runTasks() {
            for (int i; (i = next.getAndIncrement()) < tasks; ) {
                try {
                    if (failure == null) {
                        body.accept(i);
                    }
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    if (done.incrementAndGet() == tasks && Thread.currentThread() != caller) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }

        /** Waits until every claimed task has finished (the caller has claimed all unclaimed ones). */
        void awaitTasks() {
            long start = 0;
            int spins = 0;
            while (done.get() < tasks) {
                if ((++spins & 63) != 0) {
                    Thread.onSpinWait();
                } else if (start == 0) {
                    start = System.nanoTime();
                } else if (System.nanoTime() - start > SPIN_NANOS) {
                    LockSupport.parkNanos(this, 20_000);
                }
            }
        }
    }
}
