package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkgrad.engine.GradcheckOpCases.Case;

/**
 * A backend conformance suite: every {@link GradcheckOpCases} case, forward and backward, on {@link #device()}
 * matches the CPU backend in float32 and in float64, plus a few non-differentiable primitives (argmax, argmin,
 * comparisons, where, int64 arithmetic, dtype copies) that must match exactly. A backend's test extends this
 * class, names its device, and overrides {@link #assumeDeviceAvailable()} to skip where the device is absent.
 */
abstract class BackendConformance {
    /** The device under test. */
    protected abstract Device device();

    /** Aborts (skips, never passes) every test when the device is unusable here; by default it always is usable. */
    protected void assumeDeviceAvailable() {
    }

    @BeforeEach
    final void checkDevice() {
        assumeDeviceAvailable();
    }

    // =====================================================================================================
    // Tolerances

    /** float64: both backends should agree to a few ulps of double. */
    static final double RTOL_FLOAT64 = 1e-12;
    /** float32 elementwise and small reductions: about 80 float32 ulps. */
    static final double RTOL_FLOAT32 = 1e-5;
    /**
     * float32 for cases built on matrix products: a GEMM library sums each dot product in its own order, with
     * fused multiply-adds and possibly a split of the inner dimension, and the backward chains more products
     * (attention and the MLP chain several, through softmax), so the rounding differences compound. 1e-4 is
     * the tolerance CudaBackendTest uses for matmul. Reduced-precision modes (TF32, about 1e-3) are meant to
     * fail it.
     */
    static final double RTOL_FLOAT32_MATMUL = 1e-4;

    private static final Pattern MATMUL_FAMILY = Pattern.compile("\\b(matmul|mm|mv|dot|bmm)\\b|attention|MLP");

    /** The relative tolerance for a case in a dtype (matmul-family cases looser in float32, see above). */
    static double rtol(Case c, DType dtype) {
        if (dtype == DType.FLOAT64) {
            return RTOL_FLOAT64;
        }
        return MATMUL_FAMILY.matcher(c.name()).find() ? RTOL_FLOAT32_MATMUL : RTOL_FLOAT32;
    }

    /**
     * Asserts |actual - expected| &lt;= rtol * |expected| + rtol * max|expected| elementwise. The second term
     * is the absolute tolerance: an element that comes out of cancellation (a sum of mixed signs, a softmax
     * gradient g - sum(g s), gradient contributions that nearly cancel) is small, but its rounding error is
     * relative to the terms that cancelled, which are of the size of the tensor's largest entries (the cases'
     * inputs are O(1)), not to the element itself. Zeros that are exact on the CPU (relu, masks) therefore
     * still have to be exact zeros unless the tensor has other non-zero entries.
     */
    static void assertClose(String what, Tensor expected, Tensor actual, double rtol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
        double[] e = expected.toArray();
        double[] a = actual.to(Device.CPU).toArray();
        double max = 0;
        for (double v : e) {
            max = Math.max(max, Math.abs(v));
        }
        double atol = rtol * max;
        for (int i = 0; i < e.length; i++) {
            double tol = rtol * Math.abs(e[i]) + atol;
            if (!(Math.abs(a[i] - e[i]) <= tol) && !(a[i] == e[i])) {
                throw new AssertionError(what + ": element " + i + " expected " + e[i] + " (cpu) but was " + a[i]
                        + " (difference " + Math.abs(a[i] - e[i]) + " > tolerance " + tol + ", rtol " + rtol
                        + ", atol " + atol + ")");
            }
        }
    }

    // =====================================================================================================
    // The op table, forward and backward

    static Stream<Arguments> cases() {
        return GradcheckOpCases.all().stream()
                .flatMap(c -> Stream.of(Arguments.of(DType.FLOAT32, c), Arguments.of(DType.FLOAT64, c)));
    }

    /** A case's output and the gradients of its inputs (null where an input does not require grad). */
    private record Result(Tensor out, Tensor[] grads) {
    }

