package org.sparkgrad.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.sparkgrad.engine.nn.F;
import org.sparkgrad.engine.nn.Reduction;

/**
 * The table of differentiable op cases checked by {@link GradcheckTest}: a name, the grad_fn the output is
 * expected to have, the function, and how to make its float64 inputs (seeded, kept away from points where
 * the op is not differentiable).
 */
final class GradcheckOpCases {
    private GradcheckOpCases() {
    }

    /** How a case's second derivatives are checked. */
    enum SecondOrder {
        /** {@code Gradcheck.checkGradGrad(fn)} directly: the gradient depends on the inputs through the graph. */
        DIRECT,
        /**
         * The op is linear or piecewise linear in the inputs that require grad (add, views, sum, relu, max,
         * indexing, ...): its gradient is a constant that does not require grad, so gradgradcheck of the op
         * alone has nothing to differentiate (it reports "the output does not require grad"; PyTorch's
         * gradgradcheck would differentiate with respect to the grad_outputs, which this Gradcheck does not
         * do). The op's double backward (its backward recorded with create_graph) is checked instead
         * through {@code y * y}, whose gradient {@code 2 y v} flows through the op's backward as a tensor that
         * requires grad.
         */
        SQUARED,
        /** First order only; the case says why. */
        NONE
    }

    /** Draws n values for one input. */
    @FunctionalInterface
    interface Sampler {
        double[] sample(Generator g, int n);
    }

    /** One input: a shape and how to fill it. */
    record In(int[] shape, Sampler sampler, boolean requiresGrad) {
    }

    /** One op case. */
    record Case(String name, String gradFn, Gradcheck.Fn fn, In[] ins, SecondOrder second, String noSecondReason,
                double eps) {
        /** Fresh float64 inputs (the same values on every call). */
        Tensor[] inputs() {
            Generator g = new Generator(name.hashCode() * 1_000_003L + 17);
            Tensor[] out = new Tensor[ins.length];
            for (int i = 0; i < ins.length; i++) {
                In in = ins[i];
                double[] v = in.sampler().sample(g, Shapes.numel(in.shape()));
                out[i] = Tensor.tensor(v, DType.FLOAT64, in.shape());
                if (in.requiresGrad()) {
                    out[i].requiresGrad_();
                }
            }
            return out;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    // =====================================================================================================
    // Samplers

    /** Standard normal. */
    static final Sampler NORMAL = (g, n) -> {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = g.nextNormal();
        }
        return v;
    };

    /** Uniform in [0.5, 2): for log, sqrt, fractional powers, bases of pow(Tensor). */
    static final Sampler POSITIVE = (g, n) -> {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 0.5 + 1.5 * g.nextUniform();
        }
        return v;
    };

