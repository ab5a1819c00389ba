package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.RefBasics;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.Tensor.HookHandle;

/**
 * Forward pre-hooks, forward hooks and full backward hooks (values of the backward hook against torch 1.13,
 * refdata/basics.json "hooks"), their handles, and ModuleList / ModuleDict with torch's state-dict names.
 */
class HooksTest {
    /** The Linear(3, 2) of the recorded case, in float64. */
    private static Linear linear() {
        Linear lin = new Linear(3, 2);
        try (GradMode.Scope s = GradMode.noGrad()) {
            lin.weight().setData(Tensor.tensor(new double[] {0.1, -0.2, 0.3, 0.4, 0.5, -0.6}, DType.FLOAT64, 2, 3));
            lin.bias().setData(Tensor.tensor(new double[] {0.01, -0.02}, DType.FLOAT64, 2));
        }
        return lin;
    }

    private static Tensor x(boolean requiresGrad) {
        Tensor x = Tensor.tensor(new double[] {1.0, 2.0, 3.0, -1.0, 0.5, 0.0}, DType.FLOAT64, 2, 3);
        return requiresGrad ? x.requiresGrad_() : x;
    }

    private static final Tensor SCALE = Tensor.tensor(new double[] {1, 2, 3, 4}, DType.FLOAT64, 2, 2);

    @Test
    void fullBackwardHookSeesTheModulesGradientsLikeTorch() {
        JsonNode ref = RefBasics.section("hooks");
        Linear lin = linear();
        List<Tensor[]> seen = new ArrayList<>();
        lin.registerFullBackwardHook((m, gin, gout) -> {
            assertSame(lin, m);
            seen.add(new Tensor[] {gin, gout});
            return null;
        });
        Tensor x = x(true);
        lin.call(x).tanh().mul(SCALE).sum().backward();
        assertEquals(1, seen.size(), "called once per backward");
        assertArrayEquals(RefBasics.doubles(ref.get("grad_input").get(0)), seen.get(0)[0].toArray(), 1e-14);
        assertArrayEquals(RefBasics.doubles(ref.get("grad_output").get(0)), seen.get(0)[1].toArray(), 1e-14);
        assertArrayEquals(RefBasics.doubles(ref.get("x_grad")), x.grad().toArray(), 1e-14);
        assertArrayEquals(RefBasics.doubles(ref.get("weight_grad")), lin.weight().grad().toArray(), 1e-14);
    }

    @Test
    void backwardHookCanReplaceTheInputGradient() {
        Linear lin = linear();
        lin.registerFullBackwardHook((m, gin, gout) -> gin.mul(0.5));
        Tensor x = x(true);
        lin.call(x).tanh().mul(SCALE).sum().backward();
        double[] expected = RefBasics.doubles(RefBasics.section("hooks").get("x_grad"));
        for (int i = 0; i < expected.length; i++) {
            expected[i] *= 0.5;
        }
        assertArrayEquals(expected, x.grad().toArray(), 1e-14);
        assertArrayEquals(RefBasics.doubles(RefBasics.section("hooks").get("weight_grad")), lin.weight().grad().toArray(),
                1e-14, "parameter gradients are not affected");
    }

    @Test
    void backwardHookWithoutInputGradGetsNull() {
        Linear lin = linear();
        List<Tensor> outs = new ArrayList<>();
        lin.registerFullBackwardHook((m, gin, gout) -> {
            assertNull(gin);
            outs.add(gout);
            return null;
        });
        lin.call(x(false)).tanh().mul(SCALE).sum().backward();
        assertEquals(1, outs.size());
        assertArrayEquals(RefBasics.doubles(RefBasics.section("hooks").get("grad_output").get(0)), outs.get(0).toArray(),
                1e-14);
        assertHookRefused(() -> {
            Linear l2 = linear();
            l2.registerFullBackwardHook((m, gin, gout) -> Tensor.zerosLike(gout));
            l2.call(x(false)).sum().backward();
        });
    }