    /**
     * Runs a case on a device: floating-point inputs converted to the dtype (integer and bool inputs keep
     * theirs), moved, then made leaves that require grad as the case says; backward with a seeded upstream
     * gradient that has the same values on every device.
     */
    private static Result run(Case c, DType dtype, Device device) {
        Tensor[] made = c.inputs();
        Tensor[] in = new Tensor[made.length];
        for (int i = 0; i < made.length; i++) {
            Tensor t = made[i].detach();
            if (t.dtype().isFloatingPoint()) {
                t = t.to(dtype);
            }
            t = t.to(device).detach();
            in[i] = c.ins()[i].requiresGrad() ? t.requiresGrad_() : t;
        }
        Tensor out = c.fn().apply(in);
        Tensor upstream = Tensor.randn(new Generator(c.name().hashCode() * 31L + 7), out.shape())
                .to(out.dtype()).to(device);
        out.backward(upstream);
        Tensor[] grads = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) {
            grads[i] = in[i].grad();
        }
        return new Result(out, grads);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void forwardAndBackwardMatchTheCpu(DType dtype, Case c) {
        Device device = device();
        Result cpu = run(c, dtype, Device.CPU);
        Result dev = run(c, dtype, device);
        double rtol = rtol(c, dtype);
        String name = c.name() + " in " + dtype;
        assertEquals(Device.CPU, cpu.out().device(), name + ": device of the cpu output");
        assertEquals(device, dev.out().device(), name + ": device of the output");
        assertClose(name + ": output", cpu.out(), dev.out(), rtol);
        for (int i = 0; i < cpu.grads().length; i++) {
            String what = name + ": gradient of input " + i;
            if (!c.ins()[i].requiresGrad()) {
                assertNull(dev.grads()[i], what + " (a constant)");
                continue;
            }
            assertNotNull(cpu.grads()[i], what + " on the cpu");
            assertNotNull(dev.grads()[i], what);
            assertEquals(device, dev.grads()[i].device(), what + ": device");
            assertClose(what, cpu.grads()[i], dev.grads()[i], rtol);
        }
    }

    // =====================================================================================================
    // Primitives without gradients: exact

