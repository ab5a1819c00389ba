package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pins user-defined autograd functions ({@link Function}), modelled on {@code torch.autograd.Function}. */
class CustomFunctionTest {
    private static final double EPS = 1e-5;

    static void assertValues(Tensor t, double... expected) {
        assertNotNull(t, "tensor is null");
        assertArrayEquals(expected, t.toArray(), EPS, () -> "values of " + t);
    }

    /** x^3 with a hand-written backward. */
    static final class Cube extends Function {
        final List<Boolean> gradModeInForward = new ArrayList<>();
        int backwardCalls;

        @Override
        protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
            gradModeInForward.add(GradMode.isEnabled());
            ctx.saveForBackward(in[0]);
            return new Tensor[] {in[0].pow(3)};
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
            backwardCalls++;
            Tensor x = ctx.savedTensors()[0];
            return new Tensor[] {grad[0].mul(x.pow(2).mul(3))};
        }
    }

    /** a * b, skipping the gradients that are not needed and recording which were asked for. */
    static final class Product extends Function {
        boolean[] needs;

        @Override
        protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
            ctx.saveForBackward(in[0], in[1]);
            ctx.put("note", "kept");
            return new Tensor[] {in[0].mul(in[1])};
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
            needs = new boolean[] {ctx.needsInputGrad(0), ctx.needsInputGrad(1)};
            assertEquals("kept", ctx.<String>get("note"));
            Tensor[] s = ctx.savedTensors();
            return new Tensor[] {
                ctx.needsInputGrad(0) ? grad[0].mul(s[1]) : null,
                ctx.needsInputGrad(1) ? grad[0].mul(s[0]) : null};
        }
    }

    /** Returns a gradient of the wrong shape. */
    static final class Bad extends Function {
        @Override
        protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
            return new Tensor[] {in[0].mul(2)};
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
            return new Tensor[] {Tensor.ones(3)};
        }
    }

    /** Returns two gradients for one input. */
    static final class TooMany extends Function {
        @Override
        protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
            return new Tensor[] {in[0].clone()};
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
            return new Tensor[] {grad[0], grad[0]};
        }
    }

    /** (2x, 3x): two outputs. */
    static final class Split extends Function {
        final List<double[][]> received = new ArrayList<>();

        @Override
        protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
            return new Tensor[] {in[0].mul(2), in[0].mul(3)};
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
            received.add(new double[][] {grad[0].toArray(), grad[1].toArray()});
            return new Tensor[] {grad[0].mul(2).add(grad[1].mul(3))};
        }

        @Override
        protected String name() {
            return "SplitInTwoBackward";
        }
    }

    @Test
    void forwardAndBackward() {
        Cube cube = new Cube();
        Tensor x = Tensor.of(1, 2, 3).requiresGrad_();
        Tensor y = cube.apply(x)[0];
        assertValues(y, 1, 8, 27);
        assertTrue(y.requiresGrad());
        assertFalse(y.isLeaf());
        assertEquals(List.of(false), cube.gradModeInForward, "forward runs without recording");
        y.sum().backward();
        assertEquals(1, cube.backwardCalls);
        assertValues(x.grad(), 3, 12, 27);
    }

    @Test
    void nameShowsAsGradFn() {
        Tensor x = Tensor.of(2).requiresGrad_();
        Tensor y = new Cube().apply(x)[0];
        assertEquals("CubeBackward", y.gradFn().name());
        assertEquals("tensor([8.], grad_fn=<CubeBackward>)", y.toString());
        assertEquals("AccumulateGrad", y.gradFn().nextFunctions().get(0).node().name());
        assertEquals("SplitInTwoBackward", new Split().apply(x)[1].gradFn().name());
    }

    @Test
    void composesWithBuiltInOps() {
        Tensor x = Tensor.of(1, 2).requiresGrad_();
        Tensor y = new Cube().apply(x.mul(2))[0].sum(); // (2x)^3 -> 24 x^2
        y.backward();
        assertValues(x.grad(), 24, 96);
    }

    @Test
    void needsInputGradSkipsUnneededWork() {
        Product p = new Product();
        Tensor a = Tensor.of(2, 3).requiresGrad_();
        Tensor b = Tensor.of(5, 7);
        Tensor out = p.apply(a, b)[0];
        assertValues(out, 10, 21);
        out.sum().backward();
        assertArrayEquals(new boolean[] {true, false}, p.needs);
        assertValues(a.grad(), 5, 7);
        assertNull(b.grad());
    }

    @Test
    void noInputRequiringGradRecordsNothing() {
        Cube cube = new Cube();
        Tensor y = cube.apply(Tensor.of(2))[0];
        assertFalse(y.requiresGrad());
        assertNull(y.gradFn());
        assertValues(y, 8);
        Tensor x = Tensor.of(2).requiresGrad_();
        try (GradMode.Scope s = GradMode.noGrad()) {
            assertFalse(cube.apply(x)[0].requiresGrad());
        }
    }

    @Test
    void outputsAreNewTensorsEvenWhenForwardReturnsItsInput() {
        Function identity = new Function() {
            @Override
            protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
                return new Tensor[] {in[0]};
            }

            @Override
            protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
                return new Tensor[] {grad[0].mul(5)};
            }
        };
        Tensor x = Tensor.of(1, 2).requiresGrad_();
        Tensor y = identity.apply(x)[0];
        assertNotSame(x, y);
        assertTrue(x.isLeaf(), "the input keeps its own (leaf) history");
        y.sum().backward();
        assertValues(x.grad(), 5, 5);
    }

    @Test
    void wrongShapeGradientNamesTheFunctionAndShapes() {
        Tensor x = Tensor.of(1, 2).requiresGrad_();
        Tensor y = new Bad().apply(x)[0];
        RuntimeException e = assertThrows(RuntimeException.class, () -> y.sum().backward());
        assertEquals("Function BadBackward returned an invalid gradient at index 0 - got [3] but expected shape "
                + "compatible with [2]", e.getMessage());
    }

    @Test
    void wrongNumberOfGradientsFails() {
        Tensor x = Tensor.of(1, 2).requiresGrad_();
        Tensor y = new TooMany().apply(x)[0];
        RuntimeException e = assertThrows(RuntimeException.class, () -> y.sum().backward());
        assertEquals("function TooManyBackward returned an incorrect number of gradients (expected 1, got 2)",
                e.getMessage());
    }

    @Test
    void multiOutputFunction() {
        Split split = new Split();
        Tensor x = Tensor.of(1, 2).requiresGrad_();
        Tensor[] out = split.apply(x);
        assertEquals(2, out.length);
        assertValues(out[0], 2, 4);
        assertValues(out[1], 3, 6);
        assertSame(out[0].gradFn(), out[1].gradFn());
        out[0].sum().add(out[1].sum().mul(2)).backward();
        assertEquals(1, split.received.size(), "backward runs once for both outputs");
        assertArrayEquals(new double[] {1, 1}, split.received.get(0)[0], EPS);
        assertArrayEquals(new double[] {2, 2}, split.received.get(0)[1], EPS);
        assertValues(x.grad(), 8, 8);
    }

    @Test
    void unusedOutputGetsZeroGradient() {
        Split split = new Split();
        Tensor x = Tensor.of(1, 2).requiresGrad_();
        Tensor[] out = split.apply(x);
        out[1].sum().backward();
        assertArrayEquals(new double[] {0, 0}, split.received.get(0)[0], 0.0);
        assertArrayEquals(new double[] {1, 1}, split.received.get(0)[1], EPS);
        assertValues(x.grad(), 3, 3);
    }

    @Test
    void anUnusedOutputsZeroGradientIsLikeThatOutput() {
        // Input 0 is float64 on the CPU; the unused outputs are float32 on the CPU and float64 on the sim device.
        List<Tensor[]> received = new ArrayList<>();
        Function mixed = new Function() {
            @Override
            protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
                return new Tensor[] {in[0].mul(2), in[0].to(DType.FLOAT32), in[0].to(Device.of("sim", 0))};
            }

            @Override
            protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
                received.add(grad);
                return new Tensor[] {grad[0].mul(2)};
            }
        };
        Tensor x = Tensor.tensor(new double[] {1, 2, 3, 4, 5, 6}, DType.FLOAT64, 2, 3).requiresGrad_();
        Tensor[] out = mixed.apply(x);
        out[0].sum().backward();
        Tensor[] g = received.get(0);
        assertEquals(DType.FLOAT32, g[1].dtype(), "zero gradient of the float32 output");
        assertEquals(Device.CPU, g[1].device());
        assertArrayEquals(new int[] {2, 3}, g[1].shape());
        assertArrayEquals(new double[6], g[1].toArray(), 0.0);
        assertEquals(Device.of("sim", 0), g[2].device(), "zero gradient of the output on the sim device");
        assertEquals(DType.FLOAT64, g[2].dtype());
        assertArrayEquals(new int[] {2, 3}, g[2].shape());
        assertArrayEquals(new double[6], g[2].toArray(), 0.0);
        assertValues(x.grad(), 2, 2, 2, 2, 2, 2); // d sum(2x) / dx through backward grad[0] * 2
    }

    @Test
    void savedTensorsAreVersionChecked() {
        Tensor x = Tensor.of(1, 2).requiresGrad_();
        Tensor h = x.mul(1);
        Tensor y = new Cube().apply(h)[0];
        try (GradMode.Scope s = GradMode.noGrad()) {
            h.add_(1);
        }
        RuntimeException e = assertThrows(RuntimeException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().startsWith("one of the variables needed for gradient computation has been modified by "
                + "an inplace operation"), e.getMessage());
    }

    @Test
    void savedTensorsAreFreedAfterBackward() {
        Tensor x = Tensor.of(1, 2).requiresGrad_();
        Tensor y = new Cube().apply(x)[0].sum();
        y.backward();
        RuntimeException e = assertThrows(RuntimeException.class, y::backward);
        assertTrue(e.getMessage().startsWith("Trying to backward through the graph a second time"), e.getMessage());
    }

    @Test
    void secondOrderThroughADifferentiableBackward() {
        Tensor x = Tensor.tensor(new double[] {2}, DType.FLOAT64, 1).requiresGrad_();
        Tensor y = new Cube().apply(x)[0].sum();
        Tensor[] d1 = Autograd.grad(new Tensor[] {y}, new Tensor[] {x}, null, false, true);
        assertValues(d1[0], 12);
        Tensor[] d2 = Autograd.grad(d1[0].sum(), x);
        assertValues(d2[0], 12); // 6x
    }
}
