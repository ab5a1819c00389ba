package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;

/**
 * The {@link BatchContext} contract without Spark: a batch split into row chunks, each chunk's forward and
 * backward on its own thread with its own replica of the model and a reducer summing over the chunks (a
 * barrier, no sleeps), must give the gradients (summed over the chunks), the outputs and the running
 * statistics of one forward/backward over the whole batch, for Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d ->
 * Flatten -> Dropout -> Linear.
 */
class DataParallelContractTest {
    private static final int ROWS = 6;
    private static final double TOL = 1e-5;

    /** Replicas built from equally seeded generators are equal (weights and the dropout seed). */
    private static Sequential model() {
        Generator g = new Generator(2024);
        return NnAsserts.toFloat64(new Sequential(
                new Conv2d(2, 3, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1, true, g),
                new BatchNorm2d(3),
                new ReLU(),
                new MaxPool2d(2),
                new Flatten(),
                new Dropout(0.4, g),
                new Linear(3 * 2 * 2, 2, true, g)));
    }

    /** Sums arrays over a fixed set of parties: each deposits, all wait, each adds them up in rank order. */
    private static final class BarrierSum {
        private final CyclicBarrier barrier;
        private final double[][] slots;

        BarrierSum(int parties) {
            barrier = new CyclicBarrier(parties);
            slots = new double[parties][];
        }

        double[] allReduceSum(int rank, double[] local) {
            slots[rank] = local.clone();
            await(); // every party has deposited
            double[] sum = new double[local.length];
            for (double[] s : slots) {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += s[i];
                }
            }
            await(); // every party has read before any slot is overwritten by the next call
            return sum;
        }

