package org.sparkgrad.engine.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;

/**
 * The CPU kernels' fast paths against their plain loops and hand-written references: vector loops on odd
 * lengths (tails), strided and broadcast layouts, float32 sum accuracy, and identical results on 1 and N
 * threads.
 */
class CpuKernelsTest {
    private static final CpuBackend CPU = CpuBackend.INSTANCE;
    private static final int[] LENGTHS = {1, 3, 7, 15, 16, 17, 31, 33, 64, 1003};

    private static float[] floats(int n, long seed, float scale) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    private static double[] doubles(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian() * 3;
        }
        return v;
    }

    /** Special values planted at the front so every length sees some. */
    private static float[] withSpecials(float[] v) {
        float[] s = {Float.NaN, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -100f, 100f};
        System.arraycopy(s, 0, v, 0, Math.min(s.length, v.length));
        return v;
    }

    @Test
    void theVectorApiIsUsedInTheseTests() {
        // Surefire starts the JVM with --add-modules=jdk.incubator.vector; without it the tests below would
        // only compare the plain loops with themselves.
        assertTrue(VectorApi.AVAILABLE, "the Vector API should be available to the tests");
    }

    @Test
    void vectorUnaryMatchesThePlainLoopOnEveryLength() {
        for (UnaryOp op : UnaryOp.values()) {
            if (!Simd.handles(op)) {
                continue;
            }
            boolean exact = op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.RELU || op == UnaryOp.SQRT;
            for (int n : LENGTHS) {
                float[] a = withSpecials(floats(n + 2, n, 4));
                float[] vec = new float[n + 5];
                float[] plain = new float[n + 5];
                // Different input and output offsets: the vector loop must not assume they are equal.
                Simd.unary(op, a, 2, vec, 5, n);
                FloatKernels.plainUnary(op, a, 2, 1, plain, 5, 1, n);
                for (int i = 5; i < n + 5; i++) {
                    assertClose(plain[i], vec[i], exact ? 0 : 3e-7, op + " n=" + n + " at " + (i - 5) + " of x=" + a[i - 3]);
                }
                double[] d = doubles(n, n + 1);
                double[] dv = new double[n];
                double[] dp = new double[n];
                Simd.unary(op, d, 0, dv, 0, n);
                DoubleKernels.plainUnary(op, d, 0, 1, dp, 0, 1, n);
                for (int i = 0; i < n; i++) {
                    assertClose(dp[i], dv[i], exact ? 0 : 1e-15, op + " double n=" + n + " at " + i);
                }
            }
        }
    }

    @Test
    void aVectorResultDoesNotDependOnWhereTheElementSitsInTheRun() {
        float[] a = floats(40, 7, 3);
        for (UnaryOp op : UnaryOp.values()) {
            if (!Simd.handles(op)) {
                continue;
            }
            float[] whole = new float[40];
            Simd.unary(op, a, 0, whole, 0, 40);
            for (int n : new int[] {1, 5, 17, 23}) {
                float[] part = new float[n];
                Simd.unary(op, a, 40 - n, part, 0, n); // the last n elements: all in a tail for small n
                for (int i = 0; i < n; i++) {
                    assertEquals(whole[40 - n + i], part[i], op + " n=" + n + " at " + i);
                }
            }
        }
    }

    @Test
    void aStridedUnaryGivesTheDenseResultElementForElement() {
        int rows = 23;
        int cols = 41;
        float[] v = withSpecials(floats(rows * cols, 17, 3));
        Storage x = CPU.fromHost(v);
        int[] shape = {rows, cols};
        for (UnaryOp op : UnaryOp.values()) {
            CpuStorage dense = new CpuStorage(DType.FLOAT32, rows * cols);
            CpuStorage strided = new CpuStorage(DType.FLOAT32, rows * cols);
            CPU.unary(op, Strided.contiguous(x, shape), Strided.contiguous(dense, shape));
            // The same elements read transposed ([cols, rows] view), written transposed back.
            int[] tshape = {cols, rows};
            CPU.unary(op, new Strided(x, 0, tshape, new int[] {1, cols}), new Strided(strided, 0, tshape, new int[] {1, cols}));
            // Both go through the vector loops; only the JIT compiling them in between (the Vector API's
            // interpreted exp and its SVML one differ in the last bit) may move a transcendental result.
            boolean exact = !Simd.handles(op) || op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.RELU
                    || op == UnaryOp.SQRT;
            for (int i = 0; i < v.length; i++) {
                assertClose(dense.f[i], strided.f[i], exact ? 0 : 2.5e-7, op + " at " + i + ": the layout must not change the value");
            }
        }
    }

    @Test
    void vectorBinaryMatchesThePlainLoopDenseAndAgainstAScalar() {
        for (BinaryOp op : BinaryOp.values()) {
            if (!Simd.handles(op)) {
                continue;
            }
            for (int n : LENGTHS) {
                float[] a = withSpecials(floats(n + 1, 2 * n, 2));
                float[] b = floats(n + 3, 3 * n, 2);
                b[3 + Math.min(2, n - 1)] = Float.NaN;
                int[][] layouts = {{1, 1}, {1, 0}, {0, 1}};
                for (int[] l : layouts) {
                    float[] vec = new float[n];
                    float[] plain = new float[n];
                    Simd.binary(op, a, 1, l[0], b, 3, l[1], vec, 0, n);
                    FloatKernels.plainBinary(op, a, 1, l[0], b, 3, l[1], plain, 0, 1, n);
                    assertArrayEquals(plain, vec, op + " n=" + n + " strides " + l[0] + "," + l[1]);
                    double[] da = doubles(n + 1, n);
                    double[] db = doubles(n + 3, n + 9);
                    double[] dv = new double[n];
                    double[] dp = new double[n];
                    Simd.binary(op, da, 1, l[0], db, 3, l[1], dv, 0, n);
                    DoubleKernels.plainBinary(op, da, 1, l[0], db, 3, l[1], dp, 0, 1, n);
                    assertArrayEquals(dp, dv, op + " double n=" + n + " strides " + l[0] + "," + l[1]);
                }
            }
        }
    }

    @Test
    void binaryOverTransposedAndBroadcastViewsMatchesAnElementLoop() {
        int rows = 37;
        int cols = 19;
        float[] av = floats(rows * cols, 11, 1);
        float[] rowv = floats(cols, 12, 1);
        float[] colv = floats(rows, 13, 1);
        Storage a = CPU.fromHost(av);
        int[] shape = {rows, cols};
        // a read transposed: element (i, j) at j * rows + i.
        Strided at = new Strided(a, 0, shape, new int[] {1, rows});
        Strided row = new Strided(CPU.fromHost(rowv), 0, shape, new int[] {0, 1});
        Strided col = new Strided(CPU.fromHost(colv), 0, shape, new int[] {1, 0});
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.MUL, BinaryOp.SUB, BinaryOp.SIGMOID_BACKWARD}) {
            CpuStorage o1 = new CpuStorage(DType.FLOAT32, rows * cols);
            CpuStorage o2 = new CpuStorage(DType.FLOAT32, rows * cols);
            CPU.binary(op, at, row, Strided.contiguous(o1, shape));
            CPU.binary(op, Strided.contiguous(a, shape), col, Strided.contiguous(o2, shape));
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    assertEquals((float) DoubleKernels.apply(op, av[j * rows + i], rowv[j]), o1.f[i * cols + j], 1e-6,
                            op + " transposed + row at " + i + "," + j);
                    assertEquals((float) DoubleKernels.apply(op, av[i * cols + j], colv[i]), o2.f[i * cols + j], 1e-6,
                            op + " + column at " + i + "," + j);
                }
            }
        }
    }

    @Test
    void absBackwardIsTheGradientTimesSgnOnEveryLengthAndLayout() {
        // sgn(b) is -1, 0 or 1 and 0 at NaN (torch 1.13's sgn); g * sgn(b) keeps g * 0 = NaN for an infinite or
        // NaN g, as PyTorch's grad * self.sgn().
        for (int n : LENGTHS) {
            float[] a = withSpecials(floats(n + 1, 5 * n, 2));
            float[] b = withSpecials(floats(n + 3, 7 * n, 2));
            float[] vec = new float[n + 2];
            float[] plain = new float[n + 2];
            Simd.binary(BinaryOp.ABS_BACKWARD, a, 1, 1, b, 3, 1, vec, 2, n);
            FloatKernels.plainBinary(BinaryOp.ABS_BACKWARD, a, 1, 1, b, 3, 1, plain, 2, 1, n);
            for (int i = 0; i < n; i++) {
                float g = a[1 + i];
                float x = b[3 + i];
                float want = g * (x > 0 ? 1f : x < 0 ? -1f : 0f);
                assertEquals(want, plain[2 + i], 0, "plain n=" + n + " at " + i);
                assertEquals(want, vec[2 + i], 0, "vector n=" + n + " at " + i + " g=" + g + " x=" + x);
            }
            // through the backend: dense, a broadcast gradient (stride 0) and a transposed input
            int[] shape = {n};
            Storage ga = CPU.fromHost(a);
            Storage xb = CPU.fromHost(b);
            CpuStorage dense = new CpuStorage(DType.FLOAT32, n);
            CpuStorage bcast = new CpuStorage(DType.FLOAT32, n);
            CPU.binary(BinaryOp.ABS_BACKWARD, new Strided(ga, 1, shape, new int[] {1}), new Strided(xb, 3, shape, new int[] {1}),
                    Strided.contiguous(dense, shape));
            CPU.binary(BinaryOp.ABS_BACKWARD, new Strided(ga, 1, shape, new int[] {0}), new Strided(xb, 3, shape, new int[] {1}),
                    Strided.contiguous(bcast, shape));
            double[] da = doubles(n, n + 3);
            double[] db = doubles(n, n + 4);
            db[0] = Double.NaN;
            CpuStorage dd = new CpuStorage(DType.FLOAT64, n);
            CPU.binary(BinaryOp.ABS_BACKWARD, Strided.contiguous(CPU.fromHost(DType.FLOAT64, da), shape),
                    Strided.contiguous(CPU.fromHost(DType.FLOAT64, db), shape), Strided.contiguous(dd, shape));
            for (int i = 0; i < n; i++) {
                float x = b[3 + i];
                float s = x > 0 ? 1f : x < 0 ? -1f : 0f;
                assertEquals(a[1 + i] * s, dense.f[i], 0, "backend dense n=" + n + " at " + i);
                assertEquals(a[1] * s, bcast.f[i], 0, "backend broadcast n=" + n + " at " + i);
                double ds = db[i] > 0 ? 1 : db[i] < 0 ? -1 : 0;
                assertEquals(da[i] * ds, dd.d[i], 0, "backend double n=" + n + " at " + i);
            }
        }
    }

    @Test
    void fusedActivationBackwardsFollowPyTorch() {
        float[] g = {2f, 2f, 2f, 2f, 2f};
        float[] y = {Float.NaN, -1f, 0f, 0.25f, 3f};
        float[] relu = new float[5];
        float[] sig = new float[5];
        float[] tanh = new float[5];
        CPU.binary(BinaryOp.RELU_BACKWARD, Strided.contiguous(CPU.fromHost(g), new int[] {5}),
                Strided.contiguous(CPU.fromHost(y), new int[] {5}), Strided.contiguous(new CpuStorage(relu), new int[] {5}));
        CPU.binary(BinaryOp.SIGMOID_BACKWARD, Strided.contiguous(CPU.fromHost(g), new int[] {5}),
                Strided.contiguous(CPU.fromHost(y), new int[] {5}), Strided.contiguous(new CpuStorage(sig), new int[] {5}));
        CPU.binary(BinaryOp.TANH_BACKWARD, Strided.contiguous(CPU.fromHost(g), new int[] {5}),
                Strided.contiguous(CPU.fromHost(y), new int[] {5}), Strided.contiguous(new CpuStorage(tanh), new int[] {5}));
        // threshold_backward: zero only where y <= 0, so a NaN output lets the gradient through.
        assertArrayEquals(new float[] {2f, 0f, 0f, 2f, 2f}, relu);
        assertArrayEquals(new float[] {Float.NaN, -4f, 0f, 2f * 0.75f * 0.25f, 2f * -2f * 3f}, sig);
        assertArrayEquals(new float[] {Float.NaN, 0f, 2f, 2f * (1f - 0.0625f), 2f * -8f}, tanh);
    }

    @Test
    void float32SumsOfLargeInputsStayAccurate() {
        int n = 10_000_007;
        float[] v = new float[n];
        Random r = new Random(5);
        for (int i = 0; i < n; i++) {
            v[i] = 1f + r.nextFloat() * 1e-3f; // a large common part makes naive float sums drift
        }
        double exact = 0;
        for (float e : v) {
            exact += e;
        }
        CpuStorage out = new CpuStorage(DType.FLOAT32, 1);
        CPU.reduce(ReduceOp.SUM, Strided.contiguous(new CpuStorage(v), new int[] {n}), new boolean[] {true},
                Strided.contiguous(out, new int[0]));
        assertEquals(exact, out.f[0], exact * 1e-7, "sum of all");

        // Down the columns of [n / 7, 7]: rows added into an accumulator row.
        int rows = (n - 7) / 7;
        CpuStorage cols = new CpuStorage(DType.FLOAT32, 7);
        CPU.reduce(ReduceOp.SUM, Strided.contiguous(new CpuStorage(v), new int[] {rows, 7}), new boolean[] {true, false},
                Strided.contiguous(cols, new int[] {1, 7}));
        for (int c = 0; c < 7; c++) {
            double e = 0;
            for (int i = 0; i < rows; i++) {
                e += v[i * 7 + c];
            }
            assertEquals(e, cols.f[c], e * 1e-6, "column " + c);
        }
    }

    @Test
    void aTransposedCopyIsTheElementLoopInBothTypes() {
        // tiles of rows x columns on the way; shapes around the tile sizes, a source offset, and a large one
        // split over the threads; more rows than columns (source columns further apart than destination rows)
        // take the source-ordered walk
        int[][] shapes = {{2, 3}, {3, 1}, {17, 300}, {40, 257}, {16, 256}, {64, 4096}, {300, 17}, {257, 40},
            {4096, 64}, {1000, 3}, {256, 16}};
        for (int[] sh : shapes) {
            int rows = sh[0];
            int cols = sh[1];
            float[] v = floats(rows * cols + 5, rows + cols, 1);
            double[] dv = doubles(rows * cols + 5, rows * cols);
            int[] shape = {rows, cols};
            // element (r, i) of the view at 5 + r + i * rows: a [cols, rows] storage read transposed
            int[] strides = {1, rows};
            CpuStorage o = new CpuStorage(DType.FLOAT32, rows * cols);
            CPU.copy(new Strided(CPU.fromHost(v), 5, shape, strides), Strided.contiguous(o, shape));
            CpuStorage od = new CpuStorage(DType.FLOAT64, rows * cols);
            CPU.copy(new Strided(CPU.fromHost(DType.FLOAT64, dv), 5, shape, strides), Strided.contiguous(od, shape));
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < cols; i++) {
                    assertEquals(v[5 + r + i * rows], o.f[r * cols + i], 0, rows + "x" + cols + " at " + r + "," + i);
                    assertEquals(dv[5 + r + i * rows], od.d[r * cols + i], 0, rows + "x" + cols + " double at " + r + "," + i);
                }
            }
        }
    }

    @Test
    void shortRowSumsAreEachRowsSumBitForBit() {
        for (int n : new int[] {1, 7, 8, 37, 64, 2048}) {
            for (int rows : new int[] {1, 2, 5}) {
                float[] a = withSpecials(floats(rows * n + 3, n + rows, 2));
                a[a.length - 1] = Float.NaN; // in the last row only: the other rows stay finite
                double[] got = new double[rows];
                Simd.sumRows(a, 3, n, rows, got);
                for (int k = 0; k < rows; k++) {
                    double want = Simd.sum(a, 3 + k * n, n, new float[Simd.floatLanes()]);
                    assertEquals(want, got[k], 0, "n=" + n + " rows=" + rows + " row " + k);
                }
            }
        }
    }

    @Test
    void rowAccumulationIsOneAccumulatePerRowBitForBit() {
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.MAXIMUM, BinaryOp.MINIMUM}) {
            for (int w : new int[] {1, 7, 13, 64, 67}) {
                int step = w + 3;
                int rows = 11;
                float[] x = withSpecials(floats(rows * step + 2, w, 3));
                float[] want = floats(w, 99, 1);
                float[] got = want.clone();
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < w; j++) {
                        float e = x[2 + r * step + j];
                        want[j] = op == BinaryOp.ADD ? want[j] + e : op == BinaryOp.MAXIMUM ? Math.max(want[j], e)
                                : Math.min(want[j], e);
                    }
                }
                Simd.accumulateRows(op, x, 2, step, rows, got, w);
                assertArrayEquals(want, got, op + " w=" + w);
            }
        }
    }

    @Test
    void reductionsOverEveryKindOfRunMatchALoop() {
        int[] shape = {3, 5, 70};
        float[] v = floats(3 * 5 * 70, 21, 2);
        v[77] = Float.NaN;
        boolean[][] masks = {{true, false, false}, {false, true, false}, {false, false, true}, {true, true, false},
            {false, true, true}, {true, true, true}, {true, false, true}};
        for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.MAX, ReduceOp.MIN}) {
            for (boolean[] m : masks) {
                for (boolean transposed : new boolean[] {false, true}) {
                    // transposed: the same logical tensor read from a [70, 5, 3] storage.
                    float[] data = transposed ? permute(v, shape) : v;
                    int[] strides = transposed ? new int[] {1, 3, 15} : new int[] {350, 70, 1};
                    Strided x = new Strided(CPU.fromHost(data), 0, shape, strides);
                    int[] kept = {m[0] ? 1 : 3, m[1] ? 1 : 5, m[2] ? 1 : 70};
                    CpuStorage out = new CpuStorage(DType.FLOAT32, kept[0] * kept[1] * kept[2]);
                    CPU.reduce(op, x, m, Strided.contiguous(out, kept));
                    float[] expected = reduceLoop(op, v, shape, m, kept);
                    for (int i = 0; i < expected.length; i++) {
                        float tol = Float.isNaN(expected[i]) ? 0f : Math.abs(expected[i]) * 1e-6f + 1e-5f;
                        assertEquals(expected[i], out.f[i], tol,
                                op + " mask " + java.util.Arrays.toString(m) + " transposed " + transposed + " at " + i);
                    }
                }
            }
        }
    }

    private static float[] permute(float[] v, int[] s) {
        float[] t = new float[v.length];
        for (int i = 0; i < s[0]; i++) {
            for (int j = 0; j < s[1]; j++) {
                for (int k = 0; k < s[2]; k++) {
                    t[k * s[0] * s[1] + j * s[0] + i] = v[(i * s[1] + j) * s[2] + k];
                }
            }
        }
        return t;
    }

    private static float[] reduceLoop(ReduceOp op, float[] v, int[] s, boolean[] m, int[] kept) {
        double[] acc = new double[kept[0] * kept[1] * kept[2]];
        java.util.Arrays.fill(acc, op == ReduceOp.SUM ? 0 : op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY
                : Double.POSITIVE_INFINITY);
        for (int i = 0; i < s[0]; i++) {
            for (int j = 0; j < s[1]; j++) {
                for (int k = 0; k < s[2]; k++) {
                    int o = ((m[0] ? 0 : i) * kept[1] + (m[1] ? 0 : j)) * kept[2] + (m[2] ? 0 : k);
                    double e = v[(i * s[1] + j) * s[2] + k];
                    acc[o] = op == ReduceOp.SUM ? acc[o] + e : Double.isNaN(e) || Double.isNaN(acc[o]) ? Double.NaN
                            : op == ReduceOp.MAX ? Math.max(acc[o], e) : Math.min(acc[o], e);
                }
            }
        }
        float[] f = new float[acc.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) acc[i];
        }
        return f;
    }

    @Test
    void oneThreadAndAllThreadsGiveIdenticalBits() {
        assertTrue(Parallel.THREADS >= 2, "this machine should have two cores for the comparison to mean anything");
        float[] big = floats(1 << 22, 31, 1);
        float[][] one = compute(big, 1);
        float[][] all = compute(big, Parallel.THREADS);
        // exp and the other transcendental ops are left out: the Vector API computes them one way before the JIT
        // compiles a loop and another (SVML) after, so their last bit can change during warm-up on any thread count.
        String[] what = {"sum of all", "sum over dim 0", "sum over dim 1", "max over dim 0", "sigmoid backward",
            "row broadcast add"};
        for (int i = 0; i < one.length; i++) {
            assertArrayEquals(one[i], all[i], what[i]);
        }
    }

    private static float[][] compute(float[] big, int threads) {
        int before = Parallel.limitThreads(threads);
        try {
            Strided x = Strided.contiguous(CPU.fromHost(big), new int[] {big.length});
            Strided m = Strided.contiguous(x.storage(), new int[] {big.length / 64, 64});
            CpuStorage all = new CpuStorage(DType.FLOAT32, 1);
            CPU.reduce(ReduceOp.SUM, x, new boolean[] {true}, Strided.contiguous(all, new int[0]));
            CpuStorage d0 = new CpuStorage(DType.FLOAT32, 64);
            CPU.reduce(ReduceOp.SUM, m, new boolean[] {true, false}, Strided.contiguous(d0, new int[] {1, 64}));
            CpuStorage d1 = new CpuStorage(DType.FLOAT32, big.length / 64);
            CPU.reduce(ReduceOp.SUM, m, new boolean[] {false, true}, Strided.contiguous(d1, new int[] {big.length / 64, 1}));
            CpuStorage mx = new CpuStorage(DType.FLOAT32, 64);
            CPU.reduce(ReduceOp.MAX, m, new boolean[] {true, false}, Strided.contiguous(mx, new int[] {1, 64}));
            CpuStorage ex = new CpuStorage(DType.FLOAT32, big.length);
            CPU.binary(BinaryOp.SIGMOID_BACKWARD, x, new Strided(x.storage(), 0, x.shape(), new int[] {0}),
                    Strided.contiguous(ex, x.shape()));
            CpuStorage add = new CpuStorage(DType.FLOAT32, big.length);
            Strided bias = new Strided(x.storage(), 5, m.shape(), new int[] {0, 1});
            CPU.binary(BinaryOp.ADD, m, bias, Strided.contiguous(add, m.shape()));
            return new float[][] {all.f, d0.f, d1.f, mx.f, ex.f, add.f};
        } finally {
            Parallel.limitThreads(before);
        }
    }

    @Test
    void thePoolRunsEveryTaskOnceAndRethrowsATasksFailure() {
        java.util.concurrent.atomic.AtomicIntegerArray runs = new java.util.concurrent.atomic.AtomicIntegerArray(1000);
        Parallel.forEach(1000, t -> {
            runs.incrementAndGet(t);
            Parallel.forEach(3, u -> runs.addAndGet(t, 10)); // nested: runs inline on the same thread
        });
        for (int t = 0; t < 1000; t++) {
            assertEquals(31, runs.get(t), "task " + t);
        }
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> Parallel.forEach(64, t -> {
                    if (t == 37) {
                        throw new IllegalStateException("task 37 failed");
                    }
                }));
        assertEquals("task 37 failed", e.getMessage());
    }

    private static void assertClose(double expected, double actual, double rel, String what) {
        if (Double.isNaN(expected) || Double.isNaN(actual)) {
            assertEquals(Double.isNaN(expected), Double.isNaN(actual), what + ": expected " + expected + ", got " + actual);
            return;
        }
        if (Double.isInfinite(expected) || rel == 0) {
            assertEquals(expected, actual, what);
            return;
        }
        assertEquals(expected, actual, Math.abs(expected) * rel + 1e-37, what);
    }
}
