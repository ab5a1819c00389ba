package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Pins define-by-run autograd against PyTorch: requires_grad propagation, graph structure and node names,
 * backward / autograd.grad semantics, retain_graph, hooks, no-grad scopes, higher-order gradients, version
 * counters and in-place rules, deep and branching graphs, and gradients through views. Expected values
 * were computed by hand or recorded from PyTorch 1.13 while writing the tests.
 */
class AutogradTest {
    private static final double EPS = 1e-5;

    static Tensor leaf(float... values) {
        return Tensor.of(values).requiresGrad_();
    }

    static Tensor leaf64(double... values) {
        return Tensor.tensor(values, DType.FLOAT64, values.length).requiresGrad_();
    }

    static void assertValues(Tensor t, double... expected) {
        assertNotNull(t, "tensor is null");
        assertArrayEquals(expected, t.toArray(), EPS, () -> "values of " + t);
    }

    static void assertShape(Tensor t, int... shape) {
        assertArrayEquals(shape, t.shape(), () -> "shape of " + t);
    }

    static String message(Executable e) {
        RuntimeException ex = assertThrows(RuntimeException.class, e);
        assertNotNull(ex.getMessage(), "exception without a message: " + ex);
        return ex.getMessage();
    }

    static void assertMessage(String expected, Executable e) {
        assertEquals(expected, message(e));
    }

    static void assertMessageContains(String part, Executable e) {
        String m = message(e);
        assertTrue(m.contains(part), () -> "expected the message to contain <" + part + "> but was <" + m + ">");
    }

    static void assertMessageStartsWith(String prefix, Executable e) {
        String m = message(e);
        assertTrue(m.startsWith(prefix), () -> "expected the message to start with <" + prefix + "> but was <" + m + ">");
    }

    // =====================================================================================================

    @Nested
    class GraphRecording {
        @Test
        void userTensorsAreLeavesWithoutHistory() {
            Tensor t = Tensor.of(1, 2);
            assertFalse(t.requiresGrad());
            assertTrue(t.isLeaf());
            assertNull(t.gradFn());
            assertNull(t.grad());
            Tensor x = leaf(1, 2);
            assertTrue(x.requiresGrad());
            assertTrue(x.isLeaf());
            assertNull(x.gradFn());
            assertSame(x, x.requiresGrad_());
        }

        @Test
        void requiresGradPropagatesIffAnInputRequiresIt() {
            Tensor x = leaf(1, 2);
            Tensor c = Tensor.of(3, 4);
            Tensor y = x.add(c);
            assertTrue(y.requiresGrad());
            assertFalse(y.isLeaf());
            assertNotNull(y.gradFn());
            Tensor z = c.mul(2).exp();
            assertFalse(z.requiresGrad());
            assertTrue(z.isLeaf());
            assertNull(z.gradFn());
            assertTrue(c.mul(x).requiresGrad());
            assertTrue(Tensor.cat(0, c, x).requiresGrad());
            assertFalse(Tensor.cat(0, c, c).requiresGrad());
        }

        @Test
        void noGradStopsRecording() {
            Tensor x = leaf(1, 2);
            try (GradMode.Scope s = GradMode.noGrad()) {
                assertFalse(GradMode.isEnabled());
                Tensor y = x.mul(2);
                assertFalse(y.requiresGrad());
                assertNull(y.gradFn());
                assertTrue(y.isLeaf());
                assertValues(y, 2, 4);
            }
            assertTrue(GradMode.isEnabled());
            assertTrue(x.mul(2).requiresGrad());
        }

        @Test
        void nonDifferentiableOutputsDoNotRequireGrad() {
            Tensor x = leaf(1, 3, 2);
            assertFalse(x.gt(1).requiresGrad());
            assertEquals(DType.BOOL, x.eq(x).dtype());
            Tensor.ValuesIndices m = x.max(0);
            assertTrue(m.values().requiresGrad());
            assertFalse(m.indices().requiresGrad());
            assertFalse(x.argmax(0).requiresGrad());
        }

        @Test
        void onlyFloatingPointTensorsCanRequireGrad() {
            assertMessageContains("only Tensors of floating point", () -> Tensor.ofLongs(1, 2).requiresGrad_());
            Tensor y = leaf(1).mul(2);
            assertMessageContains("you can only change requires_grad flags of leaf variables.", () -> y.requiresGrad_(false));
            Tensor x = leaf(1);
            x.requiresGrad_(false);
            assertFalse(x.requiresGrad());
        }

