package org.sparkgrad.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.backend.Backend;
import org.sparkgrad.engine.backend.BinaryOp;
import org.sparkgrad.engine.backend.CpuBackend;
import org.sparkgrad.engine.backend.ReduceOp;
import org.sparkgrad.engine.backend.Storage;
import org.sparkgrad.engine.backend.Strided;
import org.sparkgrad.engine.backend.UnaryOp;

/**
 * Checks the CUDA kernels' indexing and arithmetic without a GPU: the .cu sources are compiled as C++ with
 * src/test/cuda/cuda_shim.h, a driver runs one launch per case (blocks in turn, a block's threads as host
 * threads), and the result must match the CPU backend on the same views to 1e-5 relative. Skipped where
 * g++ is missing. This does not replace a run on a GPU.
 */
class KernelShimTest {
    private static final Backend CPU = CpuBackend.INSTANCE;
    private static final double RTOL = 1e-5;
    private static Path driver;

    @BeforeAll
    static void buildDriver() throws Exception {
        Assumptions.assumeTrue(KernelPtxTest.onPath("g++"), "g++ is not on the PATH: the kernel shim tests are skipped");
        Path dir = Path.of("target", "kernel-shim");
        Files.createDirectories(dir);
        Path shim = Path.of("src", "test", "cuda", "cuda_shim.h");
        List<String> objects = new ArrayList<>();
        for (String name : List.of("elementwise", "reduce")) {
            Path obj = dir.resolve(name + ".o");
            compile(List.of("g++", "-std=c++17", "-O1", "-pthread", "-x", "c++", "-include", shim.toString(), "-c",
                    KernelPtxTest.CUDA_SOURCES.resolve(name + ".cu").toString(), "-o", obj.toString()));
            objects.add(obj.toString());
        }
        driver = dir.resolve("kernel_driver");
        List<String> link = new ArrayList<>(List.of("g++", "-std=c++17", "-O1", "-pthread", "-x", "c++",
                Path.of("src", "test", "cuda", "kernel_driver.cpp").toString(), "-x", "none"));
        link.addAll(objects);
        link.addAll(List.of("-o", driver.toString()));
        compile(link);
    }

