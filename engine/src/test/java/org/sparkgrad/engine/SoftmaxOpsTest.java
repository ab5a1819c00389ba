package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.backend.BinaryOp;
import org.sparkgrad.engine.backend.ReduceOp;
import org.sparkgrad.engine.backend.UnaryOp;

/**
 * The fused softmax/logSoftmax primitives against the composition the engine used before them (max shift,
 * exp, sum, div/log), bit for bit, on strided views, both dtypes, infinite and NaN rows and a 0-dim tensor;
 * and the plain (fused) backward against the create_graph (composed) one.
 */
class SoftmaxOpsTest {
    private static final double INF = Double.POSITIVE_INFINITY;

    /** [4, 5]: ordinary values, a -inf entry, an all -inf row, a +inf entry; one NaN row when withNaN. */
    private static double[] awkward(boolean withNaN) {
        return new double[] {
            0.5, -1.25, 3, 2.75, 100,
            1, -INF, 0.25, -3, 2,
            -INF, -INF, -INF, -INF, -INF,
            withNaN ? Double.NaN : 7, INF, 1, -2, 4,
        };
    }

    // ------------------------------------------------------------------ the former composition

    private static boolean[] one(Tensor x, int d) {
        boolean[] m = new boolean[x.dim()];
        if (x.dim() > 0) {
            m[d] = true;
        }
        return m;
    }

    private static Tensor shifted(Tensor x, boolean[] m) {
        Tensor xf = Dispatch.as(x, Dispatch.floating(x.dtype()));
        Tensor max = Dispatch.reduce(ReduceOp.MAX, xf, m, true);
        Tensor safe = Dispatch.where(Dispatch.unary(UnaryOp.NONFINITE, max).ne(0.0), Tensor.zerosLike(max), max);
        return Dispatch.binary(BinaryOp.SUB, xf, safe);
    }

    private static Tensor composed(boolean log, Tensor x, int dim) {
        int d = Shapes.wrapDim(dim, x.dim());
        boolean[] m = one(x, d);
        Tensor z = shifted(x, m);
        Tensor e = Dispatch.unary(UnaryOp.EXP, z);
        Tensor sum = Dispatch.reduce(ReduceOp.SUM, e, m, true);
        return log ? Dispatch.binary(BinaryOp.SUB, z, Dispatch.unary(UnaryOp.LOG, sum)) : Dispatch.binary(BinaryOp.DIV, e, sum);
    }

    private static Tensor fused(boolean log, Tensor x, int dim) {
        return log ? x.logSoftmax(dim) : x.softmax(dim);
    }