        @Test
        void gradFnNamesMatchPyTorch() {
            Tensor x = Tensor.tensor(new float[][] {{1, 2}, {3, 4}}).requiresGrad_();
            Tensor v = leaf(1, 2);
            Tensor b = Tensor.arange(8).reshape(2, 2, 2).requiresGrad_();
            Tensor idx = Tensor.tensor(new double[] {0, 1}, DType.INT64, 2, 1);
            Map<String, Supplier<Tensor>> ops = new LinkedHashMap<>();
            ops.put("AddBackward0", () -> x.add(x));
            ops.put("AddBackward0 ", () -> x.add(2));
            ops.put("SubBackward0", () -> x.sub(x));
            ops.put("SubBackward0 ", () -> x.sub(1));
            ops.put("RsubBackward1", () -> x.rsub(1));
            ops.put("MulBackward0", () -> x.mul(x));
            ops.put("MulBackward0 ", () -> x.mul(2));
            ops.put("MulBackward0  ", () -> x.rdiv(1));
            ops.put("DivBackward0", () -> x.div(x));
            ops.put("DivBackward0 ", () -> x.div(2));
            ops.put("PowBackward0", () -> x.pow(2));
            ops.put("PowBackward1", () -> x.pow(x));
            ops.put("NegBackward0", x::neg);
            ops.put("ExpBackward0", x::exp);
            ops.put("LogBackward0", x::log);
            ops.put("SqrtBackward0", x::sqrt);
            ops.put("AbsBackward0", x::abs);
            ops.put("SinBackward0", x::sin);
            ops.put("CosBackward0", x::cos);
            ops.put("TanhBackward0", x::tanh);
            ops.put("SigmoidBackward0", x::sigmoid);
            ops.put("ReluBackward0", x::relu);
            ops.put("ClampBackward1", () -> x.clamp(0, 1));
            ops.put("ClampBackward1 ", () -> x.clamp(0.0, null)); // x.clamp(min=0)
            ops.put("ClampMinBackward0", () -> x.clampMin(0)); // x.clamp_min(0)
            ops.put("ClampMaxBackward0", () -> x.clampMax(0)); // x.clamp_max(0)
            ops.put("MmBackward0", () -> x.mm(x));
            ops.put("MmBackward0 ", () -> x.matmul(x));
            ops.put("MvBackward0", () -> x.mv(v));
            ops.put("MvBackward0 ", () -> x.matmul(v));
            ops.put("DotBackward0", () -> v.dot(v));
            ops.put("DotBackward0 ", () -> v.matmul(v));
            ops.put("SqueezeBackward3", () -> v.matmul(x));
            ops.put("BmmBackward0", () -> b.bmm(b));
            ops.put("UnsafeViewBackward0", () -> b.matmul(x));
            ops.put("TBackward0", x::t);
            ops.put("TransposeBackward0", () -> x.transpose(0, 1));
            ops.put("PermuteBackward0", () -> x.permute(1, 0));
            ops.put("ViewBackward0", () -> x.view(4));
            ops.put("ReshapeAliasBackward0", () -> x.reshape(4));
            ops.put("ReshapeAliasBackward0 ", x::flatten);
            ops.put("UnsafeViewBackward0 ", () -> x.t().reshape(4));
            ops.put("SqueezeBackward0", () -> x.unsqueeze(0).squeeze());
            ops.put("SqueezeBackward1", () -> x.unsqueeze(0).squeeze(0));
            ops.put("UnsqueezeBackward0", () -> x.unsqueeze(0));
            ops.put("ExpandBackward0", () -> v.unsqueeze(0).expand(3, 2));
            ops.put("SelectBackward0", () -> x.select(0, 1));
            ops.put("SelectBackward0 ", () -> x.get(0));
            ops.put("SliceBackward0", () -> x.slice(0, 0, 1));
            ops.put("CatBackward0", () -> Tensor.cat(0, x, x));
            ops.put("StackBackward0", () -> Tensor.stack(0, x, x));
            ops.put("GatherBackward0", () -> x.gather(1, idx));
            ops.put("IndexSelectBackward0", () -> x.indexSelect(0, Tensor.ofLongs(1)));
            ops.put("IndexBackward0", () -> x.index(Tensor.ofLongs(0, 1), Tensor.ofLongs(1, 0)));
            ops.put("IndexBackward0 ", () -> x.index(x.gt(2)));
            ops.put("SumBackward0", x::sum);
            ops.put("SumBackward1", () -> x.sum(0));
            ops.put("SumBackward1 ", () -> x.sum(0, 1));
            ops.put("MeanBackward0", x::mean);
            ops.put("MeanBackward1", () -> x.mean(0));
            ops.put("ProdBackward0", x::prod);
            ops.put("ProdBackward1", () -> x.prod(0, false));
            ops.put("MaxBackward1", x::max);
            ops.put("MinBackward1", x::min);
            ops.put("MaxBackward0", () -> x.max(0).values());
            ops.put("MinBackward0", () -> x.min(1, true).values());
            ops.put("NormBackward1", x::norm);
            ops.put("NormBackward1 ", () -> x.norm(2, new int[] {0}, false));
            ops.put("SoftmaxBackward0", () -> x.softmax(0));
            ops.put("LogSoftmaxBackward0", () -> x.logSoftmax(1));
            ops.put("WhereBackward0", () -> Tensor.where(x.gt(2), x, x.neg()));
            ops.put("WhereBackward0 ", () -> Tensor.where(x.gt(2), x, 0));
            ops.put("MaskedFillBackward0", () -> x.maskedFill(x.gt(2), 0));
            ops.put("CloneBackward0", x::clone);
            ops.put("CloneBackward0 ", () -> x.t().contiguous());
            ops.put("ToCopyBackward0", x::toDouble);
            List<String> wrong = new ArrayList<>();
            for (Map.Entry<String, Supplier<Tensor>> e : ops.entrySet()) {
                Tensor out = e.getValue().get();
                String expected = e.getKey().trim();
                String actual = out.gradFn() == null ? null : out.gradFn().name();
                if (!expected.equals(actual)) {
                    wrong.add("expected " + expected + " but got " + actual);
                }
            }
            assertTrue(wrong.isEmpty(), () -> "grad_fn names differ from PyTorch: " + wrong);
        }

        @Test
        void nextFunctionsEdges() {
            Tensor x = leaf(1, 2);
            Tensor c = Tensor.of(3, 4);
            Tensor y = x.mul(c);
            List<Edge> next = y.gradFn().nextFunctions();
            assertEquals(2, next.size());
            assertEquals("AccumulateGrad", next.get(0).node().name());
            assertEquals(0, next.get(0).inputNr());
            assertNull(next.get(1).node(), "an input not requiring grad has a null node");

            Tensor z = y.exp();
            List<Edge> zn = z.gradFn().nextFunctions();
            assertEquals(1, zn.size());
            assertSame(y.gradFn(), zn.get(0).node());
            assertEquals("MulBackward0", zn.get(0).node().name());

            // one AccumulateGrad per leaf, shared by every use of it
            Node acc1 = x.add(1).gradFn().nextFunctions().get(0).node();
            Node acc2 = x.sin().gradFn().nextFunctions().get(0).node();
            assertSame(acc1, acc2);
            assertTrue(acc1.nextFunctions().isEmpty());
            assertEquals("<MulBackward0>", y.gradFn().toString());
        }
    }

