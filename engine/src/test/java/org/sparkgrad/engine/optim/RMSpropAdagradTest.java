package org.sparkgrad.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.RefBasics;
import org.sparkgrad.engine.nn.Parameter;

/** RMSprop and Adagrad: 5-step trajectories of the Quadratic problem against torch 1.13, state, groups, checks. */
class RMSpropAdagradTest {
    private static final Map<String, Function<List<Parameter>, Optimizer>> CASES = Map.of(
            "rmsprop_default", RMSprop::new,
            "rmsprop_alpha_eps", p -> new RMSprop(p, 0.05, 0.9, 1e-3, 0, 0, false),
            "rmsprop_momentum", p -> new RMSprop(p, 0.01, 0.99, 1e-8, 0, 0.9, false),
            "rmsprop_centered", p -> new RMSprop(p, 0.01, 0.99, 1e-8, 0, 0, true),
            "rmsprop_all", p -> new RMSprop(p, 0.02, 0.9, 1e-6, 0.1, 0.5, true),
            "adagrad_default", Adagrad::new,
            "adagrad_all", p -> new Adagrad(p, 0.1, 0.1, 0.1, 0.5, 1e-6));

    @Test
    void trajectoriesMatchTorch() {
        for (Map.Entry<String, Function<List<Parameter>, Optimizer>> c : CASES.entrySet()) {
            for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                String name = c.getKey() + (dtype == DType.FLOAT32 ? "_float32" : "");
                JsonNode ref = RefBasics.get("optim", name);
                Quadratic q = new Quadratic(dtype);
                Optimizer opt = c.getValue().apply(q.params());
                q.train(opt, 5);
                Quadratic.assertClose(RefBasics.doubles(ref.get("values")), q.values(),
                        dtype == DType.FLOAT64 ? 1e-12 : 3e-6, name);
                // The same buffers as torch for w ("0") and b ("1"); u never had a gradient.
                for (String p : List.of("0", "1")) {
                    List<String> torchKeys = new ArrayList<>();
                    ref.get("state_keys").get(p).forEach(k -> torchKeys.add(k.asText()));
                    TreeSet<String> ours = new TreeSet<>();
                    opt.stateDict().tensors().keySet().stream().filter(k -> k.startsWith("state." + p + "."))
                            .forEach(k -> ours.add(k.substring(("state." + p + ".").length())));
                    assertEquals(torchKeys, new ArrayList<>(ours), name + " state of " + p);
                }
                assertEquals(5.0, opt.stateDict().tensors().get("state.0.step").item(), name);
            }
        }
    }

    @Test
    void groupsMatchTorch() {
        Quadratic q = new Quadratic();
        RMSprop rms = new RMSprop(List.of(q.w), 0.01, 0.9, 1e-8, 0, 0, false);
        rms.addParamGroup(new ParamGroup(List.of(q.b, q.u)).set("lr", 0.05).set("momentum", 0.5).set("centered", 1));
        q.train(rms, 5);
        Quadratic.assertClose(RefBasics.doubles(RefBasics.get("optim", "rmsprop_groups").get("values")), q.values(), 1e-12,
                "rmsprop groups");
        assertEquals(List.of("state.0.step", "state.0.square_avg", "state.1.step", "state.1.square_avg",
                "state.1.momentum_buffer", "state.1.grad_avg"), new ArrayList<>(rms.stateDict().tensors().keySet()));

        Quadratic r = new Quadratic();
        Adagrad ada = new Adagrad(List.of(r.w), 0.1, 0, 0, 0.1, 1e-10);
        ada.addParamGroup(new ParamGroup(List.of(r.b, r.u)).set("lr", 0.05).set("lr_decay", 0.2));
        r.train(ada, 5);
        Quadratic.assertClose(RefBasics.doubles(RefBasics.get("optim", "adagrad_groups").get("values")), r.values(), 1e-12,
                "adagrad groups");
    }

    @Test
    void resumeFromStateDictIsExact() {
        for (Function<List<Parameter>, Optimizer> make : List.of(CASES.get("rmsprop_all"), CASES.get("adagrad_all"))) {
            Quadratic straight = new Quadratic();
            straight.train(make.apply(straight.params()), 5);
            Quadratic q = new Quadratic();
            Optimizer opt = make.apply(q.params());
            q.train(opt, 2);
            Optimizer fresh = make.apply(q.params());
            fresh.loadStateDict(opt.stateDict());
            q.train(fresh, 3);
            assertArrayEquals(straight.values(), q.values(), opt.getClass().getSimpleName());
        }
    }

    @Test
    void argumentChecksAndDefaults() {
        Quadratic q = new Quadratic();
        Quadratic.assertMessage("Invalid learning rate: -0.1", () -> new RMSprop(q.params(), -0.1));
        Quadratic.assertMessage("Invalid epsilon value: -1.0", () -> new RMSprop(q.params(), 0.1, 0.99, -1, 0, 0, false));
        Quadratic.assertMessage("Invalid momentum value: -0.5", () -> new RMSprop(q.params(), 0.1, 0.99, 0, 0, -0.5, false));
        Quadratic.assertMessage("Invalid weight_decay value: -1.0", () -> new RMSprop(q.params(), 0.1, 0.99, 0, -1, 0, false));
        Quadratic.assertMessage("Invalid alpha value: -0.9", () -> new RMSprop(q.params(), 0.1, -0.9, 0, 0, 0, false));
        Quadratic.assertMessage("Invalid lr_decay value: -1.0", () -> new Adagrad(q.params(), 0.1, -1, 0, 0, 0));
        Quadratic.assertMessage("Invalid initial_accumulator_value value: -1.0",
                () -> new Adagrad(q.params(), 0.1, 0, 0, -1, 0));
        Quadratic.assertMessage("Invalid epsilon value: NaN", () -> new Adagrad(q.params(), 0.1, 0, 0, 0, Double.NaN));
        assertEquals("{lr=0.01, alpha=0.99, eps=1.0E-8, weight_decay=0.0, momentum=0.0, centered=0.0}",
                new RMSprop(q.params()).defaults().toString());
        assertEquals("{lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1.0E-10}",
                new Adagrad(q.named()).defaults().toString());
    }
}
