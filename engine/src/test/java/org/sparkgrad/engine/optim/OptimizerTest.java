package org.sparkgrad.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Parameter;

/**
 * What every optimizer shares: zeroGrad, in-place steps that skip parameters without a gradient, argument
 * checks, and stateDict / loadStateDict (a resumed run equals an uninterrupted one bit for bit; a bad state
 * is rejected with every problem listed and changes nothing).
 */
class OptimizerTest {
    @Test
    void zeroGradSetsToNoneByDefault() {
        Quadratic q = new Quadratic();
        SGD opt = new SGD(q.params(), 0.1);
        q.loss().backward();
        assertNotNull(q.w.grad());
        assertNull(q.u.grad());
        opt.zeroGrad();
        assertNull(q.w.grad());
        assertNull(q.b.grad());
    }

    @Test
    void zeroGradInPlaceKeepsTheTensor() {
        Quadratic q = new Quadratic();
        SGD opt = new SGD(q.params(), 0.1);
        q.loss().backward();
        Tensor g = q.w.grad();
        opt.zeroGrad(false);
        assertSame(g, q.w.grad());
        assertFalse(g.requiresGrad());
        assertArrayEquals(new double[6], g.toArray());
        assertNull(q.u.grad());
        // Zeroed grads accumulate afresh: one more backward gives the plain gradient, in the same tensor.
        q.loss().backward();
        Quadratic fresh = new Quadratic();
        fresh.loss().backward();
        assertArrayEquals(fresh.w.grad().toArray(), q.w.grad().toArray());
        assertSame(g, q.w.grad());
    }

    @Test
    void zeroGradInPlaceCutsAGradWithHistory() {
        Quadratic q = new Quadratic();
        SGD opt = new SGD(q.params(), 0.1);
        q.loss().backward(null, false, true);
        Tensor g = q.w.grad();
        assertNotNull(g.gradFn(), "create_graph gives a grad with history");
        opt.zeroGrad(false);
        Tensor zeroed = q.w.grad();
        assertNull(zeroed.gradFn());
        assertFalse(zeroed.requiresGrad());
        assertArrayEquals(new double[6], zeroed.toArray());
        assertArrayEquals(new double[6], g.toArray(), "zeros were written into the grad's storage, as detach_() + zero_()");
    }

    @Test
    void stepIsInPlaceUnderNoGradAndSkipsMissingGrads() {
        Quadratic q = new Quadratic();
        Tensor alias = q.w.detach();
        Parameter w = q.w;
        Adam opt = new Adam(q.params(), 0.1);
        q.train(opt, 2);
        assertTrue(GradMode.isEnabled(), "step restores grad mode");
        assertSame(w, opt.parameters().get(0));
        assertSame(w, q.w);
        assertTrue(w.isLeaf());
        assertTrue(w.requiresGrad());
        assertNull(w.gradFn());
        assertArrayEquals(w.toArray(), alias.toArray(), "the step wrote into the parameter's storage");
        assertFalse(alias.toArray()[0] == Quadratic.W0[0], "and moved it");
        assertArrayEquals(Quadratic.U0, q.u.toArray(), "no grad, no step");
        assertTrue(opt.stateDict().tensors().keySet().stream().noneMatch(k -> k.startsWith("state.2.")));
        assertThrows(UnsupportedOperationException.class, () -> opt.parameters().add(w));
    }

    @Test
    void parameterErrors() {
        Quadratic q = new Quadratic();
        Quadratic.assertMessage("optimizer got an empty parameter list", () -> new SGD(List.<Tensor>of(), 0.1));
        Quadratic.assertMessage("optimizer got an empty parameter list", () -> new Adam(Map.<String, Tensor>of()));
        Quadratic.assertMessage("can't optimize a non-leaf Tensor (parameter '1' has grad_fn=MulBackward0)",
                () -> new SGD(List.of(q.w, q.w.mul(2)), 0.1));
        Quadratic.assertMessage("optimizer contains duplicate parameters: parameter '1' is the same tensor as an earlier one",
                () -> new SGD(List.of(q.w, q.w), 0.1));
        Quadratic.assertMessage("optimizer can only optimize floating point Tensors, but parameter '0' is int64",
                () -> new SGD(List.of(Tensor.ofLongs(1, 2)), 0.1));
        Quadratic.assertMessage("Invalid learning rate: -0.5", () -> new SGD(q.params(), 0.1).setLr(-0.5));
    }

    // =====================================================================================================
    // State dict