    // =====================================================================================================

    @Nested
    class Backward {
        @Test
        void gradIsNullBeforeBackwardAndAccumulates() {
            Tensor x = leaf(1, 2, 3);
            assertNull(x.grad());
            x.mul(x).sum().backward();
            assertValues(x.grad(), 2, 4, 6);
            assertFalse(x.grad().requiresGrad());
            x.mul(x).sum().backward();
            assertValues(x.grad(), 4, 8, 12);
            x.grad().zero_();
            assertValues(x.grad(), 0, 0, 0);
            x.mul(3).sum().backward();
            assertValues(x.grad(), 3, 3, 3);
            x.setGrad(null);
            assertNull(x.grad());
            x.sum().backward();
            assertValues(x.grad(), 1, 1, 1);
            assertShape(x.grad(), 3);
            assertEquals(DType.FLOAT32, x.grad().dtype());
        }

        @Test
        void gradHasTheLeafsShapeAndType() {
            Tensor w = Tensor.tensor(new double[] {1, 2, 3, 4, 5, 6}, DType.FLOAT64, 2, 3).requiresGrad_();
            w.mul(Tensor.of(1, 2, 3)).sum().backward(); // float32 operand, broadcast
            assertShape(w.grad(), 2, 3);
            assertEquals(DType.FLOAT64, w.grad().dtype());
            assertValues(w.grad(), 1, 2, 3, 1, 2, 3);
        }

        @Test
        void vectorJacobianProduct() {
            Tensor x = leaf(1, 2, 3);
            Tensor y = x.mul(x);
            y.backward(Tensor.of(1, 0.5f, 2));
            assertValues(x.grad(), 2, 2, 12);

            Tensor a = Tensor.tensor(new float[][] {{1, 2}, {3, 4}}).requiresGrad_();
            Tensor out = a.mul(2);
            out.backward(Tensor.tensor(new float[][] {{1, 0}, {0, 1}}));
            assertValues(a.grad(), 2, 0, 0, 2);
        }

        @Test
        void nonScalarOutputNeedsAGradient() {
            Tensor x = leaf(1, 2);
            assertMessage("grad can be implicitly created only for scalar outputs", () -> x.mul(2).backward());
            // a one-element tensor of any rank is fine
            Tensor one = leaf(3);
            one.reshape(1, 1).mul(2).backward();
            assertValues(one.grad(), 2);
        }

        @Test
        void gradientOfWrongShapeFails() {
            Tensor x = leaf(1, 2);
            assertMessage("Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] has a shape of "
                    + "torch.Size([2]).", () -> x.mul(2).backward(Tensor.ones(3)));
        }

        @Test
        void backwardOfTensorWithoutGradFails() {
            assertMessage("element 0 of tensors does not require grad and does not have a grad_fn",
                    () -> Tensor.of(1, 2).sum().backward());
        }

        @Test
        void secondBackwardThroughFreedGraphFails() {
            Tensor x = leaf(1, 2, 3);
            Tensor z = x.mul(x).sum();
            z.backward();
            assertMessageStartsWith("Trying to backward through the graph a second time", z::backward);
            assertValues(x.grad(), 2, 4, 6);
        }

        @Test
        void retainGraphAllowsASecondBackward() {
            Tensor x = leaf(1, 2, 3);
            Tensor z = x.mul(x).sum();
            z.backward(null, true);
            assertValues(x.grad(), 2, 4, 6);
            z.backward(null, true);
            assertValues(x.grad(), 4, 8, 12);
            z.backward();
            assertValues(x.grad(), 6, 12, 18);
            assertMessageStartsWith("Trying to backward through the graph a second time", z::backward);
        }

        @Test
        void graphWithoutSavedTensorsCanBeReusedLikePyTorch() {
            Tensor x = leaf(1, 2);
            Tensor s = x.add(1).sum();
            s.backward();
            s.backward();
            assertValues(x.grad(), 2, 2);
        }

        @Test
        void diamondGraphSumsGradients() {
            Tensor x = leaf(1, 2, 3);
            Tensor out = x.mul(x).add(x.mul(3)).sum(); // x^2 + 3x
            out.backward();
            assertValues(x.grad(), 5, 7, 9);

            Tensor w = leaf(0.5f, -1);
            Tensor y = w.mul(2);
            y.mul(y).add(y).sum().backward(); // y^2 + y, dy/dw = 2
            assertValues(w.grad(), (2 * 1.0 + 1) * 2, (2 * -2.0 + 1) * 2);
        }

        @Test
        void deepChainDoesNotOverflowTheStack() {
            Tensor x = leaf64(1.0);
            Tensor y = x;
            for (int i = 0; i < 100_000; i++) {
                y = y.mul(1.00001);
            }
            y.sum().backward();
            assertEquals(Math.pow(1.00001, 100_000), x.grad().item(), 1e-6);
        }

        @Test
        void controlFlowOnValuesJustWorks() {
            Tensor x = leaf(1, 1);
            Tensor y = x;
            int doublings = 0;
            while (y.norm().item() < 100) {
                y = y.mul(2);
                doublings++;
            }
            assertEquals(7, doublings); // sqrt(2) * 2^7 = 181 >= 100 > sqrt(2) * 2^6
            y.sum().backward();
            assertValues(x.grad(), 128, 128);

            Tensor a = leaf(-1, 2);
            Tensor r = a.sum().item() > 0 ? a.mul(3) : a.neg();
            r.sum().backward();
            assertValues(a.grad(), 3, 3);
        }