    /** Runs {@code op} on the CPU and on the device and asserts equal dtypes, shapes and values, exactly. */
    private void assertExact(String what, Tensor[] inputs, Function<Tensor[], Tensor> op) {
        Tensor[] moved = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            moved[i] = inputs[i].to(device());
        }
        Tensor expected = op.apply(inputs);
        Tensor actual = op.apply(moved);
        assertEquals(device(), actual.device(), what + ": device");
        assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertArrayEquals(expected.toArray(), actual.to(Device.CPU).toArray(), 0.0, what);
    }

    /** Small integers with ties and zeros (comparisons must see equality), exact in every numeric dtype. */
    private static Tensor ties(DType dtype) {
        return Tensor.tensor(new double[] {1, -2, 0, 3, 1, -1, 0, 2, -2, 3, 1, 0}, dtype, 3, 4);
    }

    @Test
    void argmaxAndArgminMatchTheCpu() {
        for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
            Tensor[] x = {Tensor.tensor(GradcheckOpCases.DISTINCT.sample(new Generator(5), 24), dtype, 2, 3, 4)};
            for (int dim : new int[] {0, 1, 2, -1}) {
                String d = dtype + " dim " + dim;
                assertExact("argmax " + d, x, t -> t[0].argmax(dim));
                assertExact("max indices " + d, x, t -> t[0].max(dim, true).indices());
                assertExact("argmin (min indices) " + d, x, t -> t[0].min(dim).indices());
            }
            assertEquals(DType.INT64, x[0].to(device()).argmax(1).dtype());
        }
    }

    @Test
    void comparisonsProduceTheSameBools() {
        for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT64)) {
            Tensor a = ties(dtype);
            Tensor b = Tensor.tensor(new double[] {1, 0, 3, -2}, dtype, 4);
            Tensor[] ab = {a, b};
            List<String> names = List.of("eq", "ne", "lt", "le", "gt", "ge");
            List<BinaryOperator<Tensor>> ops = List.of(Tensor::eq, Tensor::ne, Tensor::lt, Tensor::le, Tensor::gt,
                    Tensor::ge);
            for (int k = 0; k < ops.size(); k++) {
                var op = ops.get(k);
                String what = names.get(k) + " " + dtype;
                assertExact(what + " broadcast", ab, t -> op.apply(t[0], t[1]));
                assertEquals(DType.BOOL, op.apply(a.to(device()), b.to(device())).dtype(), what);
            }
            Tensor[] only = {a};
            assertExact("eq scalar " + dtype, only, t -> t[0].eq(1));
            assertExact("ne scalar " + dtype, only, t -> t[0].ne(0));
            assertExact("lt scalar " + dtype, only, t -> t[0].lt(1));
            assertExact("le scalar " + dtype, only, t -> t[0].le(1));
            assertExact("gt scalar " + dtype, only, t -> t[0].gt(0));
            assertExact("ge scalar " + dtype, only, t -> t[0].ge(-2));
        }
    }

    @Test
    void whereAndMaskedFillSelectTheSameElements() {
        for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
            Tensor a = ties(dtype);
            Tensor b = Tensor.randn(new Generator(3), 4).to(dtype);
            Tensor[] ab = {a, b};
            assertExact("where(a > 0, a, b) " + dtype, ab, t -> Tensor.where(t[0].gt(0), t[0], t[1]));
            assertExact("where(a == 1, a, scalar) " + dtype, ab, t -> Tensor.where(t[0].eq(1), t[0], -7.5));
            assertExact("maskedFill " + dtype, ab, t -> t[0].maskedFill(t[1].lt(0), 9));
        }
    }

    @Test
    void int64ArithmeticIsExact() {
        Tensor a = Tensor.ofLongs(3, -7, 12, 0, 5, 9).reshape(2, 3);
        Tensor b = Tensor.ofLongs(-4, 2, 5);
        Tensor[] ab = {a, b};
        assertExact("int64 add", ab, t -> t[0].add(t[1]));
        assertExact("int64 sub", ab, t -> t[0].sub(t[1]));
        assertExact("int64 mul", ab, t -> t[0].mul(t[1]));
        assertExact("int64 neg", ab, t -> t[0].neg());
        assertExact("int64 add scalar", ab, t -> t[0].add(3));
        assertExact("int64 sum dim 0", ab, t -> t[0].sum(0, false));
        assertExact("int64 max", ab, t -> t[0].max());
        Tensor moved = a.to(device());
        assertEquals(DType.INT64, moved.add(b.to(device())).dtype());
        assertArrayEquals(new long[] {-1, -5, 17, -4, 7, 14}, moved.add(b.to(device())).to(Device.CPU).toLongArray());
    }

    @Test
    void copiesBetweenDtypesMatchTheCpu() {
        Tensor x = Tensor.tensor(new double[] {1.75, -2.5, 0, 3.1, -0.9, 1e-3}, DType.FLOAT64, 2, 3);
        Tensor[] in = {x};
        for (DType to : DType.values()) {
            for (DType from : DType.values()) {
                String what = from + " -> " + to;
                assertExact(what, in, t -> t[0].to(from).to(to));
                // Through a non-contiguous view.
                assertExact(what + " of transposed", in, t -> t[0].to(from).t().to(to));
            }
        }
        // copy_ converts into the destination's dtype, on the device.
        Tensor[] pair = {Tensor.zeros(2, 3), x};
        assertExact("copy_ float64 into float32", pair, t -> t[0].clone().copy_(t[1]));
        assertExact("copy_ into a transposed view", new Tensor[] {Tensor.zeros(3, 2), x},
                t -> {
                    Tensor dst = t[0].clone();
                    dst.t().copy_(t[1]);
                    return dst;
                });
        // Moving between devices keeps every bit.
        for (DType dtype : DType.values()) {
            Tensor v = x.to(dtype);
            assertArrayEquals(v.toArray(), v.to(device()).to(Device.CPU).toArray(), 0.0, dtype + " round trip");
        }
    }
}