    private static void compile(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("g++ failed: " + String.join(" ", command) + "\n" + log);
        }
    }

    // ------------------------------------------------------------------ elementwise

    @Test
    void binaryOpsWithTransposedBroadcastAndOffsetOperands() throws Exception {
        float[] av = {1.5f, -2f, 3f, 0.25f, Float.NaN, 4f};
        float[] bv = {9f, 2f, -0.5f, 3f};
        int[] shape = {2, 3};
        Shape a = new Shape(0, 1, 2);   // [2,3] read from a [3,2] storage: transposed
        Shape b = new Shape(1, 0, 1);   // one row of b, offset 1, broadcast over rows
        Shape out = new Shape(2, 3, 1); // dense, offset 2
        for (BinaryOp op : BinaryOp.values()) {
            Storage so = CPU.allocate(DType.FLOAT32, 8);
            CPU.binary(op, a.view(CPU.fromHost(av), shape), b.view(CPU.fromHost(bv), shape), out.view(so, shape));
            Result r = new Launch("binary_f32", 2, 2).i(op.ordinal()).g(shape, a, b, out).f(av).f(bv).f(new float[8]).run();
            assertClose(all(so), r.buffers.get(2), "binary_f32 " + op);
        }
    }

    @Test
    void binaryOpsOverThreeDimsWithAMiddleBroadcastInDouble() throws Exception {
        int[] shape = {2, 3, 4};
        double[] av = seeded(24, 1, -2, 2);
        double[] bv = seeded(8, 2, 0.5, 2);
        Shape a = new Shape(0, 1, 2, 6);  // a permuted [4,3,2] storage
        Shape b = new Shape(0, 4, 0, 1);  // [2,1,4] broadcast over the middle dimension
        Shape out = new Shape(0, 12, 4, 1);
        for (BinaryOp op : List.of(BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.POW,
                BinaryOp.MAXIMUM, BinaryOp.MINIMUM, BinaryOp.LT, BinaryOp.GE)) {
            Storage so = CPU.allocate(DType.FLOAT64, 24);
            CPU.binary(op, a.view(CPU.fromHost(DType.FLOAT64, av), shape), b.view(CPU.fromHost(DType.FLOAT64, bv), shape),
                    out.view(so, shape));
            Result r = new Launch("binary_f64", 3, 4).i(op.ordinal()).g(shape, a, b, out).d(av).d(bv).d(new double[24]).run();
            assertClose(all(so), r.buffers.get(2), "binary_f64 " + op);
        }
    }

    @Test
    void everyUnaryOpOnATransposedInput() throws Exception {
        float[] xv = {-2.5f, -1f, -0f, 0f, 0.5f, 1f, 3f, 20f, -30f, Float.NaN, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY};
        int[] shape = {3, 4};
        Shape x = new Shape(0, 1, 3);
        Shape out = new Shape(0, 4, 1);
        for (UnaryOp op : UnaryOp.values()) {
            Storage so = CPU.allocate(DType.FLOAT32, 12);
            CPU.unary(op, x.view(CPU.fromHost(xv), shape), out.view(so, shape));
            Result r = new Launch("unary_f32", 2, 5).i(op.ordinal()).g(shape, x, out).f(xv).f(new float[12]).run();
            assertClose(all(so), r.buffers.get(1), "unary_f32 " + op);

            double[] xd = new double[12];
            for (int i = 0; i < 12; i++) {
                xd[i] = xv[i];
            }
            Storage sd = CPU.allocate(DType.FLOAT64, 12);
            CPU.unary(op, x.view(CPU.fromHost(DType.FLOAT64, xd), shape), out.view(sd, shape));
            Result rd = new Launch("unary_f64", 1, 3).i(op.ordinal()).g(shape, x, out).d(xd).d(new double[12]).run();
            assertClose(all(sd), rd.buffers.get(1), "unary_f64 " + op);
        }
    }

    @Test
    void whereWithABroadcastByteMask() throws Exception {
        int[] shape = {2, 3};
        double[] cond = {1, 0, 1};
        float[] av = {1, 2, 3, 4, 5, 6};
        float[] bv = {-1, -2, -3, -4, -5, -6};
        Shape c = new Shape(0, 0, 1);
        Shape a = new Shape(0, 3, 1);
        Shape b = new Shape(0, 1, 2);
        Storage so = CPU.allocate(DType.FLOAT32, 6);
        CPU.where(c.view(CPU.fromHost(DType.BOOL, cond), shape), a.view(CPU.fromHost(av), shape),
                b.view(CPU.fromHost(bv), shape), a.view(so, shape));
        Result r = new Launch("where_u8_f32", 2, 2).g(shape, c, a, b, a).u(new int[] {1, 0, 1}).f(av).f(bv).f(new float[6]).run();
        assertClose(all(so), r.buffers.get(3), "where_u8_f32");
    }

    @Test
    void fillCopyAndAxpyOnStridedViews() throws Exception {
        int[] shape = {2, 2};
        Shape every2nd = new Shape(1, 4, 2);
        Storage sf = CPU.allocate(DType.FLOAT32, 8);
        CPU.fill(every2nd.view(sf, shape), 7.5);
        Result fill = new Launch("fill_f32", 1, 3).g(shape, every2nd).dScalar(7.5).f(new float[8]).run();
        assertClose(all(sf), fill.buffers.get(0), "fill_f32");

        float[] src = {-2.7f, 1.5f, 3.9f, -0.2f, 8f, 100.5f};
        int[] s23 = {2, 3};
        Shape t = new Shape(0, 1, 2);
        Shape dense = new Shape(1, 3, 1);
        Storage s64 = CPU.allocate(DType.FLOAT64, 7);
        CPU.copy(t.view(CPU.fromHost(src), s23), dense.view(s64, s23));
        Result c64 = new Launch("copy_f32_f64", 2, 2).g(s23, t, dense).f(src).d(new double[7]).run();
        assertClose(all(s64), c64.buffers.get(1), "copy_f32_f64");

        Storage si = CPU.allocate(DType.INT64, 7);
        CPU.copy(t.view(CPU.fromHost(src), s23), dense.view(si, s23));
        Result ci = new Launch("copy_f32_i64", 2, 2).g(s23, t, dense).f(src).l(new long[7]).run();
        assertClose(all(si), ci.buffers.get(1), "copy_f32_i64 (truncates toward zero)");

        float[] y = {1, 2, 3, 4, 5, 6, 7};
        Shape row = new Shape(2, 0, 1);
        Storage sy = CPU.fromHost(y);
        CPU.axpy(0.5, row.view(CPU.fromHost(src), s23), dense.view(sy, s23));
        Result ax = new Launch("axpy_f32", 2, 2).g(s23, row, dense).dScalar(0.5).f(src).f(y).run();
        assertClose(all(sy), ax.buffers.get(1), "axpy_f32");
    }

    // ------------------------------------------------------------------ reductions

    @Test
    void reduceOverSeveralMasksOfContiguousAndTransposedInputs() throws Exception {
        int[] shape = {2, 3, 4};
        float[] xv = toFloat(seeded(24, 3, 0.5, 1.5));
        boolean[][] masks = {{true, false, false}, {false, true, false}, {false, false, true}, {true, false, true},
            {false, true, true}, {true, true, true}};
        for (Shape x : List.of(new Shape(0, 12, 4, 1), new Shape(0, 1, 2, 6))) {
            for (boolean[] mask : masks) {
                for (ReduceOp op : ReduceOp.values()) {
                    checkReduce(op, xv, shape, x, mask, 2, 3);
                    checkReduce(op, xv, shape, x, mask, 3, 4);
                }
            }
        }
    }

    @Test
    void reduceMaxAndMinPropagateNaNAndReduceInDouble() throws Exception {
        int[] shape = {2, 3, 4};
        float[] xv = toFloat(seeded(24, 4, -1, 1));
        xv[5] = Float.NaN;
        for (ReduceOp op : ReduceOp.values()) {
            checkReduce(op, xv, shape, new Shape(0, 12, 4, 1), new boolean[] {false, false, true}, 2, 4);
            checkReduce(op, xv, shape, new Shape(0, 12, 4, 1), new boolean[] {true, false, false}, 1, 2);
        }
        double[] xd = seeded(24, 5, -3, 3);
        Shape t = new Shape(0, 1, 2, 6);
        boolean[] mask = {true, false, true};
        for (ReduceOp op : ReduceOp.values()) {
            Storage so = CPU.allocate(DType.FLOAT64, 3);
            CPU.reduce(op, t.view(CPU.fromHost(DType.FLOAT64, xd), shape), mask, Strided.contiguous(so, new int[] {1, 3, 1}));
            Result r = new Launch("reduce_f64", 2, 4).i(op.ordinal()).g(shape, t).i(5).i(3).i(8).d(xd).i(0).d(new double[3]).run();
            assertClose(all(so), r.buffers.get(1), "reduce_f64 " + op);
        }
    }

    private static void checkReduce(ReduceOp op, float[] xv, int[] shape, Shape x, boolean[] mask, int grid, int block)
            throws Exception {
        int[] outShape = shape.clone();
        int bits = 0;
        int inner = 1;
        for (int d = 0; d < shape.length; d++) {
            if (mask[d]) {
                outShape[d] = 1;
                bits |= 1 << d;
                inner *= shape[d];
            }
        }
        int outer = Arrays.stream(outShape).reduce(1, (p, q) -> p * q);
        Storage so = CPU.allocate(DType.FLOAT32, outer + 1);
        CPU.reduce(op, x.view(CPU.fromHost(xv), shape), mask,
                new Strided(so, 1, outShape, Strided.contiguousStrides(outShape)));
        Result r = new Launch("reduce_f32", grid, block).i(op.ordinal()).g(shape, x).i(bits).i(outer).i(inner).f(xv).i(1)
                .f(new float[outer + 1]).run();
        assertClose(all(so), r.buffers.get(1), "reduce_f32 " + op + " over " + Arrays.toString(mask) + " of strides "
                + Arrays.toString(x.strides) + " with block " + block);
    }

    @Test
    void argReduceTakesTheFirstExtremeAndStopsAtNaN() throws Exception {
        float[] xv = {1, 3, 3, 2, 2, 1, 3, 0, 3};
        int[] shape = {3, 3};
        float[] withNaN = {1, Float.NaN, 5, 2, 2, 9, 0, 0, 0};
        for (float[] values : List.of(xv, withNaN)) {
            for (Shape x : List.of(new Shape(0, 3, 1), new Shape(0, 1, 3))) {
                for (int dim = 0; dim < 2; dim++) {
                    for (boolean max : new boolean[] {true, false}) {
                        int[] outShape = shape.clone();
                        outShape[dim] = 1;
                        Storage sv = CPU.allocate(DType.FLOAT32, 3);
                        Storage si = CPU.allocate(DType.INT64, 3);
                        CPU.argReduce(max, x.view(CPU.fromHost(values), shape), dim, Strided.contiguous(sv, outShape),
                                Strided.contiguous(si, outShape));
                        Result r = new Launch("argreduce_f32", 2, 2).i(max ? 1 : 0).g(shape, x).i(dim).f(values).i(0)
                                .f(new float[3]).i(0).l(new long[3]).run();
                        String what = "argreduce_f32 max=" + max + " dim=" + dim + " of " + Arrays.toString(values)
                                + " strides " + Arrays.toString(x.strides);
                        assertClose(all(sv), r.buffers.get(1), what + " values");
                        assertClose(all(si), r.buffers.get(2), what + " indices");
                    }
                }
            }
        }
    }

    @Test
    void softmaxAndLogSoftmaxRowsWithLargeValuesAndPaddedRows() throws Exception {
        float[] dense = {1000, 1001, 1002, 999, 1000.5f, -1000, -1000, -999, -1001, -1000, 0.1f, -0.2f, 3, 2, 0};
        int rows = 3;
        int cols = 5;
        int stride = 7;
        int offset = 2;
        float[] padded = new float[offset + rows * stride];
        Arrays.fill(padded, Float.NaN); // the padding must never be read
        for (int r = 0; r < rows; r++) {
            System.arraycopy(dense, r * cols, padded, offset + r * stride, cols);
        }
        Tensor x = Tensor.tensor(dense, rows, cols);
        for (int log = 0; log < 2; log++) {
            float[] expected = log == 1 ? x.logSoftmax(1).toFloatArray() : x.softmax(1).toFloatArray();
            for (int block : new int[] {1, 3, 4}) {
                Result r = new Launch("softmax_rows_f32", 2, block).i(log).i(rows).i(cols).f(padded).i(offset).i(stride)
                        .f(new float[rows * cols]).i(0).i(cols).run();
                assertClose(toDouble(expected), r.buffers.get(1), "softmax_rows_f32 log=" + log + " block=" + block);
            }
        }
    }

    @Test
    void softmaxBackwardMatchesAutogradOnTheCpu() throws Exception {
        float[] xv = {0.5f, -1, 2, 0, 1, 3, 3, -2, 100, 101, 99, 100.5f};
        float[] gv = {1, 0, -1, 2, 0.5f, -0.5f, 1, 1, 0.25f, -2, 3, 0};
        int rows = 3;
        int cols = 4;
        for (int log = 0; log < 2; log++) {
            Tensor x = Tensor.tensor(xv, rows, cols).requiresGrad_();
            Tensor y = log == 1 ? x.logSoftmax(1) : x.softmax(1);
            y.backward(Tensor.tensor(gv, rows, cols));
            float[] expected = x.grad().toFloatArray();
            Result r = new Launch("softmax_backward_rows_f32", 2, 3).i(log).i(rows).i(cols).f(y.toFloatArray()).i(0).f(gv)
                    .i(0).f(new float[rows * cols]).i(0).run();
            assertClose(toDouble(expected), r.buffers.get(2), "softmax_backward_rows_f32 log=" + log);
        }
    }

    /** Rows: large values, a -inf entry, all -inf, a +inf entry, a NaN: the CPU primitive's shift-by-0 rule. */
    private static final double[] AWKWARD_ROWS = {
        1000, 1001, 999.5, 1002,
        1, Double.NEGATIVE_INFINITY, 0.5, 2,
        Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY,
        Double.POSITIVE_INFINITY, 1, -2, 0,
        Double.NaN, 1, 2, 3,
    };

    @Test
    void softmaxRowsMatchTheCpuPrimitiveOnInfiniteAndNaNRowsInBothTypes() throws Exception {
        int rows = 5;
        int cols = 4;
        int stride = 6;
        int offset = 1;
        double[] padded = new double[offset + rows * stride];
        Arrays.fill(padded, 12345); // the padding must never be read
        for (int r = 0; r < rows; r++) {
            System.arraycopy(AWKWARD_ROWS, r * cols, padded, offset + r * stride, cols);
        }
        int[] shape = {rows, cols};
        for (DType t : List.of(DType.FLOAT32, DType.FLOAT64)) {
            Strided x = new Shape(offset, stride, 1).view(CPU.fromHost(t, padded), shape);
            for (int log = 0; log < 2; log++) {
                Storage so = CPU.allocate(t, rows * cols);
                CPU.softmax(log == 1, x, 1, Strided.contiguous(so, shape));
                for (int block : new int[] {1, 3}) {
                    Launch launch = new Launch(KernelNames.softmax(t), 2, block).i(log).i(rows).i(cols);
                    launch = t == DType.FLOAT32 ? launch.f(toFloat(padded)) : launch.d(padded);
                    launch.i(offset).i(stride);
                    launch = t == DType.FLOAT32 ? launch.f(new float[rows * cols]) : launch.d(new double[rows * cols]);
                    Result r = launch.i(0).i(cols).run();
                    assertClose(all(so), r.buffers.get(1), KernelNames.softmax(t) + " log=" + log + " block=" + block);
                }
            }
        }
    }

    @Test
    void softmaxBackwardRowsMatchTheCpuPrimitiveInBothTypes() throws Exception {
        int rows = 4;
        int cols = 5;
        int[] shape = {rows, cols};
        double[] xv = seeded(rows * cols, 21, -3, 3);
        xv[7] = Double.NEGATIVE_INFINITY; // y = 0 (log: -inf) there
        double[] gv = seeded(rows * cols, 22, -2, 2);
        for (DType t : List.of(DType.FLOAT32, DType.FLOAT64)) {
            for (int log = 0; log < 2; log++) {
                Storage sy = CPU.allocate(t, rows * cols);
                CPU.softmax(log == 1, Strided.contiguous(CPU.fromHost(t, xv), shape), 1, Strided.contiguous(sy, shape));
                Storage sg = CPU.fromHost(t, gv);
                Storage sx = CPU.allocate(t, rows * cols);
                CPU.softmaxBackward(log == 1, Strided.contiguous(sy, shape), Strided.contiguous(sg, shape), 1,
                        Strided.contiguous(sx, shape));
                double[] y = all(sy);
                double[] g = all(sg);
                Launch launch = new Launch(KernelNames.softmaxBackward(t), 3, 4).i(log).i(rows).i(cols);
                launch = t == DType.FLOAT32 ? launch.f(toFloat(y)).i(0).f(toFloat(g)) : launch.d(y).i(0).d(g);
                launch.i(0);
                launch = t == DType.FLOAT32 ? launch.f(new float[rows * cols]) : launch.d(new double[rows * cols]);
                Result r = launch.i(0).run();
                assertClose(all(sx), r.buffers.get(2), KernelNames.softmaxBackward(t) + " log=" + log);
            }
        }
    }

    /**
     * CudaBackend.softmax's layout step for any dim of a permuted view: the dense copy of the view with dim moved
     * last goes through the row kernel, and the rows are copied back through out viewed with dim moved last.
     */
    @Test
    void softmaxAlongAnyDimOfAPermutedViewThroughTheDimLastLayout() throws Exception {
        int[] shape = {2, 3, 4};
        double[] xv = seeded(24, 31, -4, 4);
        Strided x = new Shape(0, 1, 2, 6).view(CPU.fromHost(DType.FLOAT32, xv), shape); // a permuted [4,3,2] storage
        for (int dim = 0; dim < 3; dim++) {
            for (int log = 0; log < 2; log++) {
                Storage expected = CPU.allocate(DType.FLOAT32, 24);
                CPU.softmax(log == 1, x, dim, Strided.contiguous(expected, shape));
                Strided xl = CudaBackend.dimLast(x, dim);
                int cols = shape[dim];
                int rows = 24 / cols;
                Result r = new Launch("softmax_rows_f32", 2, 3).i(log).i(rows).i(cols).f(CPU.toHostFloat(xl)).i(0).i(cols)
                        .f(new float[24]).i(0).i(cols).run();
                Storage out = CPU.allocate(DType.FLOAT32, 24);
                Strided ol = CudaBackend.dimLast(Strided.contiguous(out, shape), dim);
                CPU.copy(Strided.contiguous(CPU.fromHost(DType.FLOAT32, r.buffers.get(1)), ol.shape()), ol);
                assertClose(all(expected), all(out), "softmax_rows_f32 via dimLast, dim=" + dim + " log=" + log);
            }
        }
    }

    // ------------------------------------------------------------------ indexing

    @Test
    void gatherAlongEitherDimWithNegativeIndices() throws Exception {
        float[] xv = {10, 11, 20, 21, 30, 31};
        int[] xShape = {3, 2};
        int[] xStrides = {2, 1};
        long[][] indices = {{2, 0, 2, 2, 0, 1, -1, 0}, {1, 0, -2, 1, 1, 0}};
        int[][] indexShapes = {{4, 2}, {3, 2}};
        for (int dim = 0; dim < 2; dim++) {
            int[] shape = indexShapes[dim];
            int n = shape[0] * shape[1];
            int[] xs = xStrides.clone();
            xs[dim] = 0;
            Shape base = new Shape(0, xs);
            Shape dense = new Shape(0, shape[1], 1);
            Storage so = CPU.allocate(DType.FLOAT32, n);
            CPU.gather(Strided.contiguous(CPU.fromHost(xv), xShape), dim, dense.view(CPU.fromHost(DType.INT64,
                    toDouble(indices[dim])), shape), dense.view(so, shape));
            Result r = new Launch("gather_f32", 2, 3).g(shape, base, dense, dense).i(xShape[dim]).i(xStrides[dim]).f(xv)
                    .l(indices[dim]).f(new float[n]).e().run();
            assertClose(all(so), r.buffers.get(2), "gather_f32 dim=" + dim);
            assertEquals(0, r.error, "gather_f32 error flag");
        }
        Result bad = new Launch("gather_f32", 1, 2).g(new int[] {1, 2}, new Shape(0, 0, 1), new Shape(0, 2, 1),
                new Shape(0, 2, 1)).i(3).i(2).f(xv).l(new long[] {3, 0}).f(new float[2]).e().run();
        assertEquals(1, bad.error, "an index of 3 for a dimension of size 3 must set the error flag");
    }

    @Test
    void scatterAddSumsRepeatedIndices() throws Exception {
        long[] index = {2, 0, 2, 2, 0, 2, -1, 0, 2, 2};
        float[] src = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        int[] shape = {5, 2};
        float[] start = {0.5f, 0, 0, 0, 0, 1};
        Storage so = CPU.fromHost(start);
        Shape dense = new Shape(0, 2, 1);
        CPU.scatterAdd(Strided.contiguous(so, new int[] {3, 2}), 0, dense.view(CPU.fromHost(DType.INT64, toDouble(index)),
                shape), dense.view(CPU.fromHost(src), shape));
        Result r = new Launch("scatter_add_f32", 2, 3).g(shape, new Shape(0, 0, 1), dense, dense).i(3).i(2).f(start)
                .l(index).f(src).e().run();
        assertClose(all(so), r.buffers.get(0), "scatter_add_f32");
        assertEquals(0, r.error, "scatter_add_f32 error flag");
        Result bad = new Launch("scatter_add_f32", 1, 1).g(new int[] {1, 1}, new Shape(0, 0, 1), new Shape(0, 1, 1),
                new Shape(0, 1, 1)).i(3).i(2).f(new float[6]).l(new long[] {-4}).f(new float[] {1}).e().run();
        assertEquals(1, bad.error, "an index of -4 for a dimension of size 3 must set the error flag");
        assertClose(new double[6], bad.buffers.get(0), "an out-of-range scatter must not write");
    }

    @Test
    void scatterAddF64SumsRepeatedIndicesThroughTheCasFallback() throws Exception {
        // The shim plays a CC 5.0 device, so the double atomicAdd is the atomicCAS loop; 3 blocks of 64 threads
        // add 192 values onto 2 elements.
        int n = 192;
        long[] index = new long[n];
        double[] src = new double[n];
        for (int i = 0; i < n; i++) {
            index[i] = i % 3 == 0 ? 1 : 0;
            src[i] = 0.25 + i;
        }
        double[] start = {1.5, -2};
        Storage so = CPU.fromHost(DType.FLOAT64, start);
        Shape dense = new Shape(0, 1);
        int[] shape = {n};
        CPU.scatterAdd(Strided.contiguous(so, new int[] {2}), 0, dense.view(CPU.fromHost(DType.INT64, toDouble(index)),
                shape), dense.view(CPU.fromHost(DType.FLOAT64, src), shape));
        Result r = new Launch("scatter_add_f64", 3, 64).g(shape, new Shape(0, 0), dense, dense).i(2).i(1).d(start)
                .l(index).d(src).e().run();
        assertClose(all(so), r.buffers.get(0), "scatter_add_f64");
        assertEquals(0, r.error, "scatter_add_f64 error flag");
    }

    // ------------------------------------------------------------------ helpers

    /** An operand's offset and strides. */
    private record Shape(int offset, int... strides) {
        Strided view(Storage s, int[] shape) {
            return new Strided(s, offset, shape, strides);
        }
    }

    /** The buffers a launch left, in argument order, and its error flag. */
    private record Result(List<double[]> buffers, int error) {
    }

    /** One kernel launch on the shim driver, its arguments in the kernel's order. */
    private static final class Launch {
        private final StringBuilder in = new StringBuilder();

        Launch(String kernel, int grid, int block) {
            in.append(kernel).append(' ').append(grid).append(' ').append(block).append('\n');
        }

        Launch i(int v) {
            in.append("i ").append(v).append('\n');
            return this;
        }

        Launch dScalar(double v) {
            in.append("d ").append(v).append('\n');
            return this;
        }

        Launch g(int[] shape, Shape... operands) {
            int[] geom = new int[46];
            geom[0] = shape.length;
            geom[1] = Arrays.stream(shape).reduce(1, (p, q) -> p * q);
            System.arraycopy(shape, 0, geom, 2, shape.length);
            for (int k = 0; k < operands.length; k++) {
                geom[10 + k] = operands[k].offset;
                System.arraycopy(operands[k].strides, 0, geom, 14 + 8 * k, shape.length);
            }
            in.append('g');
            for (int v : geom) {
                in.append(' ').append(v);
            }
            in.append('\n');
            return this;
        }

        Launch f(float[] v) {
            in.append("f ").append(v.length);
            for (float x : v) {
                in.append(' ').append(Float.isNaN(x) ? "nan" : Float.isInfinite(x) ? (x > 0 ? "inf" : "-inf") : Float.toString(x));
            }
            in.append('\n');
            return this;
        }

        Launch d(double[] v) {
            in.append("D ").append(v.length);
            for (double x : v) {
                in.append(' ').append(Double.isNaN(x) ? "nan" : Double.isInfinite(x) ? (x > 0 ? "inf" : "-inf") : Double.toString(x));
            }
            in.append('\n');
            return this;
        }

        Launch l(long[] v) {
            in.append("l ").append(v.length);
            for (long x : v) {
                in.append(' ').append(x);
            }
            in.append('\n');
            return this;
        }

        Launch u(int[] v) {
            in.append("u ").append(v.length);
            for (int x : v) {
                in.append(' ').append(x);
            }
            in.append('\n');
            return this;
        }

        Launch e() {
            in.append("e\n");
            return this;
        }

        Result run() throws IOException, InterruptedException {
            Process p = new ProcessBuilder(driver.toString()).redirectErrorStream(true).start();
            try (OutputStream os = p.getOutputStream()) {
                os.write(in.toString().getBytes(StandardCharsets.US_ASCII));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "driver did not finish for:\n" + in);
            assertEquals(0, p.exitValue(), "driver failed for:\n" + in + "\noutput:\n" + out);
            List<double[]> buffers = new ArrayList<>();
            int error = -1;
            for (String line : out.split("\n")) {
                String[] tok = line.trim().split(" ");
                if (tok[0].equals("buf")) {
                    double[] v = new double[tok.length - 1];
                    for (int j = 1; j < tok.length; j++) {
                        v[j - 1] = parse(tok[j]);
                    }
                    buffers.add(v);
                } else if (tok[0].equals("err")) {
                    error = Integer.parseInt(tok[1]);
                }
            }
            return new Result(buffers, error);
        }

        private static double parse(String s) {
            return switch (s.toLowerCase()) {
                case "nan", "-nan" -> Double.NaN;
                case "inf" -> Double.POSITIVE_INFINITY;
                case "-inf" -> Double.NEGATIVE_INFINITY;
                default -> Double.parseDouble(s);
            };
        }
    }

    private static double[] all(Storage s) {
        return CPU.toHostDouble(Strided.contiguous(s, new int[] {s.length()}));
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            boolean ok = (Double.isNaN(e) && Double.isNaN(a)) || e == a
                    || Math.abs(e - a) <= RTOL * Math.max(Math.abs(e), Math.abs(a)) + 1e-7;
            if (!ok) {
                fail(what + ": element " + i + " expected " + e + " but the kernel gave " + a + "\nexpected "
                        + Arrays.toString(expected) + "\nkernel   " + Arrays.toString(actual));
            }
        }
    }

    private static double[] seeded(int n, long seed, double lo, double hi) {
        Random rnd = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * rnd.nextDouble();
        }
        return v;
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static double[] toDouble(long[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