        @Test
        void unusedBranchesGetNoGradient() {
            Tensor x = leaf(1, 2);
            Tensor unused = leaf(5);
            unused.mul(2); // recorded but not part of the output
            x.sum().backward();
            assertNull(unused.grad());
        }
    }

    // =====================================================================================================

    @Nested
    class RetainGradAndHooks {
        @Test
        void nonLeafGradIsNullUnlessRetained() {
            Tensor x = leaf(1, 2, 3);
            Tensor y = x.mul(2);
            Tensor z = y.mul(y).sum();
            z.backward();
            assertNull(y.grad());
            assertFalse(y.retainsGrad());
            assertValues(x.grad(), 8, 16, 24);

            Tensor x2 = leaf(1, 2, 3);
            Tensor y2 = x2.mul(2);
            assertSame(y2, y2.retainGrad());
            assertTrue(y2.retainsGrad());
            y2.mul(y2).sum().backward();
            assertValues(y2.grad(), 4, 8, 12); // 2y
            assertValues(x2.grad(), 8, 16, 24);
        }

        @Test
        void retainGradOnLeafIsANoOpAndNeedsRequiresGrad() {
            Tensor x = leaf(1, 2);
            x.retainGrad();
            x.sum().backward();
            assertValues(x.grad(), 1, 1);
            assertMessageContains("can't retain_grad on Tensor that has requires_grad=False", () -> Tensor.of(1).retainGrad());
        }

        @Test
        void leafHookCanReplaceTheGradient() {
            Tensor x = leaf(1, 2, 3);
            List<double[]> seen = new ArrayList<>();
            Tensor.HookHandle h = x.registerHook(g -> {
                seen.add(g.toArray());
                return g.mul(2);
            });
            x.mul(x).sum().backward();
            assertEquals(1, seen.size());
            assertArrayEquals(new double[] {2, 4, 6}, seen.get(0), EPS);
            assertValues(x.grad(), 4, 8, 12);
            h.remove();
            x.grad().zero_();
            x.mul(x).sum().backward();
            assertValues(x.grad(), 2, 4, 6);
            assertEquals(1, seen.size(), "a removed hook is not called");
        }

        @Test
        void nonLeafHookCanReplaceTheGradient() {
            Tensor x = leaf(1, 2);
            Tensor y = x.mul(3);
            List<double[]> seen = new ArrayList<>();
            Tensor.HookHandle h = y.registerHook(g -> {
                seen.add(g.toArray());
                return g.mul(2);
            });
            y.mul(Tensor.of(1, 10)).sum().backward();
            assertEquals(1, seen.size());
            assertArrayEquals(new double[] {1, 10}, seen.get(0), EPS);
            assertValues(x.grad(), 6, 60);
            assertNull(y.grad(), "a hook does not retain the gradient");
            h.remove();

            Tensor x2 = leaf(1, 2);
            Tensor y2 = x2.mul(3);
            Tensor.HookHandle h2 = y2.registerHook(g -> g.mul(2));
            h2.remove();
            y2.sum().backward();
            assertValues(x2.grad(), 3, 3);
        }

        @Test
        void hookReturningNullKeepsTheGradient() {
            Tensor x = leaf(1, 2);
            double[][] seen = new double[1][];
            x.registerHook(g -> {
                seen[0] = g.toArray();
                return null;
            });
            x.mul(5).sum().backward();
            assertArrayEquals(new double[] {5, 5}, seen[0], EPS);
            assertValues(x.grad(), 5, 5);
        }

        @Test
        void hookNeedsRequiresGrad() {
            assertMessageContains("cannot register a hook on a tensor that doesn't require gradient",
                    () -> Tensor.of(1).registerHook(g -> g));
        }
    }

    // =====================================================================================================

    @Nested
    class DetachAndGradMode {
        @Test
        void detachSharesDataButHasNoHistory() {
            Tensor x = leaf(1, 2);
            Tensor y = x.mul(2);
            Tensor d = y.detach();
            assertFalse(d.requiresGrad());
            assertTrue(d.isLeaf());
            assertNull(d.gradFn());
            assertValues(d, 2, 4);
            d.add_(10);
            assertValues(y, 12, 14);
            Tensor dx = x.detach();
            dx.mul_(3);
            assertValues(x, 3, 6);
            assertFalse(dx.mul(2).requiresGrad());
        }

        @Test
        void dataSharesStorageButNotHistory() {
            Tensor x = leaf(1, 2);
            Tensor d = x.data();
            assertFalse(d.requiresGrad());
            assertTrue(d.isLeaf());
            d.add_(1); // no leaf error: data() is not the leaf
            assertValues(x, 2, 3);
            assertTrue(x.requiresGrad());
        }

        @Test
        void changesThroughDataAreInvisibleToVersionChecksButThroughDetachAreNot() {
            Tensor x = leaf(0, 1);
            Tensor y = x.exp();
            y.data().mul_(2);
            y.sum().backward(); // uses the modified result, like PyTorch
            assertValues(x.grad(), 2, 2 * Math.E);

            Tensor x2 = leaf(0, 1);
            Tensor y2 = x2.exp();
            y2.detach().mul_(2);
            assertMessageContains("modified by an inplace operation", () -> y2.sum().backward());
        }