    /** |x| in [0.3, 1.8) with a random sign: for abs, relu, division, negative powers, norm(1). */
    static final Sampler NONZERO = (g, n) -> {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double m = 0.3 + 1.5 * g.nextUniform();
            v[i] = g.nextUniform() < 0.5 ? -m : m;
        }
        return v;
    };

    /** Pairwise distinct values at least 0.2 apart, shuffled: max/min without ties. */
    static final Sampler DISTINCT = (g, n) -> {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = -1.2 + 0.25 * i + 0.05 * g.nextUniform();
        }
        for (int i = n - 1; i > 0; i--) {
            int j = g.nextInt(i + 1);
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    };

    /**
     * Multiples of 1/64 in (-2, 2), non-zero: exact in float32, and so are they plus or minus 2^-10, so
     * finite differences through a float32 cast are exact.
     */
    static final Sampler DYADIC = (g, n) -> {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            int k = 1 + g.nextInt(120);
            v[i] = (g.nextUniform() < 0.5 ? -k : k) / 64.0;
        }
        return v;
    };

    /** Normal values at least 0.05 away from each of the given points (clamp bounds). */
    static Sampler avoiding(double... points) {
        return (g, n) -> {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                double x;
                boolean near;
                do {
                    x = g.nextNormal();
                    near = false;
                    for (double p : points) {
                        near |= Math.abs(x - p) < 0.05;
                    }
                } while (near);
                v[i] = x;
            }
            return v;
        };
    }

    /** Another sampler's values with exact zeros at the given flat positions. */
    static Sampler withZerosAt(Sampler base, int... positions) {
        return (g, n) -> {
            double[] v = base.sample(g, n);
            for (int p : positions) {
                v[p] = 0;
            }
            return v;
        };
    }

    /** -1.2 + 0.25 k + offset for random k in [0, 10): with offsets 0.125 and 0.2, never within 0.05 of DISTINCT's values nor of each other. */
    static Sampler grid(double offset) {
        return (g, n) -> {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = -1.2 + 0.25 * g.nextInt(10) + offset;
            }
            return v;
        };
    }

    /** Uniform in (0.1, 0.9): probabilities, BCE targets. */
    static final Sampler UNIT = (g, n) -> {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 0.1 + 0.8 * g.nextUniform();
        }
        return v;
    };

    static int[] s(int... shape) {
        return shape;
    }

    static In n(int... shape) {
        return new In(shape, NORMAL, true);
    }

    static In p(int... shape) {
        return new In(shape, POSITIVE, true);
    }

    static In z(int... shape) {
        return new In(shape, NONZERO, true);
    }

    static In d(int... shape) {
        return new In(shape, DISTINCT, true);
    }

    static In in(Sampler sampler, int... shape) {
        return new In(shape, sampler, true);
    }

    /** An input that does not require grad (a constant operand passed through gradcheck untouched). */
    static In constant(Sampler sampler, int... shape) {
        return new In(shape, sampler, false);
    }

    // Constants used by the indexing cases.
    static Tensor longs(int[] shape, long... values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return Tensor.tensor(d, DType.INT64, shape);
    }

    /**
     * A constant a case's function uses (an index, a mask, data) moved to the device of one of the case's
     * inputs, and converted to that input's dtype when both are floating point. Cases call it on their captured
     * constants so that {@link BackendConformance} can run them on any device and in float32; on the CPU in
     * float64, where {@link GradcheckTest} runs them, it returns the constant itself.
     */
    static Tensor follow(Tensor constant, Tensor input) {
        Tensor c = constant.dtype().isFloatingPoint() && input.dtype().isFloatingPoint()
                ? constant.to(input.dtype()) : constant;
        return c.to(input.device());
    }

    static Tensor bools(int[] shape, int... values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return Tensor.tensor(d, DType.BOOL, shape);
    }

    // =====================================================================================================
    // The table

    /** Broadcasting shape pairs for the binary ops. */
    static final int[][][] BINARY_SHAPES = {
        {{2, 3}, {2, 3}},
        {{2, 3}, {3}},
        {{3}, {2, 3}},
        {{4, 1}, {1, 5}},
        {{2, 1, 4}, {3, 1}},
        {{2, 3}, {}},
        {{}, {2, 3}},
        {{}, {}},
    };

    /** Shapes for the elementwise functions of one tensor, incl. a 0-d scalar. */
    static final int[][] UNARY_SHAPES = {{3, 4}, {}, {2, 1, 3}};

    private static final class Builder {
        final List<Case> cases = new ArrayList<>();
        final Set<String> names = new HashSet<>();

        private void put(String name, String gradFn, Gradcheck.Fn fn, SecondOrder second, String reason, double eps,
                         In... ins) {
            if (!names.add(name)) {
                throw new IllegalStateException("duplicate case name " + name);
            }
            cases.add(new Case(name, gradFn, fn, ins, second, reason, eps));
        }

        /** A case whose gradient depends on its inputs: second derivatives checked directly. */
        void twice(String name, String gradFn, Gradcheck.Fn fn, In... ins) {
            put(name, gradFn, fn, SecondOrder.DIRECT, null, 1e-6, ins);
        }

        /** A (piecewise) linear case: second derivatives checked through y * y (see {@link SecondOrder#SQUARED}). */
        void linear(String name, String gradFn, Gradcheck.Fn fn, In... ins) {
            put(name, gradFn, fn, SecondOrder.SQUARED, null, 1e-6, ins);
        }

        /** First order only, for the reason given. */
        void firstOnly(String name, String gradFn, String reason, double eps, Gradcheck.Fn fn, In... ins) {
            put(name, gradFn, fn, SecondOrder.NONE, reason, eps, ins);
        }
    }

    static String shapeStr(int[] shape) {
        return Arrays.toString(shape).replace('[', '(').replace(']', ')');
    }

    private static final List<Case> ALL = Collections.unmodifiableList(build());

    /** Every case. */
    static List<Case> all() {
        return ALL;
    }

    private static List<Case> build() {
        Builder b = new Builder();
        arithmetic(b);
        elementwise(b);
        linalg(b);
        views(b);
        reductions(b);
        indexing(b);
        copies(b);
        inPlace(b);
        compositions(b);
        alphaRoundingAndBounds(b);
        extremesAndNorms(b);
        losses(b);
        return b.cases;
    }

    private static void arithmetic(Builder b) {
        for (int[][] sh : BINARY_SHAPES) {
            String pair = shapeStr(sh[0]) + "," + shapeStr(sh[1]);
            b.linear("add " + pair, "AddBackward0", x -> x[0].add(x[1]), n(sh[0]), n(sh[1]));
            b.linear("sub " + pair, "SubBackward0", x -> x[0].sub(x[1]), n(sh[0]), n(sh[1]));
            b.twice("mul " + pair, "MulBackward0", x -> x[0].mul(x[1]), n(sh[0]), n(sh[1]));
            b.twice("div " + pair, "DivBackward0", x -> x[0].div(x[1]), n(sh[0]), z(sh[1]));
            b.twice("pow(Tensor) " + pair, "PowBackward1", x -> x[0].pow(x[1]), p(sh[0]), n(sh[1]));
        }
        // One operand a constant (only one input requires grad).
        b.linear("mul by constant (2,3)*(3)", "MulBackward0", x -> x[0].mul(x[1]), n(2, 3), constant(NORMAL, 3));
        b.twice("div constant/(2,3)", "DivBackward0", x -> x[0].div(x[1]), constant(NORMAL, 3), z(2, 3));
        b.linear("div (2,3)/constant", "DivBackward0", x -> x[0].div(x[1]), n(2, 3), constant(NONZERO, 2, 3));
        b.twice("pow(Tensor) constant exponent", "PowBackward1", x -> x[0].pow(x[1]), p(2, 3), constant(NORMAL, 3));
        b.twice("pow(Tensor) constant base", "PowBackward1", x -> x[0].pow(x[1]), constant(POSITIVE, 2, 3), n(3));
        // Java scalars.
        for (int[] sh : new int[][] {{2, 3}, {}}) {
            String t = " " + shapeStr(sh);
            b.linear("add scalar" + t, "AddBackward0", x -> x[0].add(1.5), n(sh));
            b.linear("sub scalar" + t, "SubBackward0", x -> x[0].sub(0.5), n(sh));
            b.linear("mul scalar" + t, "MulBackward0", x -> x[0].mul(2.5), n(sh));
            b.linear("div scalar" + t, "DivBackward0", x -> x[0].div(4.0), n(sh));
            b.linear("rsub" + t, "RsubBackward1", x -> x[0].rsub(2.5), n(sh));
            b.twice("rdiv" + t, "MulBackward0", x -> x[0].rdiv(3.0), z(sh));
            b.linear("neg" + t, "NegBackward0", x -> x[0].neg(), n(sh));
            b.twice("pow 2" + t, "PowBackward0", x -> x[0].pow(2), n(sh));
            b.twice("pow 3" + t, "PowBackward0", x -> x[0].pow(3), n(sh));
            b.twice("pow 0.5" + t, "PowBackward0", x -> x[0].pow(0.5), p(sh));
            b.twice("pow 1.5" + t, "PowBackward0", x -> x[0].pow(1.5), p(sh));
            b.twice("pow -1" + t, "PowBackward0", x -> x[0].pow(-1), z(sh));
            b.twice("pow -2" + t, "PowBackward0", x -> x[0].pow(-2), z(sh));
            b.linear("pow 1" + t, "PowBackward0", x -> x[0].pow(1), n(sh));
            // x^0 = 1: the gradient is a zero tensor not connected to x, so even y*y has a gradient that does
            // not require grad; there is no second derivative to check.
            b.firstOnly("pow 0" + t, "PowBackward0", "x^0 is constant: its gradient is identically zero", 1e-6,
                    x -> x[0].pow(0), n(sh));
        }
        b.twice("pow 2 (2,1,3)", "PowBackward0", x -> x[0].pow(2), n(2, 1, 3));
    }

    private static void elementwise(Builder b) {
        for (int[] sh : UNARY_SHAPES) {
            String t = " " + shapeStr(sh);
            b.twice("exp" + t, "ExpBackward0", x -> x[0].exp(), n(sh));
            b.twice("log" + t, "LogBackward0", x -> x[0].log(), p(sh));
            b.twice("sqrt" + t, "SqrtBackward0", x -> x[0].sqrt(), p(sh));
            b.linear("abs" + t, "AbsBackward0", x -> x[0].abs(), z(sh));
            b.twice("sin" + t, "SinBackward0", x -> x[0].sin(), n(sh));
            b.twice("cos" + t, "CosBackward0", x -> x[0].cos(), n(sh));
            b.twice("tanh" + t, "TanhBackward0", x -> x[0].tanh(), n(sh));
            b.twice("sigmoid" + t, "SigmoidBackward0", x -> x[0].sigmoid(), n(sh));
            b.linear("relu" + t, "ReluBackward0", x -> x[0].relu(), z(sh));
            b.linear("clamp(-0.5,0.5)" + t, "ClampBackward1", x -> x[0].clamp(-0.5, 0.5), in(avoiding(-0.5, 0.5), sh));
            b.linear("clampMin(-0.3)" + t, "ClampMinBackward0", x -> x[0].clampMin(-0.3), in(avoiding(-0.3), sh));
            b.linear("clampMax(0.4)" + t, "ClampMaxBackward0", x -> x[0].clampMax(0.4), in(avoiding(0.4), sh));
        }
        b.linear("clamp(null,0.2)", "ClampBackward1", x -> x[0].clamp(null, 0.2), in(avoiding(0.2), 3, 4));
        b.linear("clamp(-0.2,null)", "ClampBackward1", x -> x[0].clamp(-0.2, null), in(avoiding(-0.2), 3, 4));
    }

    private static void linalg(Builder b) {
        b.twice("matmul 1d.1d", "DotBackward0", x -> x[0].matmul(x[1]), n(4), n(4));
        b.twice("matmul 2d.1d", "MvBackward0", x -> x[0].matmul(x[1]), n(3, 4), n(4));
        b.twice("matmul 1d.2d", "SqueezeBackward3", x -> x[0].matmul(x[1]), n(4), n(4, 3));
        b.twice("matmul 2d.2d", "MmBackward0", x -> x[0].matmul(x[1]), n(3, 4), n(4, 2));
        b.twice("matmul 3d.2d", "UnsafeViewBackward0", x -> x[0].matmul(x[1]), n(2, 3, 4), n(4, 2));
        // PyTorch 1.13 names this one CloneBackward0 (it folds the 2-d operand differently); the engine says UnsafeViewBackward0.
        b.twice("matmul 2d.3d", "TransposeBackward0", x -> x[0].matmul(x[1]), n(3, 4), n(2, 4, 2));
        b.twice("matmul 3d.3d", "UnsafeViewBackward0", x -> x[0].matmul(x[1]), n(2, 3, 4), n(2, 4, 2));
        b.twice("matmul 3d.3d broadcast batch (2,3,4)@(1,4,2)", "UnsafeViewBackward0", x -> x[0].matmul(x[1]), n(2, 3, 4),
                n(1, 4, 2));
        b.twice("matmul 3d.3d broadcast batch (1,3,4)@(2,4,2)", "UnsafeViewBackward0", x -> x[0].matmul(x[1]), n(1, 3, 4),
                n(2, 4, 2));
        b.twice("matmul 4d.3d broadcast batch (2,1,2,3)@(3,3,2)", "UnsafeViewBackward0", x -> x[0].matmul(x[1]),
                n(2, 1, 2, 3), n(3, 3, 2));
        b.twice("matmul 3d.1d", "UnsafeViewBackward0", x -> x[0].matmul(x[1]), n(2, 3, 4), n(4));
        b.twice("matmul 1d.3d", "UnsafeViewBackward0", x -> x[0].matmul(x[1]), n(4), n(2, 4, 3));
        b.linear("matmul by constant matrix", "MmBackward0", x -> x[0].matmul(x[1]), n(3, 4), constant(NORMAL, 4, 2));
        b.twice("mm", "MmBackward0", x -> x[0].mm(x[1]), n(3, 4), n(4, 2));
        b.twice("mm of transposed", "MmBackward0", x -> x[0].t().mm(x[1].t()), n(4, 3), n(2, 4));
        b.twice("mv", "MvBackward0", x -> x[0].mv(x[1]), n(3, 4), n(4));
        b.twice("dot", "DotBackward0", x -> x[0].dot(x[1]), n(5), n(5));
        b.twice("bmm", "BmmBackward0", x -> x[0].bmm(x[1]), n(2, 3, 4), n(2, 4, 2));
        b.twice("bmm of transposed", "BmmBackward0", x -> x[0].bmm(x[1].transpose(1, 2)), n(2, 3, 4), n(2, 2, 4));
    }

    private static void views(Builder b) {
        b.linear("t 2d", "TBackward0", x -> x[0].t(), n(3, 4));
        b.linear("t 1d", "TBackward0", x -> x[0].t(), n(4));
        b.linear("transpose(0,2)", "TransposeBackward0", x -> x[0].transpose(0, 2), n(2, 3, 4));
        b.linear("transpose(-1,-2)", "TransposeBackward0", x -> x[0].transpose(-1, -2), n(2, 3, 4));
        b.linear("permute(2,0,1)", "PermuteBackward0", x -> x[0].permute(2, 0, 1), n(2, 3, 4));
        b.linear("reshape contiguous", "ReshapeAliasBackward0", x -> x[0].reshape(2, 6), n(3, 4));
        b.linear("reshape(-1,2)", "ReshapeAliasBackward0", x -> x[0].reshape(-1, 2), n(2, 3, 2));
        b.linear("reshape non-contiguous", "UnsafeViewBackward0", x -> x[0].t().reshape(12), n(3, 4));
        b.linear("view", "ViewBackward0", x -> x[0].view(4, 3), n(3, 4));
        b.linear("view(-1)", "ViewBackward0", x -> x[0].view(-1), n(2, 3, 2));
        b.linear("flatten", "ReshapeAliasBackward0", x -> x[0].flatten(), n(2, 3, 4));
        b.linear("flatten(1,2)", "ReshapeAliasBackward0", x -> x[0].flatten(1, 2), n(2, 3, 4));
        b.linear("flatten non-contiguous", "UnsafeViewBackward0", x -> x[0].transpose(0, 1).flatten(), n(2, 3));
        b.linear("flatten 0-d", "ReshapeAliasBackward0", x -> x[0].flatten(), n());
        b.linear("squeeze all", "SqueezeBackward0", x -> x[0].squeeze(), n(2, 1, 3, 1));
        b.linear("squeeze(1)", "SqueezeBackward1", x -> x[0].squeeze(1), n(2, 1, 3));
        b.linear("squeeze(-1)", "SqueezeBackward1", x -> x[0].squeeze(-1), n(2, 3, 1));
        b.linear("squeeze(0) of size 2", "SqueezeBackward1", x -> x[0].squeeze(0), n(2, 3));
        b.linear("unsqueeze(1)", "UnsqueezeBackward0", x -> x[0].unsqueeze(1), n(2, 3));
        b.linear("unsqueeze(-1)", "UnsqueezeBackward0", x -> x[0].unsqueeze(-1), n(2, 3));
        b.linear("unsqueeze 0-d", "UnsqueezeBackward0", x -> x[0].unsqueeze(0), n());
        b.twice("expand then mul", "MulBackward0", x -> x[0].expand(3, 4).mul(x[1]), n(1, 4), n(3, 4));
        b.twice("expand new dims then sin", "SinBackward0", x -> x[0].expand(2, 3, 4).sin(), n(4));
        b.twice("expand(-1,3) then pow", "MulBackward0", x -> x[0].expand(-1, 3).pow(2).mul(x[1]), n(2, 1), n(3));
        b.twice("expand 0-d then exp", "ExpBackward0", x -> x[0].expand(2, 3).exp(), n());
        b.twice("expandAs then mul", "MulBackward0", x -> x[0].expandAs(x[1]).mul(x[1]), n(3, 1), n(3, 2));
        b.linear("get(1)", "SelectBackward0", x -> x[0].get(1), n(3, 4));
        b.linear("get(1,2)", "SelectBackward0", x -> x[0].get(1, 2), n(3, 4));
        b.linear("select(1,-1)", "SelectBackward0", x -> x[0].select(1, -1), n(3, 4));
        b.linear("select(2,1) 3d", "SelectBackward0", x -> x[0].select(2, 1), n(2, 3, 2));
        b.linear("slice(1,0,5,2)", "SliceBackward0", x -> x[0].slice(1, 0, 5, 2), n(3, 5));
        b.linear("slice(0,1,3)", "SliceBackward0", x -> x[0].slice(0, 1, 3), n(4, 2));
        b.linear("slice(-1,-4,100,3)", "SliceBackward0", x -> x[0].slice(-1, -4, 100, 3), n(2, 7));
        b.twice("slice then mul slice", "MulBackward0", x -> x[0].slice(0, 0, 4, 2).mul(x[0].slice(0, 1, 4, 2)), n(4, 3));
        b.linear("cat dim 0", "CatBackward0", x -> Tensor.cat(0, x[0], x[1]), n(2, 3), n(1, 3));
        b.linear("cat dim 1 of three", "CatBackward0", x -> Tensor.cat(1, x[0], x[1], x[2]), n(2, 1), n(2, 3), n(2, 2));
        b.linear("cat dim -1 with a constant", "CatBackward0", x -> Tensor.cat(-1, x[0], x[1]), n(2, 2),
                constant(NORMAL, 2, 3));
        b.linear("stack dim 0", "StackBackward0", x -> Tensor.stack(0, x[0], x[1]), n(2, 3), n(2, 3));
        b.linear("stack dim -1 of three", "StackBackward0", x -> Tensor.stack(-1, x[0], x[1], x[2]), n(2, 3), n(2, 3),
                n(2, 3));
        b.linear("stack 0-d", "StackBackward0", x -> Tensor.stack(0, x[0], x[1]), n(), n());
    }

    private static void reductions(Builder b) {
        b.linear("sum all", "SumBackward0", x -> x[0].sum(), n(3, 4));
        b.linear("sum 0-d", "SumBackward0", x -> x[0].sum(), n());
        b.linear("sum dims (0,2)", "SumBackward1", x -> x[0].sum(0, 2), n(2, 3, 4));
        b.linear("sum(1,keepdim)", "SumBackward1", x -> x[0].sum(1, true), n(3, 4));
        b.linear("sum dims (-1,0) keepdim", "SumBackward1", x -> x[0].sum(new int[] {-1, 0}, true), n(2, 3, 4));
        b.linear("mean all", "MeanBackward0", x -> x[0].mean(), n(3, 4));
        b.linear("mean 0-d", "MeanBackward0", x -> x[0].mean(), n());
        b.linear("mean dims (0,2)", "MeanBackward1", x -> x[0].mean(0, 2), n(2, 3, 4));
        b.linear("mean(1,keepdim)", "MeanBackward1", x -> x[0].mean(1, true), n(3, 4));
        b.linear("mean dims (-1,0) keepdim", "MeanBackward1", x -> x[0].mean(new int[] {-1, 0}, true), n(2, 3, 4));
        b.twice("prod all", "ProdBackward0", x -> x[0].prod(), z(2, 3));
        b.twice("prod(1)", "ProdBackward1", x -> x[0].prod(1, false), z(3, 4));
        b.twice("prod(0,keepdim)", "ProdBackward1", x -> x[0].prod(0, true), z(3, 2));
        b.twice("prod all with one zero", "ProdBackward0", x -> x[0].prod(), in(withZerosAt(NONZERO, 4), 2, 3));
        b.twice("prod(1) with one zero in a row", "ProdBackward1", x -> x[0].prod(1, false),
                in(withZerosAt(NONZERO, 5), 3, 4));
        // With two zeros in a group every first derivative is 0 (checked), but the mixed second derivative
        // d2/dxi dxj at the two zeros is the product of the others, not 0; like PyTorch's prod_backward, the
        // engine returns a constant 0 there, so the second derivative is not checked at this point.
        b.firstOnly("prod(1) with two zeros in a row", "ProdBackward1",
                "two zeros in one group: the gradient is a constant 0, as in PyTorch", 1e-6,
                x -> x[0].prod(1, false), in(withZerosAt(NONZERO, 4, 6), 3, 4));
        b.linear("max all", "MaxBackward1", x -> x[0].max(), d(3, 4));
        b.linear("min all", "MinBackward1", x -> x[0].min(), d(3, 4));
        b.linear("max 0-d", "MaxBackward1", x -> x[0].max(), d());
        b.linear("max(1) values", "MaxBackward0", x -> x[0].max(1).values(), d(3, 4));
        b.linear("max(0,keepdim) values", "MaxBackward0", x -> x[0].max(0, true).values(), d(3, 4));
        b.linear("min(1) values", "MinBackward0", x -> x[0].min(1).values(), d(3, 4));
        b.linear("min(-1,keepdim) values 3d", "MinBackward0", x -> x[0].min(-1, true).values(), d(2, 2, 3));
        b.twice("norm p=2 all", "NormBackward1", x -> x[0].norm(), n(3, 4));
        b.twice("norm(2.0) all", "NormBackward1", x -> x[0].norm(2.0), n(5));
        b.twice("norm p=2 dim 1", "NormBackward1", x -> x[0].norm(2, new int[] {1}, false), n(3, 4));
        b.twice("norm p=2 dims (0,2) keepdim", "NormBackward1", x -> x[0].norm(2, new int[] {0, 2}, true), n(2, 3, 2));
        b.linear("norm p=1 all", "NormBackward1", x -> x[0].norm(1.0), z(3, 4));
        b.linear("norm p=1 dim 0", "NormBackward1", x -> x[0].norm(1, new int[] {0}, false), z(3, 4));
        b.twice("norm p=3 all", "NormBackward1", x -> x[0].norm(3.0), z(3, 4));
        b.twice("norm p=3 dim 1 keepdim", "NormBackward1", x -> x[0].norm(3, new int[] {1}, true), z(3, 4));
        b.twice("norm p=1.5 all", "NormBackward1", x -> x[0].norm(1.5), z(2, 3));
        for (int dim : new int[] {0, 1, -1}) {
            b.twice("softmax(" + dim + ") (3,4)", "SoftmaxBackward0", x -> x[0].softmax(dim), n(3, 4));
            b.twice("logSoftmax(" + dim + ") (3,4)", "LogSoftmaxBackward0", x -> x[0].logSoftmax(dim), n(3, 4));
        }
        b.twice("softmax(1) (2,3,4)", "SoftmaxBackward0", x -> x[0].softmax(1), n(2, 3, 4));
        b.twice("logSoftmax(1) (2,3,4)", "LogSoftmaxBackward0", x -> x[0].logSoftmax(1), n(2, 3, 4));
        b.twice("softmax(0) (5)", "SoftmaxBackward0", x -> x[0].softmax(0), n(5));
        b.twice("logSoftmax(0) (5)", "LogSoftmaxBackward0", x -> x[0].logSoftmax(0), n(5));
        b.twice("softmax 0-d", "SoftmaxBackward0", x -> x[0].softmax(0), n());
        b.twice("logSoftmax 0-d", "LogSoftmaxBackward0", x -> x[0].logSoftmax(0), n());
    }

    private static void indexing(Builder b) {
        Tensor g1 = longs(s(3, 2), 0, 2, 1, 1, 3, 0);
        Tensor g0 = longs(s(2, 4), 2, 0, 1, 2, 2, 0, 1, 2);
        b.linear("gather dim 1 (repeated index)", "GatherBackward0", x -> x[0].gather(1, follow(g1, x[0])), n(3, 4));
        b.linear("gather dim 0 (repeated index)", "GatherBackward0", x -> x[0].gather(0, follow(g0, x[0])), n(3, 4));
        b.linear("gather dim -1 3d", "GatherBackward0", x -> x[0].gather(-1, follow(longs(s(2, 2, 1), 1, 0, 0, 1), x[0])), n(2, 2, 3));
        Tensor rep = Tensor.ofLongs(2, 0, 2);
        b.linear("indexSelect dim 0 (repeated)", "IndexSelectBackward0", x -> x[0].indexSelect(0, follow(rep, x[0])), n(3, 4));
        b.linear("indexSelect dim 1 (repeated)", "IndexSelectBackward0",
                x -> x[0].indexSelect(1, follow(Tensor.ofLongs(3, 1, 3, 0), x[0])), n(3, 4));
        b.linear("indexSelect 1d", "IndexSelectBackward0", x -> x[0].indexSelect(0, follow(Tensor.ofLongs(4, 4, 1), x[0])), n(5));
        b.linear("index rows (repeated)", "IndexBackward0", x -> x[0].index(follow(Tensor.ofLongs(0, 2, 0), x[0])), n(3, 4));
        b.linear("index rows,cols (repeated pair)", "IndexBackward0",
                x -> x[0].index(follow(Tensor.ofLongs(0, 2, 0, 1), x[0]), follow(Tensor.ofLongs(1, 3, 1, 1), x[0])), n(3, 4));
        b.linear("index broadcast (2,1),(3)", "IndexBackward0",
                x -> x[0].index(follow(longs(s(2, 1), 2, 0), x[0]), follow(Tensor.ofLongs(1, 1, 3), x[0])), n(3, 4));
        b.linear("index negative and 2-d", "IndexBackward0", x -> x[0].index(follow(longs(s(2, 2), -1, 0, 0, -1), x[0])), n(3, 2));
        b.linear("index 3d by two (rest kept)", "IndexBackward0",
                x -> x[0].index(follow(Tensor.ofLongs(1, 0, 1), x[0]), follow(Tensor.ofLongs(2, 2, 0), x[0])), n(2, 3, 2));
        b.linear("index bool mask", "IndexBackward0",
                x -> x[0].index(follow(bools(s(3, 4), 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1), x[0])), n(3, 4));
        Tensor cond = bools(s(2, 3), 1, 0, 1, 0, 0, 1);
        b.linear("where (2,3),(2,3)", "WhereBackward0", x -> Tensor.where(follow(cond, x[0]), x[0], x[1]), n(2, 3), n(2, 3));
        b.linear("where broadcast (2,3),(3),(1)", "WhereBackward0", x -> Tensor.where(follow(cond, x[0]), x[0], x[1]), n(3), n(1));
        b.linear("where broadcast 0-d", "WhereBackward0", x -> Tensor.where(follow(cond, x[0]), x[0], x[1]), n(), n(2, 3));
        b.linear("where with scalar", "WhereBackward0", x -> Tensor.where(follow(cond, x[0]), x[0], 0.5), n(2, 3));
        b.linear("where with constant other", "WhereBackward0", x -> Tensor.where(follow(cond, x[0]), x[1], x[0]), n(2, 3),
                constant(NORMAL, 2, 3));
        b.twice("where of nonlinear branches", "WhereBackward0", x -> Tensor.where(follow(cond, x[0]), x[0].exp(), x[0].mul(x[1])),
                n(2, 3), n(3));
        b.linear("maskedFill", "MaskedFillBackward0", x -> x[0].maskedFill(follow(cond, x[0]), -1.0), n(2, 3));
        b.linear("maskedFill broadcast mask", "MaskedFillBackward0", x -> x[0].maskedFill(follow(bools(s(3), 0, 1, 0), x[0]), 7.0),
                n(2, 3));
    }

    private static void copies(Builder b) {
        b.linear("clone", "CloneBackward0", x -> x[0].clone(), n(2, 3));
        b.linear("clone 0-d", "CloneBackward0", x -> x[0].clone(), n());
        b.linear("contiguous of transposed", "CloneBackward0", x -> x[0].t().contiguous(), n(2, 3));
        b.linear("contiguous of slice", "CloneBackward0", x -> x[0].slice(1, 0, 4, 2).contiguous(), n(2, 4));
        // Casts through float32. The inputs and the step (2^-10) are chosen so that every value stays exact in
        // float32, which makes the central differences exact. Second derivatives are not checked: the
        // gradient itself passes through float32 (ToCopyBackward0 casts it back), so differencing it in
        // float64 at gradcheck's precision would measure float32 rounding; the casts are linear and their
        // double backward is still walked by the coverage test.
        double castEps = 1.0 / 1024;
        String castReason = "the gradient is rounded to float32 on the way back";
        b.firstOnly("to(FLOAT32)", "ToCopyBackward0", castReason, castEps, x -> x[0].to(DType.FLOAT32), in(DYADIC, 2, 3));
        b.firstOnly("toFloat().toDouble() then mul", "MulBackward0", castReason, castEps,
                x -> x[0].toFloat().toDouble().mul(x[1]), in(DYADIC, 2, 3), in(DYADIC, 3));
        b.firstOnly("to(FLOAT32).toDouble()", "ToCopyBackward0", castReason, castEps,
                x -> x[0].to(DType.FLOAT32).toDouble(), in(DYADIC, 4));
        b.linear("toDouble of float64 (identity)", "MulBackward0", x -> x[0].toDouble().mul(2.0), n(3));
    }

    private static void inPlace(Builder b) {
        b.linear("add_ on a non-leaf", "AddBackward0", x -> x[0].clone().add_(x[1]), n(2, 3), n(3));
        b.linear("add_ scalar on a non-leaf", "AddBackward0", x -> x[0].clone().add_(2.0), n(2, 3));
        b.linear("sub_ on a non-leaf", "SubBackward0", x -> x[0].clone().sub_(x[1]), n(2, 3), n(2, 3));
        b.twice("mul_ on a non-leaf", "MulBackward0", x -> x[0].clone().mul_(x[1]), n(2, 3), n(1, 3));
        b.twice("div_ on a non-leaf", "DivBackward0", x -> x[0].clone().div_(x[1]), n(2, 3), z(2, 3));
        b.linear("clamp_ on a non-leaf", "ClampBackward1", x -> x[0].clone().clamp_(-0.5, 0.5),
                in(avoiding(-0.5, 0.5), 2, 3));
        b.linear("mul_ of a constant by a grad tensor", "MulBackward0", x -> x[0].clone().mul_(x[1]),
                constant(NORMAL, 2, 3), n(3));
        b.twice("div_ of a constant by a grad tensor", "DivBackward0", x -> x[0].clone().div_(x[1]),
                constant(NORMAL, 2, 3), z(2, 3));
        b.twice("mul_ on a computed value", "MulBackward0", x -> x[0].sin().mul_(x[1]), n(2, 3), n(3));
        // fill_/zero_ cut the old value off (zero gradient): composed with x so the result depends on an input.
        b.linear("fill_ on a non-leaf", "AddBackward0", x -> x[0].mul(2).fill_(1.5).add(x[0]), n(2, 3));
        b.linear("zero_ on a non-leaf", "AddBackward0", x -> x[0].mul(2).zero_().add(x[0]), n(2, 3));
        b.linear("copy_ on a non-leaf", "CopyBackwards", x -> x[0].mul(2).copy_(x[1]), n(2, 3), n(3));
        // In-place on views (CopySlices): h[1] = x1 for a constant buffer h; ops on a row, a column, a slice.
        b.linear("copy_ into a row of a buffer", "CopySlices", x -> {
            Tensor h = x[0].clone();
            h.select(0, 1).copy_(x[1]);
            return h;
        }, constant(NORMAL, 2, 3), n(3));
        b.twice("mul_ on a column of a non-leaf", "CopySlices", x -> {
            Tensor y = x[0].clone();
            y.select(1, 1).mul_(x[1]);
            return y;
        }, n(2, 3), n(2));
        b.twice("the view after mul_ on it", "AsStridedBackward0", x -> {
            Tensor v = x[0].clone().slice(1, 0, 2);
            v.mul_(x[1]);
            return v;
        }, n(2, 3), n(2, 1));
        b.linear("fill_ and zero_ on views of a non-leaf", "CopySlices", x -> {
            Tensor y = x[0].mul(3);
            y.select(0, 0).fill_(2);
            y.slice(1, 1, 3).zero_();
            return y;
        }, n(2, 3));
    }

    private static void compositions(Builder b) {
        // Line fit: mean((x * w + b - y)^2) for scalar parameters w, b.
        Tensor xs = Tensor.tensor(new double[] {-1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2}, DType.FLOAT64, 8);
        Tensor ys = Tensor.tensor(new double[] {-2.1, -0.9, 0.2, 0.8, 2.1, 3.0, 4.2, 4.9}, DType.FLOAT64, 8);
        b.twice("line-fit loss", "MeanBackward0", x -> follow(xs, x[0]).mul(x[0]).add(x[1]).sub(follow(ys, x[0])).pow(2).mean(), n(), n());
        // A 2-layer MLP with relu and a softmax cross-entropy from logSoftmax + gather.
        Tensor data = Tensor.tensor(new double[] {0.5, -1.2, 0.3, 1.1, 0.4, -0.7, -0.9, 0.8, 1.5, 0.2, -0.3, -1.4},
                DType.FLOAT64, 4, 3);
        Tensor targets = longs(s(4, 1), 1, 0, 2, 1);
        b.twice("2-layer MLP cross-entropy", "MeanBackward0", x -> {
            Tensor h = follow(data, x[0]).matmul(x[0]).add(x[1]).relu();
            Tensor logits = h.matmul(x[2]).add(x[3]);
            return logits.logSoftmax(1).gather(1, follow(targets, x[0])).neg().mean();
        }, n(3, 5), n(5), n(5, 3), n(3));
        b.twice("softmax cross-entropy", "MeanBackward0",
                x -> x[0].logSoftmax(-1).gather(1, follow(targets, x[0])).neg().mean(), n(4, 3));
        b.twice("attention", "UnsafeViewBackward0",
                x -> x[0].matmul(x[1].transpose(-1, -2)).div(2.0).softmax(-1).matmul(x[2]), n(2, 3, 2), n(2, 4, 2),
                n(2, 4, 2));
        b.twice("logsumexp", "LogBackward0", x -> x[0].exp().sum(1).log(), n(3, 4));
        b.twice("row normalize", "DivBackward0", x -> x[0].div(x[0].norm(2, new int[] {1}, true)), n(3, 4));
        b.twice("sigmoid-tanh chain with broadcast", "SumBackward1",
                x -> x[0].sigmoid().mul(x[1].tanh()).sub(x[0].cos().div(x[1].exp())).sum(0), n(3, 1), n(1, 4));
        b.twice("stack of softmax and sqrt rows", "StackBackward0",
                x -> Tensor.stack(0, x[0].softmax(1).get(0), x[0].sqrt().get(2)), p(3, 4));
    }

    private static void alphaRoundingAndBounds(Builder b) {
        b.linear("add alpha (2,3),(3)", "AddBackward0", x -> x[0].add(x[1], 2.5), n(2, 3), n(3));
        b.linear("sub alpha (2,3),(3)", "SubBackward0", x -> x[0].sub(x[1], -0.5), n(2, 3), n(3));
        b.linear("rsub(Tensor) (2,3),(3)", "RsubBackward0", x -> x[0].rsub(x[1]), n(2, 3), n(3));
        b.linear("rsub(Tensor) alpha (3),(2,3)", "RsubBackward0", x -> x[0].rsub(x[1], 3L), n(3), n(2, 3));
        // Rounded division is piecewise constant: its gradient is a zero tensor not connected to the inputs.
        b.firstOnly("div floor (2,3),(3)", "DivBackward2", "rounded division is piecewise constant: its gradient is "
                + "identically zero", 1e-6, x -> x[0].div(x[1], "floor"), n(2, 3), z(3));
        b.twice("pow(2.5, Tensor)", "PowBackward2", x -> Tensor.pow(2.5, x[0]), n(2, 3));
        b.linear("clamp(Tensor, Tensor)", "ClampBackward0", x -> x[0].clamp(x[1], x[2]),
                d(2, 3), in(grid(0.125), 3), in(grid(0.2), 2, 3));
        b.linear("clamp(Tensor, null)", "ClampBackward0", x -> x[0].clamp(x[1], null), d(2, 3), in(grid(0.125), 2, 1));
        b.linear("clampMin(Tensor)", "ClampMinBackward1", x -> x[0].clampMin(x[1]), d(2, 3), in(grid(0.125), 3));
        b.linear("clampMax(Tensor)", "ClampMaxBackward1", x -> x[0].clampMax(x[1]), d(2, 3), in(grid(0.2), 3));
        b.linear("maximum (2,3),(3)", "MaximumBackward0", x -> x[0].maximum(x[1]), d(2, 3), in(grid(0.125), 3));
        b.linear("minimum (3),(2,3)", "MinimumBackward0", x -> x[0].minimum(x[1]), in(grid(0.125), 3), d(2, 3));
        Tensor mask = bools(s(2, 3), 1, 0, 0, 1, 1, 0);
        b.linear("maskedFill(Tensor value)", "MaskedFillBackward1", x -> x[0].maskedFill(follow(mask, x[0]), x[1]), n(2, 3), n());
    }

    private static void extremesAndNorms(Builder b) {
        b.linear("amax dim 1", "AmaxBackward0", x -> x[0].amax(new int[] {1}, false), d(3, 4));
        b.linear("amax all", "AmaxBackward0", x -> x[0].amax(), d(3, 4));
        b.linear("amin dims 0,2 keepdim", "AminBackward0", x -> x[0].amin(new int[] {0, 2}, true), d(2, 3, 2));
        b.twice("vectorNorm 3 dim 1", "LinalgVectorNormBackward0", x -> x[0].vectorNorm(3, new int[] {1}, false), z(3, 4));
        b.twice("vectorNorm 0.5", "LinalgVectorNormBackward0", x -> x[0].vectorNorm(0.5, null, false), z(3, 4));
        b.linear("norm inf dim 1", "NormBackward1", x -> x[0].norm(Double.POSITIVE_INFINITY, new int[] {1}, false), d(3, 4));
        b.linear("matrixNorm 1", "AmaxBackward0", x -> x[0].matrixNorm(1, new int[] {-2, -1}, false), d(2, 3, 4));
        b.twice("norm fro dims 0,1", "SqrtBackward0", x -> x[0].norm("fro", new int[] {0, 1}, false), n(3, 4));
        b.twice("svdvals (4,3)", "LinalgSvdBackward0", x -> x[0].svdvals(), n(4, 3));
        b.twice("svdvals batched (2,2,3)", "LinalgSvdBackward0", x -> x[0].svdvals(), n(2, 2, 3));
        b.twice("matrixNorm nuc (3,4)", "SumBackward1",
                x -> x[0].matrixNorm("nuc", new int[] {-2, -1}, false), n(3, 4));
        b.twice("matrixNorm 2 batched", "AmaxBackward0",
                x -> x[0].matrixNorm(2, new int[] {-2, -1}, false), n(2, 3, 3));
        b.twice("matrixNorm -2 dims (0,2) keepdim", "PermuteBackward0",
                x -> x[0].matrixNorm(-2, new int[] {0, 2}, true), n(3, 2, 4));
        b.twice("norm nuc", "SumBackward1", x -> x[0].norm("nuc", null, false), n(4, 4));
        // Functions of U and Vh that do not depend on their columns' signs: U diag(S) Vh = A, the projections
        // U U^T (tall: gU outside U's span) and Vh^T Vh (wide: gVh outside V's span).
        b.twice("svd U diag(S) Vh (3,3)", "MmBackward0", x -> {
            Tensor[] usv = LinalgOps.svd(x[0]);
            return usv[0].mul(usv[1].unsqueeze(-2)).matmul(usv[2]);
        }, n(3, 3));
        b.twice("svd U U^T (4,2)", "MmBackward0", x -> {
            Tensor u = LinalgOps.svd(x[0])[0];
            return u.matmul(u.t());
        }, n(4, 2));
        b.twice("svd Vh^T Vh batched (2,2,4)", "UnsafeViewBackward0", x -> {
            Tensor vh = LinalgOps.svd(x[0])[2];
            return vh.transpose(-1, -2).matmul(vh);
        }, n(2, 2, 4));
    }

    private static void losses(Builder b) {
        Tensor targets = longs(s(4), 1, 0, 2, 1);
        Tensor targets2d = longs(s(2, 2, 2), 0, 2, 1, 1, 2, 0, 0, 1);
        Tensor weight = Tensor.tensor(new double[] {0.5, 2.0, 1.25}, DType.FLOAT64, 3);
        b.twice("mse_loss mean", "MseLossBackward0", x -> F.mseLoss(x[0], x[1]), n(2, 3), n(2, 3));
        b.twice("mse_loss none", "MseLossBackward0", x -> F.mseLoss(x[0], x[1], Reduction.NONE), n(3), n(3));
        b.linear("nll_loss weighted mean", "NllLossBackward0",
                x -> F.nllLoss(x[0], follow(targets, x[0]), follow(weight, x[0]), Reduction.MEAN, 2), n(4, 3));
        b.linear("nll_loss 4-d none", "NllLoss2DBackward0",
                x -> F.nllLoss(x[0], follow(targets2d, x[0]), null, Reduction.NONE, -100), n(2, 3, 2, 2));
        b.twice("cross_entropy weighted", "NllLossBackward0",
                x -> F.crossEntropy(x[0], follow(targets, x[0]), follow(weight, x[0]), Reduction.MEAN, -100, 0), n(4, 3));
        b.twice("cross_entropy label smoothing", "AddBackward0",
                x -> F.crossEntropy(x[0], follow(targets, x[0]), null, Reduction.MEAN, 0, 0.2), n(4, 3));
        b.twice("cross_entropy probabilities", "DivBackward1",
                x -> F.crossEntropy(x[0], x[1], follow(weight, x[0]), Reduction.MEAN, -100, 0.1), n(4, 3), in(UNIT, 4, 3));
        b.twice("bce_with_logits", "BinaryCrossEntropyWithLogitsBackward0",
                x -> F.binaryCrossEntropyWithLogits(x[0], x[1]), n(2, 3), in(UNIT, 2, 3));
        Tensor posWeight = Tensor.tensor(new double[] {0.5, 3.0, 1.5}, DType.FLOAT64, 3);
        b.twice("bce_with_logits weight pos_weight", "BinaryCrossEntropyWithLogitsBackward0",
                x -> F.binaryCrossEntropyWithLogits(x[0], x[1], follow(weight, x[0]), follow(posWeight, x[0]), Reduction.SUM),
                n(2, 3), in(UNIT, 2, 3));
        b.twice("linear addmm", "AddmmBackward0", x -> F.linear(x[0], x[1], x[2]), n(4, 3), n(2, 3), n(2));
        b.twice("linear 3-d", "ViewBackward0", x -> F.linear(x[0], x[1], x[2]), n(2, 2, 3), n(2, 3), n(2));
    }
}
