package org.sparkgrad.engine.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;

/**
 * The array loops of gather, scatter-add and arg-max/min ({@link IndexKernels}) against plain references on
 * every layout they special-case, the buffer pool's hand-out rules, and {@link CpuThreads}' per-thread bound.
 */
class IndexPoolThreadsTest {
    private static final CpuBackend CPU = CpuBackend.INSTANCE;

    /** Values with ties (multiples of 0.5) and, when nan, NaNs at a few places. */
    private static double[] values(int n, long seed, boolean nan) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(6) * 0.5;
            if (nan && r.nextInt(9) == 0) {
                v[i] = Double.NaN;
            }
        }
        return v;
    }

    private static Strided dense(DType t, double[] v, int... shape) {
        return Strided.contiguous(CPU.fromHost(t, v), shape);
    }

    private static double[] read(Strided s) {
        return CPU.toHostDouble(s);
    }

    /** The first extreme (first NaN) along dim of a rows x cols row-major matrix, value and index. */
    private static double[][] argReference(boolean max, double[] v, int rows, int cols, int dim) {
        int outer = dim == 0 ? cols : rows;
        int len = dim == 0 ? rows : cols;
        double[][] out = new double[2][outer];
        for (int o = 0; o < outer; o++) {
            double best = 0;
            int at = -1;
            for (int i = 0; i < len; i++) {
                double e = dim == 0 ? v[i * cols + o] : v[o * cols + i];
                if (at < 0 || (!Double.isNaN(best) && (Double.isNaN(e) || (max ? e > best : e < best)))) {
                    best = e;
                    at = i;
                }
            }
            out[0][o] = best;
            out[1][o] = at;
        }
        return out;
    }

    @Test
    void argMaxAndMinPickTheFirstExtremeOrNaNAlongEitherDimension() {
        int rows = 37;
        int cols = 19;
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (boolean nan : new boolean[] {false, true}) {
                double[] v = values(rows * cols, nan ? 2 : 1, nan);
                for (boolean max : new boolean[] {true, false}) {
                    for (int dim = 0; dim < 2; dim++) {
                        int[] kept = dim == 0 ? new int[] {1, cols} : new int[] {rows, 1};
                        int n = dim == 0 ? cols : rows;
                        Strided vals = Strided.contiguous(CPU.allocate(t, n), kept);
                        Strided idx = Strided.contiguous(CPU.allocate(DType.INT64, n), kept);
                        CPU.argReduce(max, dense(t, v, rows, cols), dim, vals, idx);
                        double[][] ref = argReference(max, v, rows, cols, dim);
                        String what = t + (max ? " max" : " min") + " dim " + dim + (nan ? " with NaN" : "");
                        assertArrayEquals(ref[0], read(vals), 0.0, what + " values");
                        assertArrayEquals(ref[1], read(idx), 0.0, what + " indices");
                    }
                }
            }
        }
    }

    @Test
    void argMaxOfATransposedViewEqualsThatOfItsCopy() {
        int rows = 23;
        int cols = 41;
        double[] v = values(rows * cols, 3, true);
        // The transpose [cols, rows] of the dense [rows, cols] matrix, and the same values made dense.
        Strided tr = new Strided(CPU.fromHost(DType.FLOAT32, v), 0, new int[] {cols, rows}, new int[] {1, cols});
        double[] copy = new double[v.length];
        for (int i = 0; i < cols; i++) {
            for (int j = 0; j < rows; j++) {
                copy[i * rows + j] = v[j * cols + i];
            }
        }
        for (int dim = 0; dim < 2; dim++) {
            int[] kept = dim == 0 ? new int[] {1, rows} : new int[] {cols, 1};
            int n = dim == 0 ? rows : cols;
            Strided vals = Strided.contiguous(CPU.allocate(DType.FLOAT32, n), kept);
            Strided idx = Strided.contiguous(CPU.allocate(DType.INT64, n), kept);
            CPU.argReduce(true, tr, dim, vals, idx);
            double[][] ref = argReference(true, copy, cols, rows, dim);
            assertArrayEquals(ref[0], read(vals), 0.0, "values along dim " + dim);
            assertArrayEquals(ref[1], read(idx), 0.0, "indices along dim " + dim);
        }
    }

    @Test
    void gatherAndScatterAddMatchPlainLoopsForRepeatedAndPerElementIndices() {
        int rows = 50;
        int cols = 24;
        double[] x = values(rows * cols, 4, false);
        Random r = new Random(5);
        double[] rowIndex = new double[rows];
        for (int i = 0; i < rows; i++) {
            rowIndex[i] = r.nextInt(rows) - (i % 3 == 0 ? rows : 0); // some negative (wrapped) indices
        }
        double[] colIndex = new double[rows * cols];
        for (int i = 0; i < colIndex.length; i++) {
            colIndex[i] = r.nextInt(cols);
        }
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            // index_select(0, rowIndex): the index repeated along dim 1 by stride 0.
            Strided expanded = new Strided(CPU.fromHost(DType.INT64, rowIndex), 0, new int[] {rows, cols}, new int[] {1, 0});
            Strided perElement = dense(DType.INT64, colIndex, rows, cols);
            for (int dim = 0; dim < 2; dim++) {
                Strided index = dim == 0 ? expanded : perElement;
                double[] idx = read(index);
                double[] want = new double[rows * cols];
                double[] scattered = new double[rows * cols];
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        int k = (int) idx[i * cols + j];
                        int at = dim == 0 ? (k + rows) % rows * cols + j : i * cols + k;
                        want[i * cols + j] = x[at];
                        scattered[at] += x[i * cols + j];
                    }
                }
                Strided out = Strided.contiguous(CPU.allocateForOverwrite(t, rows * cols), new int[] {rows, cols});
                CPU.gather(dense(t, x, rows, cols), dim, index, out);
                assertArrayEquals(want, read(out), 0.0, t + " gather along dim " + dim);
                Strided acc = Strided.contiguous(CPU.allocate(t, rows * cols), new int[] {rows, cols});
                CPU.scatterAdd(acc, dim, index, dense(t, x, rows, cols));
                assertArrayEquals(scattered, read(acc), t == DType.FLOAT32 ? 1e-5 : 1e-12, t + " scatter-add along dim " + dim);
            }
        }
    }

    @Test
    void anIndexOutOfRangeIsNamedWithItsDimension() {
        Strided x = dense(DType.FLOAT32, new double[12], 3, 4);
        Strided index = new Strided(CPU.fromHost(DType.INT64, new double[] {0, 3, 1}), 0, new int[] {3, 4}, new int[] {1, 0});
        Strided out = Strided.contiguous(CPU.allocate(DType.FLOAT32, 12), new int[] {3, 4});
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> CPU.gather(x, 0, index, out));
        assertEquals("index 3 is out of bounds for dimension 0 with size 3", e.getMessage());
    }

    @Test
    void aRecycledArrayIsHandedOutAgainAndZeroedWhereZerosWereAskedFor() {
        int n = BufferPool.MIN_LENGTH + 11; // a length no other test uses
        BufferPool.clear(); // room for it, whatever earlier tests left
        CpuStorage a = (CpuStorage) CPU.allocate(DType.FLOAT32, n);
        float[] array = a.f;
        java.util.Arrays.fill(array, 3f);
        long given = BufferPool.given();
        CPU.recycle(a);
        assertEquals(given + 1, BufferPool.given());
        assertThrows(NullPointerException.class, () -> a.get(0), "a recycled storage must not be readable");
        CpuStorage zeroed = (CpuStorage) CPU.allocate(DType.FLOAT32, n);
        assertSame(array, zeroed.f, "the recycled array of that length is reused");
        assertEquals(0f, zeroed.f[n - 1]);
        CPU.recycle(zeroed);
        CpuStorage raw = (CpuStorage) CPU.allocateForOverwrite(DType.FLOAT32, n);
        assertSame(array, raw.f);
    }

    @Test
    void aStorageHandedBackTwiceGoesToThePoolOnce() {
        int n = BufferPool.MIN_LENGTH + 17; // a length no other test uses
        BufferPool.clear();
        CpuStorage a = (CpuStorage) CPU.allocate(DType.FLOAT32, n);
        float[] array = a.f;
        long given = BufferPool.given();
        CPU.recycle(a);
        CPU.recycle(a);
        assertEquals(given + 1, BufferPool.given());
        assertSame(array, ((CpuStorage) CPU.allocateForOverwrite(DType.FLOAT32, n)).f);
        assertNotSame(array, ((CpuStorage) CPU.allocateForOverwrite(DType.FLOAT32, n)).f,
                "one array handed back must serve one allocation, not two");
    }

    /** Floats in an array the pool tracks (G1 humongous), a few more to make the length unique. */
    private static int trackedFloats(int extra) {
        assumeTrue(BufferPool.MIN_TRACKED_BYTES != Long.MAX_VALUE,
                "dead storages are tracked under G1 only (conf/spark-defaults.conf selects it for every JVM)");
        return (int) (BufferPool.MIN_TRACKED_BYTES / 4) + extra;
    }

    @Test
    void aLargeStorageNobodyHoldsAnyMoreGivesItsArrayBack() {
        int n = trackedFloats(19);
        BufferPool.clear();
        java.lang.ref.WeakReference<float[]> array = allocateAndDrop(n);
        // The collector finds the storage dead and the pool's cleaner thread gives the array back. Bounded by a
        // deadline, not a sleep: each round asks for a collection.
        long deadline = System.nanoTime() + 60_000_000_000L;
        float[] back = null;
        while (back == null && System.nanoTime() < deadline) {
            System.gc();
            Thread.yield();
            back = BufferPool.takeFloats(n);
        }
        assertNotNull(back, "the dead storage's array was handed back within a minute");
        assertSame(array.get(), back);
    }

    private static java.lang.ref.WeakReference<float[]> allocateAndDrop(int n) {
        return new java.lang.ref.WeakReference<>(((CpuStorage) CPU.allocateForOverwrite(DType.FLOAT32, n)).f);
    }

    @Test
    void aStorageBelowTheTrackedSizeComesBackOnlyWhenHandedBack() {
        int n = trackedFloats(-29);
        BufferPool.clear();
        allocateAndDrop(n);
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        assertNull(BufferPool.takeFloats(n), "a collection would copy a tracked array that size: it must not be tracked");
    }

    @Test
    void aHostCopyNeverGoesToThePool() {
        int n = trackedFloats(23);
        BufferPool.clear();
        Strided x = Strided.contiguous(CPU.allocate(DType.FLOAT32, n), new int[] {n});
        float[] host = CPU.toHostFloat(x);
        CPU.toHostFloat(x); // a copy dropped at once: had the pool tracked it, the collections below return it
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        assertNull(BufferPool.takeFloats(n), "the caller owns a host copy; the pool must never take one back");
        assertEquals(0f, host[n - 1]);
        java.lang.ref.Reference.reachabilityFence(x); // its own storage is the pool's: keep it out of the pool
    }

    @Test
    void aBackwardPassRecyclesTheIntermediatesItConsumed() {
        org.sparkgrad.engine.Tensor x = org.sparkgrad.engine.Tensor.randn(new org.sparkgrad.engine.Generator(7), 256, 128)
                .requiresGrad_();
        long given = BufferPool.given();
        x.exp().sin().mul(3.0).sum().backward();
        // mul's gradient (3 * ones) is consumed by sin's backward, sin's by exp's: two buffers of 32768 floats.
        assertEquals(given + 2, BufferPool.given());
        assertArrayEquals(x.detach().exp().cos().mul(3.0).mul(x.detach().exp()).toArray(), x.grad().toArray(), 1e-5);
    }

    @Test
    void aSharedCallerArrayNeverGoesToThePool() {
        float[] mine = new float[BufferPool.MIN_LENGTH + 13];
        CpuStorage s = (CpuStorage) CPU.share(mine);
        CPU.recycle(s);
        assertSame(mine, s.f, "the caller's array stays with its storage");
        CpuStorage next = (CpuStorage) CPU.allocateForOverwrite(DType.FLOAT32, mine.length);
        assertEquals(false, next.f == mine, "the caller's array must not be handed out");
    }

    @Test
    void aThreadsBoundAppliesToItsOwnThreadOnly() throws Exception {
        int all = CpuThreads.forCurrentThread();
        assertEquals(0, CpuThreads.limitForCurrentThread(1));
        try {
            assertEquals(1, CpuThreads.forCurrentThread());
            int[] other = new int[1];
            Thread t = new Thread(() -> other[0] = CpuThreads.forCurrentThread());
            t.start();
            t.join();
            assertEquals(all, other[0], "another thread keeps the process-wide count");
            assertEquals(1, CpuThreads.limitForCurrentThread(1000));
            assertEquals(all, CpuThreads.forCurrentThread(), "a bound above the process-wide count changes nothing");
        } finally {
            CpuThreads.clearLimitForCurrentThread();
        }
        assertEquals(all, CpuThreads.forCurrentThread());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuThreads.limitForCurrentThread(0));
        assertEquals("a thread needs at least 1 thread for its ops, got 0", e.getMessage());
    }

    @Test
    void aSumBoundToOneThreadEqualsTheSumOnAll() {
        double[] v = new double[1 << 20];
        Random r = new Random(6);
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        Strided x = dense(DType.FLOAT32, v, v.length / 64, 64);
        double[][] sums = new double[2][];
        for (int k = 0; k < 2; k++) {
            if (k == 1) {
                CpuThreads.limitForCurrentThread(1);
            }
            try {
                Strided all = Strided.contiguous(CPU.allocate(DType.FLOAT32, 1), new int[] {1, 1});
                CPU.reduce(ReduceOp.SUM, x, new boolean[] {true, true}, all);
                Strided rows = Strided.contiguous(CPU.allocate(DType.FLOAT32, v.length / 64), new int[] {v.length / 64, 1});
                CPU.reduce(ReduceOp.SUM, x, new boolean[] {false, true}, rows);
                double[] both = read(rows);
                sums[k] = java.util.Arrays.copyOf(both, both.length + 1);
                sums[k][both.length] = read(all)[0];
            } finally {
                CpuThreads.clearLimitForCurrentThread();
            }
        }
        assertArrayEquals(sums[0], sums[1], 0.0);
    }
}