        @Test
        void gradModeScopesNestAndRestore() {
            Tensor x = leaf(1);
            assertTrue(GradMode.isEnabled());
            try (GradMode.Scope outer = GradMode.noGrad()) {
                try (GradMode.Scope inner = GradMode.noGrad()) {
                    assertFalse(GradMode.isEnabled());
                }
                assertFalse(GradMode.isEnabled(), "closing the inner scope restores the outer state");
                try (GradMode.Scope on = GradMode.enableGrad()) {
                    assertTrue(GradMode.isEnabled());
                    Tensor y = x.mul(2);
                    assertTrue(y.requiresGrad());
                    assertEquals("MulBackward0", y.gradFn().name());
                }
                assertFalse(GradMode.isEnabled());
                assertFalse(x.mul(2).requiresGrad());
            }
            assertTrue(GradMode.isEnabled());
            try (GradMode.Scope off = GradMode.set(false)) {
                assertFalse(GradMode.isEnabled());
            }
            assertTrue(GradMode.isEnabled());
        }

        @Test
        void closingAScopeTwiceIsHarmless() {
            try (GradMode.Scope outer = GradMode.noGrad()) {
                GradMode.Scope inner = GradMode.enableGrad();
                inner.close();
                inner.close();
                assertFalse(GradMode.isEnabled(), "a second close must not restore anything again");
            }
            GradMode.Scope s = GradMode.noGrad();
            s.close();
            s.close();
            assertTrue(GradMode.isEnabled());
        }

        @Test
        void gradModeIsPerThread() throws Exception {
            try (GradMode.Scope s = GradMode.noGrad()) {
                boolean[] other = new boolean[1];
                Thread t = new Thread(() -> other[0] = GradMode.isEnabled());
                t.start();
                t.join();
                assertTrue(other[0]);
                assertFalse(GradMode.isEnabled());
            }
        }
    }

    // =====================================================================================================

    @Nested
    class GradFunction {
        @Test
        void returnsGradientsWithoutTouchingGrad() {
            Tensor x = leaf(1, 2);
            Tensor[] g = Autograd.grad(x.pow(3).sum(), x);
            assertEquals(1, g.length);
            assertValues(g[0], 3, 12);
            assertNull(x.grad());
            assertFalse(g[0].requiresGrad());
        }

        @Test
        void severalInputsAndNonScalarOutputs() {
            Tensor x = leaf(1, 2);
            Tensor y = leaf(3, 4);
            Tensor out = x.mul(y);
            Tensor[] g = Autograd.grad(new Tensor[] {out}, new Tensor[] {x, y}, new Tensor[] {Tensor.of(1, 10)}, false, false);
            assertValues(g[0], 3, 40);
            assertValues(g[1], 1, 20);
            assertNull(x.grad());
            assertNull(y.grad());
        }

        @Test
        void gradWithRespectToAnIntermediate() {
            Tensor x = leaf(1, 2);
            Tensor h = x.mul(2);
            Tensor out = h.mul(h).sum();
            Tensor[] g = Autograd.grad(out, h);
            assertValues(g[0], 4, 8); // 2h
            assertNull(x.grad());
        }

        @Test
        void secondDerivativeOfCube() {
            Tensor x = leaf64(1, 2, -3);
            Tensor[] d1 = Autograd.grad(new Tensor[] {x.pow(3).sum()}, new Tensor[] {x}, null, false, true);
            assertTrue(d1[0].requiresGrad(), "create_graph records the gradient computation");
            assertValues(d1[0], 3, 12, 27);
            Tensor[] d2 = Autograd.grad(d1[0].sum(), x);
            assertValues(d2[0], 6, 12, -18);
        }

        @Test
        void secondDerivativeOfSin() {
            Tensor x = leaf64(0.5, 1.5);
            Tensor[] d1 = Autograd.grad(new Tensor[] {x.sin().sum()}, new Tensor[] {x}, null, true, true);
            assertValues(d1[0], Math.cos(0.5), Math.cos(1.5));
            Tensor[] d2 = Autograd.grad(new Tensor[] {d1[0].sum()}, new Tensor[] {x}, null, false, true);
            assertValues(d2[0], -Math.sin(0.5), -Math.sin(1.5));
            Tensor[] d3 = Autograd.grad(d2[0].sum(), x);
            assertValues(d3[0], -Math.cos(0.5), -Math.cos(1.5));
        }

        @Test
        void mixedPartialsAgree() {
            Tensor x = leaf64(2);
            Tensor y = leaf64(3);
            Tensor f = x.mul(y.pow(2)).sum(); // x y^2
            Tensor[] g = Autograd.grad(new Tensor[] {f}, new Tensor[] {x, y}, null, true, true);
            assertValues(g[0], 9); // y^2
            assertValues(g[1], 12); // 2xy
            Tensor dxdy = Autograd.grad(new Tensor[] {g[0].sum()}, new Tensor[] {y}, null, true, false)[0];
            Tensor dydx = Autograd.grad(new Tensor[] {g[1].sum()}, new Tensor[] {x}, null, true, false)[0];
            assertValues(dxdy, 6); // 2y
            assertValues(dydx, 6);
            Tensor dydy = Autograd.grad(g[1].sum(), y)[0];
            assertValues(dydy, 4); // 2x
        }

        @Test
        void backwardWithCreateGraphGivesDifferentiableGrad() {
            Tensor x = leaf64(2);
            x.pow(3).sum().backward(null, true, true);
            Tensor g = x.grad();
            assertTrue(g.requiresGrad());
            assertValues(g, 12);
            Tensor[] d2 = Autograd.grad(g.sum(), x);
            assertValues(d2[0], 12); // 6x
        }

        @Test
        void allowUnused() {
            Tensor x = leaf(1, 2);
            Tensor y = leaf(3);
            assertMessage("One of the differentiated Tensors appears to not have been used in the graph. Set "
                    + "allow_unused=True if this is the desired behavior.",
                    () -> Autograd.grad(x.mul(2).sum(), x, y));
            Tensor[] g = Autograd.grad(new Tensor[] {x.mul(2).sum()}, new Tensor[] {x, y}, null, false, false, true);
            assertValues(g[0], 2, 2);
            assertNull(g[1]);
        }