    private static void assertResumeIsExact(Function<Map<String, Parameter>, Optimizer> make) {
        Quadratic straight = new Quadratic();
        Optimizer full = make.apply(straight.named());
        full.setLr(full.getLr() * 0.7);
        straight.train(full, 5);

        Quadratic first = new Quadratic();
        Optimizer opt = make.apply(first.named());
        opt.setLr(opt.getLr() * 0.7);
        first.train(opt, 3);
        OptimizerState saved = opt.stateDict();

        Quadratic resumed = new Quadratic();
        try (GradMode.Scope s = GradMode.noGrad()) {
            resumed.w.copy_(first.w);
            resumed.b.copy_(first.b);
        }
        Optimizer fresh = make.apply(resumed.named());
        fresh.loadStateDict(saved);
        assertEquals(opt.getLr(), fresh.getLr(), "lr is part of the state");
        first.train(opt, 1); // the saved tensors are live views; the loaded state must not alias them
        resumed.train(fresh, 2);
        assertArrayEquals(straight.values(), resumed.values(), "3 steps + save/load + 2 steps == 5 steps, bitwise");
        assertEquals(full.stateDict().tensors().keySet(), fresh.stateDict().tensors().keySet());
        full.stateDict().tensors().forEach((k, v) ->
                assertArrayEquals(v.toArray(), fresh.stateDict().tensors().get(k).toArray(), k));
    }

    @Test
    void resumeSgd() {
        assertResumeIsExact(p -> new SGD(p, 0.05, 0.8, 0, 0.1, true));
        assertResumeIsExact(p -> new SGD(p, 0.05, 0.9, 0.3, 0, false));
        assertResumeIsExact(p -> new SGD(p, 0.05));
    }

    @Test
    void resumeAdam() {
        assertResumeIsExact(p -> new Adam(p, 0.1, 0.9, 0.5, 1e-8, 0.1, true));
        assertResumeIsExact(p -> new Adam(p, 0.1));
    }

    @Test
    void resumeAdamW() {
        assertResumeIsExact(p -> new AdamW(p, 0.1, 0.85, 0.6, 1e-7, 0.3, true));
    }

    @Test
    void resumeByPosition() {
        Quadratic straight = new Quadratic();
        straight.train(new Adam(straight.params(), 0.1), 5);
        Quadratic q = new Quadratic();
        Adam opt = new Adam(q.params(), 0.1);
        q.train(opt, 3);
        OptimizerState saved = opt.stateDict();
        assertEquals(List.of("0", "1", "2"), saved.params());
        assertTrue(saved.tensors().containsKey("state.0.exp_avg"));
        Adam fresh = new Adam(q.params(), 0.1);
        fresh.loadStateDict(saved);
        q.train(fresh, 2);
        assertArrayEquals(straight.values(), q.values());
    }

    @Test
    void namedStateKeysAndLoadedSettings() {
        Quadratic q = new Quadratic();
        SGD opt = new SGD(q.named(), 0.05, 0.9);
        q.train(opt, 1);
        OptimizerState s = opt.stateDict();
        assertEquals(List.of("fc.weight", "fc.bias", "unused"), s.params());
        assertEquals(List.of("state.fc.weight.momentum_buffer", "state.fc.bias.momentum_buffer"),
                List.copyOf(s.tensors().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> s.tensors().clear());
        // Loading takes every setting, like PyTorch's param_groups.
        SGD other = new SGD(new Quadratic().named(), 0.5, 0.1, 0, 0.2, true);
        other.loadStateDict(s);
        assertEquals(0.05, other.getLr());
        assertEquals(0.9, other.getMomentum());
        assertEquals(0.0, other.getWeightDecay());
        assertFalse(other.isNesterov());
        // A float32 buffer is converted to the parameter's type on load.
        Map<String, Tensor> t = new LinkedHashMap<>(s.tensors());
        t.put("state.fc.bias.momentum_buffer", Tensor.of(1, 2, 3));
        other.loadStateDict(new OptimizerState(s.params(), s.hyper(), t));
        Tensor loaded = other.stateDict().tensors().get("state.fc.bias.momentum_buffer");
        assertEquals(DType.FLOAT64, loaded.dtype());
        assertArrayEquals(new double[] {1, 2, 3}, loaded.toArray());
        assertNotSame(t.get("state.fc.bias.momentum_buffer"), loaded);
    }

    /** An Adam state after 2 steps, a function that edits a copy of it, and the expected problem. */
    private static void assertRejected(Consumer<Edit> edit, String... problems) {
        Quadratic q = new Quadratic();
        Adam opt = new Adam(q.named(), 0.1, 0.9, 0.999, 1e-8, 0, true);
        q.train(opt, 2);
        OptimizerState before = opt.stateDict();
        Map<String, double[]> values = new LinkedHashMap<>();
        before.tensors().forEach((k, v) -> values.put(k, v.toArray()));
        Edit e = new Edit(before);
        edit.accept(e);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> opt.loadStateDict(new OptimizerState(e.params, e.hyper, e.tensors)));
        assertEquals("Error(s) in loading state_dict for Adam:\n\t" + String.join("\n\t", problems), ex.getMessage());
        OptimizerState after = opt.stateDict();
        assertEquals(before.hyper(), after.hyper(), "settings unchanged");
        assertEquals(values.keySet(), after.tensors().keySet(), "state unchanged");
        after.tensors().forEach((k, v) -> assertArrayEquals(values.get(k), v.toArray(), k));
    }