    private static void assertHookRefused(org.junit.jupiter.api.function.Executable code) {
        IllegalStateException ex = assertThrows(IllegalStateException.class, code);
        assertEquals("a backward hook returned a gradient for an input that does not require grad", ex.getMessage());
    }

    @Test
    void forwardHooksReplaceInputAndOutputAndRemove() {
        Linear lin = linear();
        List<String> order = new ArrayList<>();
        HookHandle pre = lin.registerForwardPreHook((m, in) -> {
            order.add("pre");
            return in.mul(2);
        });
        HookHandle post = lin.registerForwardHook((m, in, out) -> {
            order.add("post");
            assertArrayEquals(x(false).mul(2).toArray(), in.toArray(), "the hook sees the replaced input");
            return out.add(1);
        });
        lin.registerForwardHook((m, in, out) -> {
            order.add("post2");
            return null;
        });
        Tensor x = x(false);
        Tensor y = lin.call(x);
        assertEquals(List.of("pre", "post", "post2"), order);
        assertArrayEquals(lin.forward(x.mul(2)).add(1).toArray(), y.toArray());
        order.clear();
        lin.forward(x);
        assertEquals(List.of(), order, "forward() alone runs no hooks, as in PyTorch");
        pre.remove();
        post.remove();
        post.remove();
        assertArrayEquals(lin.forward(x).toArray(), lin.call(x).toArray());
        assertEquals(List.of("post2"), order);
    }

    @Test
    void sequentialRunsItsChildrensHooks() {
        Linear lin = linear();
        Sequential net = new Sequential(lin, new Tanh());
        List<String> calls = new ArrayList<>();
        lin.registerForwardHook((m, in, out) -> {
            calls.add("linear");
            return null;
        });
        net.get(1).registerFullBackwardHook((m, gin, gout) -> {
            calls.add("tanh backward");
            return null;
        });
        HookHandle h = lin.registerFullBackwardHook((m, gin, gout) -> {
            calls.add("linear backward");
            return null;
        });
        net.call(x(true)).mul(SCALE).sum().backward();
        assertEquals(List.of("linear", "tanh backward", "linear backward"), calls);
        h.remove();
        calls.clear();
        try (GradMode.Scope s = GradMode.noGrad()) {
            net.call(x(true));
        }
        assertEquals(List.of("linear"), calls, "no backward setup under no-grad");
    }

    @Test
    void moduleListAndDictNameLikeTorch() {
        JsonNode ref = RefBasics.section("hooks");
        Sequential withList = new Sequential(new ModuleList(new Linear(2, 2), new ReLU(), new Linear(2, 1)));
        assertEquals(strings(ref.get("modulelist_keys")), new ArrayList<>(withList.stateDict().keySet()));
        Map<String, Module> m = new LinkedHashMap<>();
        m.put("enc", new Linear(2, 3));
        m.put("act", new Tanh());
        m.put("dec", new Linear(3, 2));
        ModuleDict dict = new ModuleDict(m);
        assertEquals(strings(ref.get("moduledict_keys")), new ArrayList<>(dict.stateDict().keySet()));
        assertEquals(List.of("enc", "act", "dec"), new ArrayList<>(dict.keys()));
        assertSame(m.get("dec"), dict.get("dec"));
        assertEquals(4, dict.parameters().size());
        assertEquals("ModuleDict has no module 'x'; it has [enc, act, dec]",
                assertThrows(IllegalArgumentException.class, () -> dict.get("x")).getMessage());
        ModuleList list = (ModuleList) withList.get(0);
        assertEquals(3, list.size());
        assertSame(list.get(2), list.get(-1));
        list.add(new Sigmoid());
        assertEquals("3", new ArrayList<>(list.namedChildren().keySet()).get(3));
        assertThrows(UnsupportedOperationException.class, () -> list.forward(Tensor.zeros(2)));
        assertEquals("index 7 is out of range for a ModuleList of 4 layers",
                assertThrows(IndexOutOfBoundsException.class, () -> list.get(7)).getMessage());
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