        @Test
        void inputsMustRequireGrad() {
            Tensor x = leaf(1);
            assertMessage("One of the differentiated Tensors does not require grad",
                    () -> Autograd.grad(x.mul(2).sum(), Tensor.of(1)));
        }
    }

    // =====================================================================================================

    @Nested
    class VersionCounterAndInPlace {
        @Test
        void modifyingASavedInputFailsBackward() {
            Tensor x = leaf(1, 2, 3);
            Tensor a = x.mul(1);
            Tensor c = a.sin(); // saves a
            try (GradMode.Scope s = GradMode.noGrad()) {
                a.add_(1);
            }
            String m = message(() -> c.sum().backward());
            assertTrue(m.startsWith("one of the variables needed for gradient computation has been modified by an "
                    + "inplace operation: [torch.FloatTensor [3]]"), m);
            assertTrue(m.contains("is at version 1; expected version 0 instead"), m);
        }

        @Test
        void modifyingASavedInputWhileRecordingFailsBackward() {
            Tensor x = leaf(1, 2, 3);
            Tensor a = x.mul(1);
            Tensor c = a.sin();
            a.add_(1); // recorded in-place op on a non-leaf
            String m = message(() -> c.sum().backward());
            assertTrue(m.contains("one of the variables needed for gradient computation has been modified by an inplace "
                    + "operation"), m);
            assertTrue(m.contains("is at version 1; expected version 0 instead"), m);
        }

        @Test
        void modifyingASavedOutputFailsBackward() {
            Tensor x = leaf(1, 2, 3);
            Tensor y = x.exp(); // exp saves its result
            y.add_(1);
            y.add_(1);
            assertMessageStartsWith("one of the variables needed for gradient computation has been modified by an inplace "
                    + "operation: [torch.FloatTensor [3]], which is output 0 of ExpBackward0, is at version 2; expected "
                    + "version 0 instead.", () -> y.sum().backward());
        }

        @Test
        void inPlaceOnALeafThatRequiresGradFailsAtOnce() {
            Tensor x = leaf(1, 2);
            String expected = "a leaf Variable that requires grad is being used in an in-place operation.";
            assertMessage(expected, () -> x.add_(1));
            assertMessage(expected, () -> x.mul_(Tensor.of(2, 2)));
            assertMessage(expected, () -> x.sub_(1));
            assertMessage(expected, () -> x.div_(2));
            assertMessage(expected, x::zero_);
            assertMessage(expected, () -> x.fill_(1));
            assertMessage(expected, () -> x.copy_(Tensor.of(3, 4)));
            assertMessage(expected, () -> x.clamp_(0.0, 1.0));
            assertMessage(expected, () -> x.normal_(0, 1, new Generator(1)));
            assertValues(x, 1, 2);
        }

        @Test
        void inPlaceUnderNoGradOnALeafWorks() {
            // the SGD update pattern
            Tensor w = leaf(1, 2);
            w.mul(w).sum().backward();
            try (GradMode.Scope s = GradMode.noGrad()) {
                w.sub_(w.grad().mul(0.1));
            }
            assertValues(w, 0.8, 1.6);
            assertTrue(w.isLeaf());
            assertTrue(w.requiresGrad());
            assertNull(w.gradFn());
            w.grad().zero_();
            w.mul(w).sum().backward();
            assertValues(w.grad(), 1.6, 3.2);
            try (GradMode.Scope s = GradMode.noGrad()) {
                w.zero_();
                w.copy_(Tensor.of(5, 6));
                w.clamp_(0.0, 5.5);
            }
            assertValues(w, 5, 5.5);
        }

        @Test
        void inPlaceOnANonLeafRecordsHistory() {
            Tensor x = leaf(1, 2, 3);
            Tensor y = x.mul(2);
            assertSame(y, y.add_(1));
            assertEquals("AddBackward0", y.gradFn().name());
            assertSame(y, y.mul_(3));
            assertEquals("MulBackward0", y.gradFn().name());
            assertFalse(y.isLeaf());
            assertValues(y, 9, 15, 21);
            y.sum().backward();
            assertValues(x.grad(), 6, 6, 6);
        }

        @Test
        void inPlaceWithAnOperandThatRequiresGrad() {
            // a.mul_(x) with a not requiring grad: PyTorch records MulBackward0 and d(sum)/dx = a's old value
            Tensor x = leaf(1, 2, 3);
            Tensor a = Tensor.full(5, 3);
            a.mul_(x);
            assertTrue(a.requiresGrad());
            assertEquals("MulBackward0", a.gradFn().name());
            assertValues(a, 5, 10, 15);
            a.sum().backward();
            assertValues(x.grad(), 5, 5, 5);
        }

        @Test
        void inPlaceOnANonLeafWithItselfSaved() {
            // y = 2x; y *= x  ->  d(sum y)/dx = 4x  (PyTorch saves y's old value)
            Tensor x = leaf(1, 2, 3);
            Tensor y = x.mul(2);
            y.mul_(x);
            y.sum().backward();
            assertValues(x.grad(), 4, 8, 12);

            // y = 2x; y /= x  ->  y == 2, gradient 0
            Tensor x2 = leaf(1, 2, 3);
            Tensor y2 = x2.mul(2);
            y2.div_(x2);
            y2.sum().backward();
            assertValues(x2.grad(), 0, 0, 0);
        }

        @Test
        void inPlaceOnANonLeafThatNobodySavedIsFine() {
            Tensor x = leaf(1, 2);
            Tensor y = x.add(0);
            Tensor z = y.add(1); // add saves nothing
            y.mul_(10);
            z.sum().backward();
            assertValues(x.grad(), 1, 1);
        }
    }

    // =====================================================================================================