    /** Mutable copies of a state's parts. */
    private static final class Edit {
        final List<String> params;
        final Map<String, Double> hyper;
        final Map<String, Tensor> tensors;

        Edit(OptimizerState s) {
            params = new java.util.ArrayList<>(s.params());
            hyper = new LinkedHashMap<>(s.hyper());
            tensors = new LinkedHashMap<>(s.tensors());
        }
    }

    @Test
    void loadRejectsUnknownAndMissingParameters() {
        assertRejected(e -> e.tensors.put("state.nope.exp_avg", Tensor.zeros(3)),
                "Unexpected key \"state.nope.exp_avg\": the optimizer has no parameter \"nope\".");
        assertRejected(e -> e.params.remove("unused"), "Missing parameter(s): \"unused\".");
        assertRejected(e -> e.params.add("extra"), "Unexpected parameter(s): \"extra\".");
        assertRejected(e -> java.util.Collections.swap(e.params, 0, 1),
                "loaded parameters [fc.bias, fc.weight, unused] are not in the optimizer's order [fc.weight, fc.bias, unused].");
        assertRejected(e -> e.tensors.put("junk", Tensor.zeros(3)),
                "Unexpected key \"junk\": expected state.<param>.<buffer>.");
    }

    @Test
    void loadRejectsShapesAndIncompleteState() {
        assertRejected(e -> e.tensors.put("state.fc.bias.exp_avg", Tensor.zeros(DType.FLOAT64, 2)),
                "size mismatch for state.fc.bias.exp_avg: copying a tensor with shape [2] from the loaded state, "
                        + "the parameter \"fc.bias\" has shape [3].");
        assertRejected(e -> e.tensors.put("state.fc.bias.step", Tensor.zeros(2)),
                "size mismatch for state.fc.bias.step: expected a step count with one element, got shape [2].");
        assertRejected(e -> e.tensors.remove("state.fc.weight.exp_avg_sq"),
                "incomplete state for parameter \"fc.weight\": missing \"exp_avg_sq\".");
        assertRejected(e -> e.tensors.put("state.fc.bias.momentum_buffer", Tensor.zeros(3)),
                "Unexpected key \"state.fc.bias.momentum_buffer\": Adam keeps only \"exp_avg\", \"exp_avg_sq\", "
                        + "\"max_exp_avg_sq\", \"step\".");
        // amsgrad off in the loaded settings: max_exp_avg_sq is no longer a buffer Adam keeps.
        assertRejected(e -> e.hyper.put("amsgrad", 0.0),
                "Unexpected key \"state.fc.weight.max_exp_avg_sq\": Adam keeps only \"exp_avg\", \"exp_avg_sq\", \"step\".",
                "Unexpected key \"state.fc.bias.max_exp_avg_sq\": Adam keeps only \"exp_avg\", \"exp_avg_sq\", \"step\".");
    }

    @Test
    void loadRejectsBadSettings() {
        assertRejected(e -> {
            e.hyper.remove("eps");
            e.hyper.put("foo", 1.0);
        }, "Missing hyper-parameter(s): \"eps\".", "Unexpected hyper-parameter(s): \"foo\".");
        assertRejected(e -> e.hyper.put("lr", -1.0), "Invalid learning rate: -1.0");
        // Value checks of the optimizer's own settings come with the constructor's messages.
        Quadratic q = new Quadratic();
        Adam opt = new Adam(q.named(), 0.1);
        q.train(opt, 1);
        OptimizerState s = opt.stateDict();
        Map<String, Double> hyper = new LinkedHashMap<>(s.hyper());
        hyper.put("beta2", 1.0);
        Quadratic.assertMessage("Invalid beta parameter at index 1: 1.0",
                () -> opt.loadStateDict(new OptimizerState(s.params(), hyper, s.tensors())));
        hyper.put("beta2", 0.999);
        hyper.put("amsgrad", 2.0);
        Quadratic.assertMessage("hyper-parameter \"amsgrad\" must be 0 or 1, got 2.0",
                () -> opt.loadStateDict(new OptimizerState(s.params(), hyper, s.tensors())));
        assertEquals(0.999, opt.getBeta2());
        assertFalse(opt.isAmsgrad());

        SGD sgd = new SGD(q.params(), 0.1, 0.9);
        Map<String, Double> h = new LinkedHashMap<>(sgd.stateDict().hyper());
        h.put("nesterov", 1.0);
        h.put("dampening", 0.5);
        Quadratic.assertMessage("Nesterov momentum requires a momentum and zero dampening",
                () -> sgd.loadStateDict(new OptimizerState(sgd.parameterNames(), h, Map.of())));
        assertFalse(sgd.isNesterov());
        assertEquals(0.0, sgd.getDampening());
    }
}