    /**
     * Equal within a few units in the last place of the larger magnitude, or of 1 (NaN equals NaN, infinities exactly):
     * the composed ops run vectorised exp and blocked sums on dense runs, the fused kernel its own loops, so
     * the last bits may differ.
     */
    private static void assertSame(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        assertEquals(expected.dtype(), actual.dtype(), what + " dtype");
        boolean f32 = expected.dtype() == DType.FLOAT32;
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            if (Double.isNaN(e[i]) || Double.isInfinite(e[i]) || e[i] == 0) {
                assertEquals(e[i], a[i], 0.0, what + " at " + i);
                continue;
            }
            double ulp = f32 ? Math.ulp((float) Math.max(Math.abs(e[i]), Math.abs(a[i]))) : Math.ulp(Math.max(Math.abs(e[i]),
                    Math.abs(a[i])));
            // The VJP subtracts nearly equal terms, so an absolute floor at the terms' scale (about 1) as well.
            assertEquals(e[i], a[i], 8 * ulp + (f32 ? 1e-6 : 1e-14), what + " at " + i);
        }
    }

    /** The inputs of the forward cases: dense, transposed, a permuted 3-d view, a broadcast (stride 0) view. */
    private static List<Tensor> views(DType dtype) {
        Tensor dense = Tensor.tensor(awkward(true), dtype, 4, 5);
        Tensor transposed = Tensor.tensor(awkward(true), dtype, 5, 4).transpose(0, 1);
        Tensor permuted = Tensor.randn(new Generator(7), 4, 2, 3).to(dtype).permute(2, 0, 1);
        Tensor broadcast = Tensor.tensor(new double[] {1, -INF, 3, 0.5}, dtype, 4, 1).expand(4, 3);
        return List.of(dense, transposed, permuted, broadcast);
    }

    @Test
    void forwardEqualsTheFormerCompositionOnStridedViewsInBothTypes() {
        for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
            for (Tensor x : views(dtype)) {
                for (int dim = -x.dim(); dim < x.dim(); dim++) {
                    for (boolean log : new boolean[] {false, true}) {
                        String what = (log ? "logSoftmax" : "softmax") + "(" + dim + ") " + dtype + " of "
                                + java.util.Arrays.toString(x.shape()) + " strides " + java.util.Arrays.toString(x.strides());
                        Tensor out = fused(log, x, dim);
                        assertTrue(out.isContiguous(), what + " is contiguous");
                        assertSame(composed(log, x, dim), out, what);
                    }
                }
            }
        }
    }

    @Test
    void infiniteAndNaNRowsFollowTheShiftByZeroRule() {
        Tensor p = Tensor.tensor(awkward(true), DType.FLOAT64, 4, 5).softmax(-1);
        double[] v = p.toArray();
        assertEquals(0.0, v[6], "a -inf entry has probability 0");
        assertEquals(1.0, v[5] + v[7] + v[8] + v[9], 1e-15);
        for (int i = 10; i < 20; i++) {
            assertTrue(Double.isNaN(v[i]), "all -inf and NaN rows give NaN, element " + i);
        }
        Tensor q = Tensor.tensor(new double[] {INF, 1, -INF, 0, -INF, 3}, DType.FLOAT64, 2, 3);
        double[] s = q.softmax(1).toArray();
        assertTrue(Double.isNaN(s[0]), "+inf/+inf");
        assertEquals(0.0, s[1]);
        assertEquals(0.0, s[2]);
        assertArrayEquals(new double[] {1 / (1 + Math.exp(3)), 0, Math.exp(3) / (1 + Math.exp(3))},
                java.util.Arrays.copyOfRange(s, 3, 6), 1e-15);
        double[] l = q.logSoftmax(1).toArray();
        assertEquals(Double.NEGATIVE_INFINITY, l[4], "log of probability 0");
        assertEquals(-Math.log1p(Math.exp(3)), l[3], 1e-15);
    }

    @Test
    void zeroDimTensorsAreOneRowOfOne() {
        for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
            Tensor x = Tensor.tensor(new double[] {2.5}, dtype).requiresGrad_();
            Tensor s = x.softmax(0);
            assertEquals(0, s.dim());
            assertEquals(1.0, s.item());
            assertEquals(0.0, x.logSoftmax(-1).item());
            assertTrue(Double.isNaN(Tensor.tensor(new double[] {INF}, dtype).softmax(0).item()));
            assertTrue(Double.isNaN(Tensor.tensor(new double[] {-INF}, dtype).logSoftmax(0).item()));
            s.backward(Tensor.tensor(new double[] {3}, dtype));
            assertEquals(0.0, x.grad().item(), "d softmax / dx of one element is 0");
        }
    }

    @Test
    void integerInputsComputeInFloat32() {
        Tensor x = Tensor.tensor(new double[] {0, 1, 2}, DType.INT64, 3);
        assertSame(composed(false, x, 0), x.softmax(0), "softmax of int64");
        assertEquals(DType.FLOAT32, x.logSoftmax(0).dtype());
    }

    @Test
    void anEmptyTensorGivesAnEmptyResult() {
        assertArrayEquals(new int[] {0, 3}, Tensor.zeros(0, 3).softmax(1).shape());
        assertArrayEquals(new int[] {2, 0}, Tensor.zeros(2, 0).logSoftmax(1).shape());
    }

    // ------------------------------------------------------------------ backward

    /** x.grad after a plain backward (fused VJP) or a create_graph backward (composed VJP). */
    private static Tensor grad(boolean log, Tensor x0, int dim, Tensor g, boolean createGraph) {
        Tensor x = x0.detach().requiresGrad_();
        fused(log, x, dim).backward(g, false, createGraph);
        assertEquals(createGraph, x.grad().gradFn() != null, "the create_graph VJP is recorded, the plain one is not");
        return x.grad();
    }

    @Test
    void plainBackwardEqualsTheDifferentiableCompositionOnStridedViews() {
        for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
            Tensor finite = Tensor.tensor(awkward(false), dtype, 4, 5);
            Tensor transposed = Tensor.randn(new Generator(3), 5, 4).to(dtype).transpose(0, 1);
            Tensor permuted = Tensor.randn(new Generator(5), 3, 2, 4).to(dtype).permute(1, 2, 0);
            for (Tensor x : List.of(finite, transposed, permuted)) {
                Tensor gDense = Tensor.randn(new Generator(11), x.shape()).to(dtype);
                Tensor gStrided = Tensor.randn(new Generator(13), x.shape()[x.dim() - 1], x.shape()[0]).to(dtype)
                        .transpose(0, 1);
                for (int dim : new int[] {0, -1}) {
                    for (boolean log : new boolean[] {false, true}) {
                        String what = (log ? "logSoftmax" : "softmax") + "(" + dim + ") " + dtype + " of "
                                + java.util.Arrays.toString(x.shape());
                        Tensor fusedGrad = grad(log, x, dim, gDense, false);
                        assertSame(grad(log, x, dim, gDense, true), fusedGrad, what);
                        if (x.dim() == 2) {
                            assertSame(grad(log, x, dim, gStrided, true), grad(log, x, dim, gStrided, false),
                                    what + " with a transposed gradient");
                        }
                    }
                }
            }
        }
    }

    @Test
    void denseFloatRowsLongerThanAVectorBackwardAsAPlainLoop() {
        // rows of 37: vector body and scalar tail of the dense VJP loops, against the formulas element by element
        int rows = 3;
        int len = 37;
        Tensor x0 = Tensor.randn(new Generator(21), rows, len).mul(3.0);
        Tensor g = Tensor.randn(new Generator(22), rows, len);
        float[] gv = g.toFloatArray();
        for (boolean log : new boolean[] {false, true}) {
            Tensor x = x0.detach().requiresGrad_();
            Tensor y = fused(log, x, 1);
            y.backward(g);
            float[] yv = y.toFloatArray();
            float[] got = x.grad().toFloatArray();
            for (int r = 0; r < rows; r++) {
                double acc = 0;
                for (int j = 0; j < len; j++) {
                    int i = r * len + j;
                    acc += log ? gv[i] : gv[i] * yv[i];
                }
                float s = (float) acc;
                for (int j = 0; j < len; j++) {
                    int i = r * len + j;
                    float want = log ? gv[i] - (float) Math.exp(yv[i]) * s : gv[i] * yv[i] - yv[i] * s;
                    // the fused row sum is the vector loop's (the composed sum's), not this sequential one
                    assertEquals(want, got[i], 4 * Math.ulp(Math.max(1f, Math.abs(want))) + 1e-6,
                            (log ? "logSoftmax" : "softmax") + " row " + r + " at " + j);
                }
            }
            assertSame(grad(log, x0, 1, g, true), x.grad(), (log ? "logSoftmax" : "softmax") + " fused vs composed, rows of 37");
        }
    }

    @Test
    void backwardHandValuesWithAMinusInfinityEntry() {
        // y = softmax([0, -inf, ln 3]) = [1/4, 0, 3/4]; gx = y * (g - sum(g * y)).
        Tensor x = Tensor.tensor(new double[] {0, -INF, Math.log(3)}, DType.FLOAT64, 3).requiresGrad_();
        x.softmax(0).backward(Tensor.tensor(new double[] {1, 5, -1}, DType.FLOAT64, 3));
        double dot = 0.25 - 0.75;
        assertArrayEquals(new double[] {0.25 * (1 - dot), 0, 0.75 * (-1 - dot)}, x.grad().toArray(), 1e-15);

        // log: gx = g - exp(y) * sum(g)
        Tensor z = Tensor.tensor(new double[] {0, -INF, Math.log(3)}, DType.FLOAT64, 3).requiresGrad_();
        z.logSoftmax(0).backward(Tensor.tensor(new double[] {1, 5, -1}, DType.FLOAT64, 3));
        assertArrayEquals(new double[] {1 - 0.25 * 5, 5, -1 - 0.75 * 5}, z.grad().toArray(), 1e-15);
    }

    @Test
    void doubleBackwardStillRecordsTheComposition() {
        Tensor x = Tensor.tensor(new double[] {0.5, -1, 2, 0.25, 1, -0.5}, DType.FLOAT64, 2, 3).requiresGrad_();
        Tensor g = Autograd.grad(new Tensor[] {x.logSoftmax(1).pow(2).sum()}, new Tensor[] {x}, null, false, true)[0];
        assertNotNull(g.gradFn(), "create_graph gives a differentiable gradient");
        g.sum().backward();
        assertNotNull(x.grad());
        assertFalse(Double.isNaN(x.grad().toArray()[0]));
        try (GradMode.Scope s = GradMode.noGrad()) {
            assertNull(x.softmax(1).gradFn(), "no graph under no_grad");
        }
    }
}
