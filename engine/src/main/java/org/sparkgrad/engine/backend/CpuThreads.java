package org.sparkgrad.engine.backend;

/**
 * How many threads the CPU backend's parallel loops use. The process-wide count is fixed when the backend
 * loads (the system property {@code sparkgrad.threads}, else every core); a thread that shares the machine
 * with others, such as a Spark task among {@code spark.executor.cores / spark.task.cpus} concurrent ones,
 * bounds the ops it runs to its own share with {@link #limitForCurrentThread}, so that the tasks together do
 * not oversubscribe the cores. Results do not depend on the thread count (see the backend's kernels).
 *
 * <p>Matrix products run on the BLAS library's own threads, which this does not govern: set
 * {@code OPENBLAS_NUM_THREADS} for the process (for Spark executors through
 * {@code spark.executorEnv.OPENBLAS_NUM_THREADS}) to the same share.
 */
public final class CpuThreads {
    private CpuThreads() {
    }

    /**
     * Bounds the parallel loops of ops run from the calling thread to {@code threads} threads, the caller
     * included (1 keeps them on the caller); at most the process-wide count is used.
     *
     * @return the previous bound of this thread, 0 when it had none
     * @throws IllegalArgumentException when threads is not positive
     */
    public static int limitForCurrentThread(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("a thread needs at least 1 thread for its ops, got " + threads);
        }
        return Parallel.limitCaller(threads);
    }

    /** Removes the calling thread's bound: its ops use the process-wide count again. */
    public static void clearLimitForCurrentThread() {
        Parallel.limitCaller(0);
    }

    /** The threads an op started from the calling thread may use now. */
    public static int forCurrentThread() {
        return Parallel.threadsForCaller();
    }
}