        private void await() {
            try {
                barrier.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                throw new IllegalStateException("a replica did not reach the all-reduce", e);
            }
        }
    }

    /** What one replica's step leaves: its output rows, parameter gradients and buffers. */
    private record StepResult(double[] output, Map<String, Tensor> grads, Map<String, Tensor> buffers) {
    }

    private static StepResult step(Sequential net, Tensor x, Tensor y, long[] keys, BatchContext.StatsReducer reducer,
                                   int steps) {
        double[] out = null;
        for (int s = 0; s < steps; s++) {
            net.zeroGrad();
            try (BatchContext.Scope scope = BatchContext.open(s, keys, reducer)) {
                Tensor o = net.call(x);
                out = o.toArray();
                F.mseLoss(o, y, Reduction.SUM).backward();
            }
        }
        Map<String, Tensor> grads = new java.util.LinkedHashMap<>();
        net.namedParameters().forEach((k, p) -> grads.put(k, p.grad()));
        return new StepResult(out, grads, net.namedBuffers());
    }

    private static void checkChunked(int[] chunkRows, boolean globalStats) throws Exception {
        Generator g = new Generator(77);
        Tensor x = Tensor.randn(g, ROWS, 2, 4, 4).toDouble();
        Tensor y = Tensor.randn(g, ROWS, 2).toDouble();
        long[] keys = new long[ROWS];
        for (int i = 0; i < ROWS; i++) {
            keys[i] = 1000 + 7L * i;
        }
        int steps = 2; // the second step runs with running statistics and parameters-as-built
        StepResult whole = step(model(), x, y, keys, local -> local, steps);

        int parties = chunkRows.length;
        BarrierSum sum = new BarrierSum(parties);
        ExecutorService pool = Executors.newFixedThreadPool(parties);
        List<Future<StepResult>> futures = new ArrayList<>();
        try {
            int from = 0;
            for (int r = 0; r < parties; r++) {
                int rank = r;
                int start = from;
                int n = chunkRows[r];
                from += n;
                Tensor xc = x.narrow(0, start, n).contiguous();
                Tensor yc = y.narrow(0, start, n).contiguous();
                long[] kc = java.util.Arrays.copyOfRange(keys, start, start + n);
                BatchContext.StatsReducer reducer = globalStats ? local -> sum.allReduceSum(rank, local) : local -> local;
                futures.add(pool.submit(() -> step(model(), xc, yc, kc, reducer, steps)));
            }
            List<StepResult> parts = new ArrayList<>();
            for (Future<StepResult> f : futures) {
                parts.add(f.get(120, TimeUnit.SECONDS));
            }
            if (!globalStats) {
                // Meaningfulness: with per-chunk statistics the summed gradients differ from the whole batch's.
                double[] a = parts.get(0).grads().get("0.weight").toArray();
                double[] b = whole.grads().get("0.weight").toArray();
                double diff = 0;
                for (int i = 0; i < a.length; i++) {
                    double s = 0;
                    for (StepResult p : parts) {
                        s += p.grads().get("0.weight").toArray()[i];
                    }
                    diff = Math.max(diff, Math.abs(s - b[i]));
                }
                assertTrue(diff > 1e-3, "local statistics must change the gradients (max difference " + diff + ")");
                return;
            }
            double[] outputs = new double[0];
            for (StepResult p : parts) {
                double[] joined = new double[outputs.length + p.output().length];
                System.arraycopy(outputs, 0, joined, 0, outputs.length);
                System.arraycopy(p.output(), 0, joined, outputs.length, p.output().length);
                outputs = joined;
            }
            assertArrayEquals(whole.output(), outputs, TOL, "outputs (dropout masks follow the sample keys)");
            for (String name : whole.grads().keySet()) {
                double[] expected = whole.grads().get(name).toArray();
                double[] summed = new double[expected.length];
                for (StepResult p : parts) {
                    Tensor gp = p.grads().get(name);
                    double[] v = gp.toArray();
                    for (int i = 0; i < v.length; i++) {
                        summed[i] += v[i];
                    }
                }
                assertClose(expected, summed, "gradient of " + name);
            }
            for (StepResult p : parts) {
                for (String name : whole.buffers().keySet()) {
                    assertClose(whole.buffers().get(name).toArray(), p.buffers().get(name).toArray(), "buffer " + name);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], TOL * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]");
        }
    }

    @Test
    void threeChunksEqualTheWholeBatch() throws Exception {
        checkChunked(new int[] {3, 2, 1}, true);
    }

    @Test
    void anEmptyChunkContributesNothingButStillReduces() throws Exception {
        checkChunked(new int[] {4, 0, 2}, true);
    }

    @Test
    void localStatisticsWouldNotEqualTheWholeBatch() throws Exception {
        checkChunked(new int[] {3, 3}, false);
    }

    @Test
    void withoutScopeBatchNormUsesTheBatchItself() {
        BatchNorm1d bn = NnAsserts.toFloat64(new BatchNorm1d(2));
        Tensor x = Tensor.tensor(new double[] {1, 2, 3, 6}, DType.FLOAT64, 2, 2);
        double s = 1 / Math.sqrt(1 + 1e-5);
        double t = 1 / Math.sqrt(4 + 1e-5);
        assertArrayEquals(new double[] {-s, -2 * t, s, 2 * t}, bn.call(x).toArray(), 1e-12);
        double[] seen = new double[5];
        try (BatchContext.Scope scope = BatchContext.open(0, new long[] {1, 2}, local -> {
            System.arraycopy(local, 0, seen, 0, local.length);
            return local;
        })) {
            bn.call(x);
        }
        assertArrayEquals(new double[] {4, 8, 10, 40, 2}, seen, 0, "[sum_c..., sumsq_c..., count]");
        BatchNorm1d untracked = NnAsserts.toFloat64(new BatchNorm1d(2, 1e-5, 0.1, true, false));
        untracked.eval();
        try (BatchContext.Scope scope = BatchContext.open(0, new long[] {1, 2}, local -> {
            throw new AssertionError("eval mode must not all-reduce");
        })) {
            assertArrayEquals(new double[] {-s, -2 * t, s, 2 * t}, untracked.call(x).toArray(), 1e-12, "its own batch");
        }
    }
}
