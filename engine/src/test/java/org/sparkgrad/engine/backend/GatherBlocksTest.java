package org.sparkgrad.engine.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;

/**
 * gather's and scatter-add's contiguous paths ({@link IndexKernels#gatherContiguous}, {@link IndexKernels#scatterAddContiguous})
 * and index_select's block copies
 * ({@link IndexKernels#selectBlocks}) against a plain reference loop on 3-d tensors along every dimension, float
 * and double, on all threads and on one (the split into tasks cuts through rows), with negative indices.
 */
class GatherBlocksTest {
    private static final CpuBackend CPU = CpuBackend.INSTANCE;
    private static final int[] SHAPE = {7, 40, 300};

    private static double[] values(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(1 << 20) * 0.125 - 5000;
        }
        return v;
    }

    private static Strided dense(DType t, double[] v, int... shape) {
        return Strided.contiguous(CPU.fromHost(t, v), shape);
    }

    /** out[p, j, k] = x[p, index[p, j, k] (wrapped), k] with x seen as [outer, size, q] and index as [outer, m, q]. */
    private static double[] reference(double[] x, double[] index, int outer, int size, int m, int q) {
        double[] out = new double[outer * m * q];
        for (int p = 0; p < outer; p++) {
            for (int j = 0; j < m; j++) {
                for (int k = 0; k < q; k++) {
                    int e = (p * m + j) * q + k;
                    int at = (int) index[e];
                    at = at < 0 ? at + size : at;
                    out[e] = x[(p * size + at) * q + k];
                }
            }
        }
        return out;
    }

    private static double[] run(boolean oneThread, Strided x, int dim, Strided index, DType t) {
        if (oneThread) {
            CpuThreads.limitForCurrentThread(1);
        }
        try {
            Strided out = Strided.contiguous(CPU.allocateForOverwrite(t, index.numel()), index.shape());
            CPU.gather(x, dim, index, out);
            return CPU.toHostDouble(out);
        } finally {
            if (oneThread) {
                CpuThreads.clearLimitForCurrentThread();
            }
        }
    }

    @Test
    void aContiguousGatherAlongEachDimensionMatchesTheReferenceOnAllThreadsAndOne() {
        int n = SHAPE[0] * SHAPE[1] * SHAPE[2];
        double[] x = values(n, 1);
        Random r = new Random(2);
        for (int dim = 0; dim < 3; dim++) {
            int size = SHAPE[dim];
            int m = size + 3; // an index longer than x along dim
            int[] ishape = SHAPE.clone();
            ishape[dim] = m;
            int outer = 1;
            for (int k = 0; k < dim; k++) {
                outer *= SHAPE[k];
            }
            int q = 1;
            for (int k = dim + 1; k < 3; k++) {
                q *= SHAPE[k];
            }
            double[] index = new double[outer * m * q];
            for (int i = 0; i < index.length; i++) {
                index[i] = r.nextInt(2 * size) - size; // half of them negative
            }
            double[] want = reference(x, index, outer, size, m, q);
            for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                Strided xs = dense(t, x, SHAPE);
                Strided is = dense(DType.INT64, index, ishape);
                assertArrayEquals(want, run(false, xs, dim, is, t), 0.0, t + " gather along dim " + dim);
                assertArrayEquals(want, run(true, xs, dim, is, t), 0.0, t + " gather along dim " + dim + ", one thread");
            }
        }
    }

    @Test
    void indexSelectBlocksMatchTheReferenceOnAllThreadsAndOne() {
        int n = SHAPE[0] * SHAPE[1] * SHAPE[2];
        double[] x = values(n, 3);
        Random r = new Random(4);
        for (int dim = 0; dim < 3; dim++) {
            int size = SHAPE[dim];
            int m = 2 * size + 1;
            double[] sel = new double[m];
            for (int i = 0; i < m; i++) {
                sel[i] = r.nextInt(2 * size) - size;
            }
            int[] ishape = SHAPE.clone();
            ishape[dim] = m;
            int[] istrides = new int[3];
            istrides[dim] = 1; // the 1-d index repeated along the other dimensions (as index_select makes it)
            Strided is = new Strided(CPU.fromHost(DType.INT64, sel), 0, ishape, istrides);
            double[] full = CPU.toHostDouble(is);
            int outer = 1;
            for (int k = 0; k < dim; k++) {
                outer *= SHAPE[k];
            }
            int q = n / (outer * size);
            double[] want = reference(x, full, outer, size, m, q);
            for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                Strided xs = dense(t, x, SHAPE);
                assertArrayEquals(want, run(false, xs, dim, is, t), 0.0, t + " index_select along dim " + dim);
                assertArrayEquals(want, run(true, xs, dim, is, t), 0.0, t + " index_select along dim " + dim + ", one thread");
            }
        }
    }

    @Test
    void anIndexNarrowerThanXOnAnotherDimensionTakesTheStridedPath() {
        double[] x = values(6 * 10, 5);
        double[] index = {9, -1, 0, 3, 2, -10, 4, 8}; // [2, 4]: 2 of x's 6 rows
        double[] got = run(false, dense(DType.FLOAT32, x, 6, 10), 1, dense(DType.INT64, index, 2, 4), DType.FLOAT32);
        double[] want = new double[8];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 4; j++) {
                int at = (int) index[i * 4 + j];
                want[i * 4 + j] = x[i * 10 + (at < 0 ? at + 10 : at)];
            }
        }
        assertArrayEquals(want, got, 0.0);
    }

    @Test
    void anOutOfRangeIndexOnTheContiguousPathIsNamed() {
        Strided x = dense(DType.FLOAT32, new double[12], 3, 4);
        Strided low = dense(DType.INT64, new double[] {0, 1, 2, 3, 0, -5, 1, 2, 0, 0, 0, 0}, 3, 4);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> run(false, x, 1, low, DType.FLOAT32));
        assertEquals("index -5 is out of bounds for dimension 1 with size 4", e.getMessage());
        Strided high = dense(DType.INT64, new double[] {0, 1, 2, 4}, 1, 4);
        Strided x1 = dense(DType.FLOAT64, new double[4], 1, 4);
        e = assertThrows(IndexOutOfBoundsException.class, () -> run(false, x1, 1, high, DType.FLOAT64));
        assertEquals("index 4 is out of bounds for dimension 1 with size 4", e.getMessage());
        // x empty along dim: any index is out of range
        Strided none = dense(DType.FLOAT32, new double[0], 2, 0);
        Strided one = dense(DType.INT64, new double[] {0, 0}, 2, 1);
        e = assertThrows(IndexOutOfBoundsException.class, () -> run(false, none, 1, one, DType.FLOAT32));
        assertEquals("index 0 is out of bounds for dimension 1 with size 0", e.getMessage());
    }

    @Test
    void aContiguousScatterAddAlongEachDimensionAddsInElementOrder() {
        Random r = new Random(6);
        for (int dim = 0; dim < 3; dim++) {
            int size = SHAPE[dim];
            int m = size + 5; // more sources than slots: repeated targets
            int[] ishape = SHAPE.clone();
            ishape[dim] = m;
            int outer = 1;
            for (int k = 0; k < dim; k++) {
                outer *= SHAPE[k];
            }
            int q = 1;
            for (int k = dim + 1; k < 3; k++) {
                q *= SHAPE[k];
            }
            int count = outer * m * q;
            double[] index = new double[count];
            for (int i = 0; i < count; i++) {
                index[i] = r.nextInt(2 * size) - size;
            }
            double[] src = values(count, 7 + dim);
            for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                // the reference adds in element order, in the tensor's own precision, onto a non-zero start
                double[] start = values(outer * size * q, 8);
                double[] want = start.clone();
                float[] wantF = new float[want.length];
                for (int i = 0; i < want.length; i++) {
                    wantF[i] = (float) want[i];
                }
                for (int p = 0; p < outer; p++) {
                    for (int j = 0; j < m; j++) {
                        for (int k = 0; k < q; k++) {
                            int e = (p * m + j) * q + k;
                            int at = (int) index[e];
                            int o = (p * size + (at < 0 ? at + size : at)) * q + k;
                            want[o] += src[e];
                            wantF[o] += (float) src[e];
                        }
                    }
                }
                if (t == DType.FLOAT32) {
                    for (int i = 0; i < want.length; i++) {
                        want[i] = wantF[i];
                    }
                }
                Strided out = dense(t, start, SHAPE);
                CPU.scatterAdd(out, dim, dense(DType.INT64, index, ishape), dense(t, src, ishape));
                assertArrayEquals(want, CPU.toHostDouble(out), 0.0, t + " scatter-add along dim " + dim);
            }
        }
        Strided out = dense(DType.FLOAT32, new double[12], 3, 4);
        Strided bad = dense(DType.INT64, new double[] {0, 1, 2, 3, 0, 4, 1, 2, 0, 0, 0, 0}, 3, 4);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> CPU.scatterAdd(out, 1, bad, dense(DType.FLOAT32, new double[12], 3, 4)));
        assertEquals("index 4 is out of bounds for dimension 1 with size 4", e.getMessage());
    }
}