    @Nested
    class GradientsThroughViews {
        @Test
        void transpose() {
            Tensor x = Tensor.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}}).requiresGrad_();
            Tensor w = Tensor.tensor(new float[][] {{1, 2}, {3, 4}, {5, 6}});
            x.t().mul(w).sum().backward();
            assertShape(x.grad(), 2, 3);
            assertValues(x.grad(), 1, 3, 5, 2, 4, 6); // w.t()
            Tensor p = Tensor.arange(6).reshape(1, 2, 3).requiresGrad_();
            p.permute(2, 0, 1).mul(Tensor.arange(6).reshape(3, 1, 2)).sum().backward();
            // out[k][0][j] = p[0][j][k] * (2k + j)  ->  dp[0][j][k] = 2k + j
            assertValues(p.grad(), 0, 2, 4, 1, 3, 5);
        }

        @Test
        void sliceAndSelect() {
            Tensor x = Tensor.zeros(2, 3).requiresGrad_();
            x.slice(1, 1, 3).sum().backward();
            assertValues(x.grad(), 0, 1, 1, 0, 1, 1);

            Tensor v = Tensor.zeros(6).requiresGrad_();
            v.slice(0, 0, 6, 2).mul(Tensor.of(1, 2, 3)).sum().backward();
            assertValues(v.grad(), 1, 0, 2, 0, 3, 0);

            Tensor s = Tensor.zeros(2, 3).requiresGrad_();
            s.select(0, 1).mul(Tensor.of(1, 2, 3)).sum().backward();
            assertValues(s.grad(), 0, 0, 0, 1, 2, 3);

            Tensor g = Tensor.zeros(2, 3).requiresGrad_();
            g.get(1, 2).mul(7).backward();
            assertValues(g.grad(), 0, 0, 0, 0, 0, 7);

            Tensor twice = Tensor.zeros(3).requiresGrad_();
            twice.get(0).add(twice.get(0)).add(twice.get(2)).backward();
            assertValues(twice.grad(), 2, 0, 1);
        }

        @Test
        void expandAndBroadcastSumBack() {
            Tensor v = leaf(1, 2, 3);
            v.unsqueeze(0).expand(4, 3).sum().backward();
            assertValues(v.grad(), 4, 4, 4);

            Tensor b = leaf(1, 2, 3);
            Tensor w = Tensor.tensor(new float[][] {{1, 1, 1}, {2, 2, 2}});
            b.mul(w).sum().backward(); // b broadcast over rows
            assertShape(b.grad(), 3);
            assertValues(b.grad(), 3, 3, 3);

            Tensor col = Tensor.zeros(2, 1).requiresGrad_();
            col.add(Tensor.zeros(2, 3)).sum().backward();
            assertShape(col.grad(), 2, 1);
            assertValues(col.grad(), 3, 3);

            Tensor s = Tensor.scalar(2).requiresGrad_();
            s.mul(Tensor.of(1, 2, 3)).sum().backward();
            assertShape(s.grad());
            assertEquals(6.0, s.grad().item(), EPS);
        }

        @Test
        void reshapeViewSqueezeUnsqueezeFlatten() {
            Tensor x = Tensor.zeros(2, 3).requiresGrad_();
            Tensor weights = Tensor.arange(6);
            x.reshape(6).mul(weights).sum().backward();
            assertValues(x.grad(), 0, 1, 2, 3, 4, 5);
            x.setGrad(null);
            x.view(3, 2).t().reshape(6).mul(weights).sum().backward(); // non-contiguous reshape copies
            // x.view(3,2).t() = [[x0, x2, x4], [x1, x3, x5]]
            assertValues(x.grad(), 0, 3, 1, 4, 2, 5);
            x.setGrad(null);
            x.unsqueeze(1).squeeze().flatten().mul(weights).sum().backward();
            assertValues(x.grad(), 0, 1, 2, 3, 4, 5);
            assertShape(x.grad(), 2, 3);
        }

        @Test
        void advancedIndexingAccumulatesRepeats() {
            Tensor x = Tensor.zeros(2, 3).requiresGrad_();
            x.index(Tensor.ofLongs(0, 0, 1)).sum().backward();
            assertValues(x.grad(), 2, 2, 2, 1, 1, 1);

            Tensor y = Tensor.zeros(2, 3).requiresGrad_();
            y.index(Tensor.ofLongs(0, 1, 1), Tensor.ofLongs(2, 0, 0)).mul(Tensor.of(1, 2, 3)).sum().backward();
            assertValues(y.grad(), 0, 0, 1, 5, 0, 0);

            Tensor m = Tensor.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}}).requiresGrad_();
            m.index(m.detach().gt(2)).sum().backward();
            assertValues(m.grad(), 0, 0, 1, 1, 1, 1);
        }

        @Test
        void gatherAndIndexSelectAccumulateRepeats() {
            Tensor x = Tensor.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}}).requiresGrad_();
            x.gather(1, Tensor.tensor(new double[] {0, 0, 2, 1}, DType.INT64, 2, 2)).sum().backward();
            assertValues(x.grad(), 2, 0, 0, 0, 1, 1);

            Tensor y = Tensor.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}}).requiresGrad_();
            y.indexSelect(0, Tensor.ofLongs(1, 1, 0)).sum().backward();
            assertValues(y.grad(), 1, 1, 1, 2, 2, 2);
        }

        @Test
        void catAndStackSplitTheGradient() {
            Tensor a = leaf(1, 2);
            Tensor b = leaf(3);
            Tensor.cat(0, a, b).mul(Tensor.of(1, 2, 3)).sum().backward();
            assertValues(a.grad(), 1, 2);
            assertValues(b.grad(), 3);

            Tensor p = leaf(1, 2);
            Tensor q = leaf(3, 4);
            Tensor.stack(1, p, q).mul(Tensor.tensor(new float[][] {{1, 2}, {3, 4}})).sum().backward();
            assertValues(p.grad(), 1, 3);
            assertValues(q.grad(), 2, 4);
        }

        @Test
        void writesThroughAViewUnderNoGradAreSeenByTheBase() {
            Tensor w = Tensor.zeros(2, 2).requiresGrad_();
            try (GradMode.Scope s = GradMode.noGrad()) {
                w.get(0).fill_(1);
                w.t().get(1).add_(Tensor.of(10, 20)); // column 1
            }
            assertValues(w, 1, 11, 0, 20);
            w.mul(w).sum().backward();
            assertValues(w.grad(), 2, 22, 0, 40);
        }
    }

    // =====================================================================================================

    @Nested
    class OpGradients {
        @Test
        void arithmetic() {
            Tensor x = leaf(2, 4);
            Tensor y = leaf(4, 8);
            x.div(y).sum().backward();
            assertValues(x.grad(), 0.25, 0.125);
            assertValues(y.grad(), -0.125, -0.0625);

            Tensor b = leaf(2, 3);
            Tensor e = leaf(3, 2);
            b.pow(e).sum().backward();
            assertValues(b.grad(), 12, 6);
            assertValues(e.grad(), 8 * Math.log(2), 9 * Math.log(3));

            Tensor s = leaf(1, 2);
            s.sub(s.mul(3)).rsub(1).neg().sum().backward(); // -(1 - (s - 3s)) = -1 - 2s
            assertValues(s.grad(), -2, -2);
        }

        @Test
        void elementwiseFunctions() {
            Tensor x = leaf(-1, 0, 2);
            x.relu().sum().backward();
            assertValues(x.grad(), 0, 0, 1);
            x.setGrad(null);
            x.abs().sum().backward();
            assertValues(x.grad(), -1, 0, 1);
            x.setGrad(null);
            x.clamp(0, 2).sum().backward(); // boundaries pass the gradient, as in PyTorch
            assertValues(x.grad(), 0, 1, 1);

            Tensor p = leaf(1, 4);
            p.sqrt().add(p.log()).sum().backward();
            assertValues(p.grad(), 0.5 + 1, 0.25 + 0.25);

            Tensor t = leaf(0.5f);
            t.sigmoid().add(t.tanh()).add(t.exp()).sum().backward();
            double sg = 1 / (1 + Math.exp(-0.5f));
            double th = Math.tanh(0.5f);
            assertValues(t.grad(), sg * (1 - sg) + (1 - th * th) + Math.exp(0.5f));
        }

        @Test
        void reductions() {
            Tensor m = leaf(1, 3, 3);
            m.max().backward(); // ties share the gradient evenly
            assertValues(m.grad(), 0, 0.5, 0.5);

            Tensor r = Tensor.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}}).requiresGrad_();
            r.max(1).values().sum().backward();
            assertValues(r.grad(), 0, 0, 1, 0, 0, 1);

            Tensor p = leaf(2, 0, 3);
            p.prod().backward();
            assertValues(p.grad(), 0, 6, 0);

            Tensor q = leaf(2, 3, 4);
            q.prod().backward();
            assertValues(q.grad(), 12, 8, 6);

            Tensor mean = Tensor.zeros(2, 2).requiresGrad_();
            mean.mean().backward();
            assertValues(mean.grad(), 0.25, 0.25, 0.25, 0.25);

            Tensor n = leaf(3, -4);
            n.norm().backward();
            assertValues(n.grad(), 0.6, -0.8);
        }

        @Test
        void softmaxFamily() {
            Tensor x = leaf(1, 2, 3);
            x.logSoftmax(0).get(0).neg().backward();
            double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
            assertValues(x.grad(), Math.exp(1) / z - 1, Math.exp(2) / z, Math.exp(3) / z);

            Tensor y = leaf(1, 2, 3);
            y.softmax(0).sum().backward(); // the sum is constant 1
            assertValues(y.grad(), 0, 0, 0);
        }

        @Test
        void matrixProducts() {
            Tensor a = Tensor.tensor(new float[][] {{1, 2}, {3, 4}}).requiresGrad_();
            Tensor b = Tensor.tensor(new float[][] {{5, 6}, {7, 8}}).requiresGrad_();
            a.mm(b).sum().backward();
            assertValues(a.grad(), 11, 15, 11, 15); // ones @ b^T
            assertValues(b.grad(), 4, 4, 6, 6); // a^T @ ones

            Tensor x = Tensor.arange(6).reshape(2, 1, 3).requiresGrad_();
            Tensor w = Tensor.ones(3, 2).requiresGrad_();
            x.matmul(w).sum().backward();
            assertShape(w.grad(), 3, 2);
            // d/dw[k][j] = sum over batches of x[b][0][k]
            assertValues(w.grad(), 3, 3, 5, 5, 7, 7);
            assertValues(x.grad(), 2, 2, 2, 2, 2, 2);

            Tensor u = leaf(1, 2);
            Tensor v = leaf(3, 4);
            u.dot(v).backward();
            assertValues(u.grad(), 3, 4);
            assertValues(v.grad(), 1, 2);
        }

        @Test
        void whereAndMaskedFill() {
            Tensor x = leaf(-1, 2, -3);
            Tensor.where(x.detach().gt(0), x.mul(2), x.mul(3)).sum().backward();
            assertValues(x.grad(), 3, 2, 3);
            Tensor y = leaf(-1, 2, -3);
            y.maskedFill(y.detach().lt(0), 0).sum().backward();
            assertValues(y.grad(), 0, 1, 0);
        }

        @Test
        void typeConversion() {
            Tensor x = leaf(1, 2);
            x.toDouble().mul(3).sum().backward();
            assertEquals(DType.FLOAT32, x.grad().dtype());
            assertValues(x.grad(), 3, 3);
        }
    }
}
