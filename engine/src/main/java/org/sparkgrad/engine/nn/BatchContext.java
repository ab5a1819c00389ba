package org.sparkgrad.engine.nn;

import java.util.Objects;

/**
 * The data-parallel context of one training step on one replica, open on the current thread for the forward
 * and backward of that step (a thread-local scope, closed by try-with-resources):
 *
 * <pre>{@code
 * try (BatchContext.Scope s = BatchContext.open(step, sampleKeys, reducer)) {
 *     Tensor loss = lossFn.apply(model.call(x), y);
 *     loss.backward();
 * }
 * }</pre>
 *
 * <p>With no scope open the layers behave exactly like PyTorch in one process: {@link Dropout} draws its mask
 * from its {@link org.sparkgrad.engine.Generator}, {@link BatchNorm1d} / {@link BatchNorm2d} normalise with the
 * statistics of the batch they are given. With a scope open:
 * <ul>
 *   <li>Dropout's keep/drop decision for row r (the first dimension) and element j within that row is a pure
 *       function of (the module's seed, {@code step}, the index of this dropout call within the scope,
 *       {@code sampleKeys[r]}, j) through a counter-based SplitMix64 hash, so a sample gets the same mask
 *       whichever partition or micro-batch holds it. Kept elements are scaled by 1 / (1 - p) as in PyTorch.</li>
 *   <li>BatchNorm in training mode passes the per-channel {@code [sum_0..sum_{C-1}, sumsq_0..sumsq_{C-1},
 *       count]} of its input through {@link StatsReducer#allReduceSum} and normalises with the global mean
 *       and biased variance; its backward all-reduces the per-channel {@code [sum(dy)..., sum(dy * xhat)...]}
 *       (as PyTorch's SyncBatchNorm), so the input gradients equal one process over the whole batch (the
 *       weight and bias gradients are the local sums, to be summed over replicas like any parameter's). Running
 *       statistics are updated with the global statistics (unbiased variance with the global count), the same
 *       on every replica. A replica whose local input has 0 rows contributes zeros and still calls the reducer
 *       the same number of times (once per forward and once per backward of each batch-norm call).</li>
 * </ul>
 * The reducer captured by a batch-norm call at forward time is also the one its backward uses.
 */
public final class BatchContext {
    private static final ThreadLocal<Scope> CURRENT = new ThreadLocal<>();

    private BatchContext() {
    }

    /**
     * Sums statistics over all replicas: every replica calls it the same number of times in the same order
     * with arrays of the same length, and each gets back the element-wise sum of all replicas' arrays.
     * {@code local -> local} is the reducer of a single replica.
     */
    @FunctionalInterface
    public interface StatsReducer {
        /** The element-wise sum of {@code local} over all replicas (a new array or {@code local} itself). */
        double[] allReduceSum(double[] local);
    }

    /**
     * Opens a scope on the current thread (nested scopes hide the outer one until closed).
     *
     * @param step the training step, the same on every replica
     * @param sampleKeys one key per row of this replica's batch (e.g. the samples' global indices), unique within the step
     * @param reducer sums batch-norm statistics over the replicas
     */
    public static Scope open(long step, long[] sampleKeys, StatsReducer reducer) {
        Objects.requireNonNull(sampleKeys, "sampleKeys must not be null (one key per row of the batch)");
        Objects.requireNonNull(reducer, "reducer must not be null (use local -> local for a single replica)");
        Scope s = new Scope(step, sampleKeys.clone(), reducer, CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** The scope open on this thread, or null. */
    public static Scope current() {
        return CURRENT.get();
    }

    /** One open context; closing it restores the scope that was open before. */
    public static final class Scope implements AutoCloseable {
        private final long step;
        private final long[] sampleKeys;
        private final StatsReducer reducer;
        private final Scope outer;
        private int dropoutCalls;
        private boolean closed;

        private Scope(long step, long[] sampleKeys, StatsReducer reducer, Scope outer) {
            this.step = step;
            this.sampleKeys = sampleKeys;
            this.reducer = reducer;
            this.outer = outer;
        }

        /** The training step. */
        public long step() {
            return step;
        }

        /** How many rows the batch has (the number of sample keys). */
        public int rows() {
            return sampleKeys.length;
        }

        /** The key of row r. */
        public long sampleKey(int r) {
            return sampleKeys[r];
        }

        /** The reducer of batch-norm statistics. */
        public StatsReducer reducer() {
            return reducer;
        }

        /** The index of the next dropout call within this scope (0, 1, ...): part of its mask's key. */
        int nextDropoutCall() {
            return dropoutCalls++;
        }

        /** Closes the scope; it must be the innermost one open on this thread. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (CURRENT.get() != this) {
                throw new IllegalStateException("BatchContext scopes must be closed innermost first, on the thread that "
                        + "opened them");
            }
            closed = true;
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        }
    }
}
