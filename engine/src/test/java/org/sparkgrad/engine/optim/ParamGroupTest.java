package org.sparkgrad.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.RefBasics;

/**
 * Parameter groups against torch 1.13 (refdata/basics.json, "optim"): group 0 = [w] from the constructor,
 * group 1 = [b, u] added with its own settings; trajectories, the groups in the state dict, schedulers per
 * group, save/load with groups, and the checks.
 */
class ParamGroupTest {
    private static final double RTOL64 = 1e-12;
    private static final double RTOL32 = 2e-6;

    /** Trains 5 steps with the optimizer made from (w, [b, u]) and checks w, b against the recorded case. */
    private static Optimizer checkCase(String name, DType dtype, Function<Quadratic, Optimizer> make) {
        Quadratic q = new Quadratic(dtype);
        Optimizer opt = make.apply(q);
        q.train(opt, 5);
        JsonNode c = RefBasics.get("optim", name);
        Quadratic.assertClose(RefBasics.doubles(c.get("values")), q.values(), dtype == DType.FLOAT64 ? RTOL64 : RTOL32,
                name);
        assertEquals(List.of(1.0, 2.0), List.of(q.u.toArray()[0], q.u.toArray()[1]), "u has no grad");
        return opt;
    }

    private static ParamGroup bu(Quadratic q) {
        return new ParamGroup(List.of(q.b, q.u));
    }

    static Optimizer sgdGroups(Quadratic q) {
        SGD opt = new SGD(List.of(q.w), 0.02, 0.9);
        opt.addParamGroup(bu(q).set("lr", 0.05).set("momentum", 0.5).set("weight_decay", 0.1).set("nesterov", true));
        return opt;
    }

    @Test
    void sgdTwoGroups() {
        Optimizer opt = checkCase("sgd_groups", DType.FLOAT64, ParamGroupTest::sgdGroups);
        assertGroupsLikeTorch("sgd_groups", opt);
        assertEquals(List.of("0", "1", "2"), opt.parameterNames());
        assertEquals(List.of("1", "2"), opt.paramGroups().get(1).names());
    }

    @Test
    void adamTwoGroups() {
        Optimizer opt = checkCase("adam_groups", DType.FLOAT64, q -> {
            Adam a = new Adam(List.of(q.w), 0.01);
            a.addParamGroup(bu(q).set("lr", 0.05).set("beta1", 0.8).set("beta2", 0.99).set("weight_decay", 0.1)
                    .set("amsgrad", 1));
            return a;
        });
        assertGroupsLikeTorch("adam_groups", opt);
    }

    @Test
    void adamWTwoGroups() {
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            Optimizer opt = checkCase(dtype == DType.FLOAT64 ? "adamw_groups" : "adamw_groups_float32", dtype, q -> {
                AdamW a = new AdamW(List.of(q.w), 0.01);
                a.paramGroups().get(0).set("weight_decay", 0.5);
                a.addParamGroup(bu(q).set("lr", 0.02).set("eps", 1e-3));
                return a;
            });
            assertGroupsLikeTorch("adamw_groups", opt);
        }
    }

    @Test
    void addParamGroupAfterSomeSteps() {
        Quadratic q = new Quadratic();
        SGD opt = new SGD(List.of(q.w), 0.02, 0.9);
        for (int i = 0; i < 2; i++) {
            opt.zeroGrad();
            q.b.setGrad(null);
            q.loss().backward();
            opt.step();
        }
        opt.addParamGroup(new ParamGroup(List.of(q.b)).set("lr", 0.05));
        q.train(opt, 3);
        Quadratic.assertClose(RefBasics.doubles(RefBasics.get("optim", "sgd_add_param_group").get("values")), q.values(),
                RTOL64, "add_param_group");
        assertEquals(0.9, opt.paramGroups().get(1).get("momentum"), "defaults fill the new group");
    }

    /** The groups of the state dict hold torch's param_groups: settings, initial_lr and group sizes. */
    private static void assertGroupsLikeTorch(String name, Optimizer opt) {
        JsonNode torchGroups = RefBasics.get("optim", name).get("param_groups");
        List<OptimizerState.Group> groups = opt.stateDict().paramGroups();
        assertEquals(torchGroups.size(), groups.size());
        for (int g = 0; g < groups.size(); g++) {
            JsonNode t = torchGroups.get(g);
            Map<String, Double> expected = new LinkedHashMap<>();
            t.fields().forEachRemaining(e -> {
                if (e.getKey().equals("betas")) {
                    expected.put("beta1", e.getValue().get(0).asDouble());
                    expected.put("beta2", e.getValue().get(1).asDouble());
                } else if (!e.getKey().equals("params")) {
                    expected.put(e.getKey(), e.getValue().isBoolean() ? (e.getValue().asBoolean() ? 1.0 : 0.0)
                            : e.getValue().asDouble());
                }
            });
            assertEquals(new java.util.TreeMap<>(expected), new java.util.TreeMap<>(groups.get(g).hyper()), "group " + g);
            assertEquals(t.get("params").size(), groups.get(g).params().size(), "group " + g + " size");
        }
    }

    @Test
    void schedulersActPerGroup() {
        for (String kind : new String[] {"steplr", "lambdalr"}) {
            Quadratic q = new Quadratic();
            SGD opt = new SGD(List.of(q.w), 0.1);
            opt.addParamGroup(new ParamGroup(List.of(q.b)).set("lr", 0.5));
            LRScheduler sched = kind.equals("steplr") ? new StepLR(opt, 2, 0.5)
                    : new LambdaLR(opt, List.of(e -> Math.pow(0.9, e), e -> 1.0 / (e + 1)));
            JsonNode c = RefBasics.get("optim", "scheduled_groups").get(kind);
            for (int e = 0; e < 6; e++) {
                double[] expected = RefBasics.doubles(c.get("lrs").get(e));
                assertArrayEquals(expected, new double[] {opt.paramGroups().get(0).getLr(), opt.paramGroups().get(1).getLr()},
                        1e-15, kind + " epoch " + e);
                q.train(opt, 1);
                sched.step();
            }
            Quadratic.assertClose(RefBasics.doubles(c.get("values")), q.values(), RTOL64, kind);
            assertEquals(List.of(0.1, 0.5), sched.getBaseLrs());
            assertEquals(0.5, opt.paramGroups().get(1).get(Optimizer.INITIAL_LR));
        }
        Quadratic q = new Quadratic();
        SGD opt = new SGD(List.of(q.w), 0.1);
        StepLR early = new StepLR(opt, 2);
        opt.addParamGroup(new ParamGroup(List.of(q.b)));
        IllegalStateException ex = assertThrows(IllegalStateException.class, early::step);
        assertEquals("the optimizer has 2 param groups but the scheduler was built for 1: build schedulers after adding "
                + "every group", ex.getMessage());
    }

    @Test
    void saveAndLoadWithGroupsResumesExactly() {
        Quadratic straight = new Quadratic();
        straight.train(sgdGroups(straight), 5);

        Quadratic q = new Quadratic();
        Optimizer opt = sgdGroups(q);
        q.train(opt, 2);
        OptimizerState saved = opt.stateDict();
        assertEquals(List.of("param_groups.0.params", "param_groups.0.lr", "param_groups.0.momentum",
                "param_groups.0.dampening", "param_groups.0.weight_decay", "param_groups.0.nesterov",
                "param_groups.1.params", "param_groups.1.lr", "param_groups.1.momentum", "param_groups.1.dampening",
                "param_groups.1.weight_decay", "param_groups.1.nesterov"), new ArrayList<>(saved.hyper().keySet()));
        assertEquals(2.0, saved.hyper().get("param_groups.1.params"));
        // Rebuilt from its flat parts (as a checkpoint file holds them), the state is the same.
        OptimizerState copy = new OptimizerState(saved.params(), saved.hyper(), saved.tensors());

        Quadratic resumed = new Quadratic();
        try (GradMode.Scope ng = GradMode.noGrad()) {
            resumed.w.copy_(q.w);
            resumed.b.copy_(q.b);
        }
        SGD fresh = new SGD(List.of(resumed.w), 0.3);
        fresh.addParamGroup(new ParamGroup(List.of(resumed.b, resumed.u)));
        fresh.loadStateDict(copy);
        assertEquals(0.05, fresh.paramGroups().get(1).getLr());
        assertEquals(1.0, fresh.paramGroups().get(1).get("nesterov"));
        resumed.train(fresh, 3);
        assertArrayEquals(straight.values(), resumed.values(), "2 steps + save/load + 3 steps == 5 steps, bitwise");
    }

    @Test
    void loadRejectsOtherGroupLayouts() {
        Quadratic q = new Quadratic();
        Optimizer two = sgdGroups(q);
        q.train(two, 1);
        OptimizerState s = two.stateDict();
        SGD one = new SGD(q.params(), 0.1, 0.9);
        Quadratic.assertMessage("Error(s) in loading state_dict for SGD:\n\tloaded state dict has a different number of "
                + "parameter groups: 2, the optimizer has 1.", () -> one.loadStateDict(s));
        Quadratic r = new Quadratic();
        SGD split = new SGD(List.of(r.w, r.b), 0.1, 0.9);
        split.addParamGroup(new ParamGroup(List.of(r.u)));
        Quadratic.assertMessage("Error(s) in loading state_dict for SGD:\n\tloaded state dict contains a parameter group "
                + "that doesn't match the size of optimizer's group: group 0 has 1 parameters, the optimizer's has 2.",
                () -> split.loadStateDict(s));
        Map<String, Double> h = new LinkedHashMap<>(s.hyper());
        h.put("param_groups.1.momentum", -1.0);
        h.remove("param_groups.0.dampening");
        Quadratic.assertMessage("Error(s) in loading state_dict for SGD:\n\tparam group 0: Missing hyper-parameter(s): "
                + "\"dampening\".", () -> two.loadStateDict(new OptimizerState(s.params(), h, s.tensors())));
        h.put("param_groups.0.dampening", 0.0);
        Quadratic.assertMessage("Invalid momentum value: -1.0",
                () -> two.loadStateDict(new OptimizerState(s.params(), h, s.tensors())));
        assertEquals(0.5, two.paramGroups().get(1).get("momentum"), "unchanged after a rejected load");
        Map<String, Double> badCount = new LinkedHashMap<>(s.hyper());
        badCount.put("param_groups.1.params", 5.0);
        Map<String, Double> gap = new LinkedHashMap<>();
        s.hyper().forEach((k, v) -> gap.put(k.replace("param_groups.1.", "param_groups.2."), v));
        Quadratic.assertMessage("optimizer state: the parameter groups must be numbered 0..1, got [0, 2]",
                () -> new OptimizerState(s.params(), gap, Map.of()));
        Map<String, Double> odd = new LinkedHashMap<>(s.hyper());
        odd.put("param_groups.x.lr", 0.1);
        Quadratic.assertMessage("optimizer state with parameter groups: hyper-parameter \"param_groups.x.lr\" is not of "
                + "the form param_groups.<group>.<key>", () -> new OptimizerState(s.params(), odd, Map.of()));
        Quadratic.assertMessage("optimizer state: \"param_groups.1.params\" must be the number (>= 1) of group 1's "
                + "parameters among the 3 listed (2 left), got 5.0", () -> new OptimizerState(s.params(), badCount, Map.of()));
    }

    @Test
    void groupChecks() {
        Quadratic q = new Quadratic();
        SGD opt = new SGD(List.of(q.w), 0.1);
        Quadratic.assertMessage("param group has unknown setting(s) \"betas\"; SGD has \"lr\", \"momentum\", \"dampening\", "
                + "\"weight_decay\", \"nesterov\"", () -> opt.addParamGroup(new ParamGroup(List.of(q.b)).set("betas", 0.9)));
        Quadratic.assertMessage("some parameters appear in more than one parameter group: parameter '2' is already in "
                + "an earlier group", () -> opt.addParamGroup(new ParamGroup(List.of(q.b, q.w))));
        Quadratic.assertMessage("Invalid momentum value: -0.1",
                () -> opt.addParamGroup(new ParamGroup(List.of(q.b)).set("momentum", -0.1)));
        assertEquals(1, opt.paramGroups().size(), "nothing added by the failed calls");
        opt.addParamGroup(new ParamGroup(Map.of("bias", q.b)).set("lr", 0.01));
        assertEquals(List.of("0", "bias"), opt.parameterNames());
        Quadratic.assertMessage("Invalid learning rate: -1.0", () -> opt.paramGroups().get(1).setLr(-1));
        Quadratic.assertMessage("param group has no setting \"beta1\"; SGD has \"lr\", \"momentum\", \"dampening\", "
                + "\"weight_decay\", \"nesterov\"", () -> opt.paramGroups().get(1).set("beta1", 0.9));
        IllegalStateException lr = assertThrows(IllegalStateException.class, opt::getLr);
        assertEquals("getLr() needs an optimizer with one parameter group, this one has 2: use "
                + "paramGroups().get(i).getLr(...)", lr.getMessage());
        Quadratic.assertMessage("the param group already belongs to an optimizer",
                () -> new SGD(List.of(q.u), 0.1).addParamGroup(opt.paramGroups().get(1)));

        Adam adam = new Adam(List.of(q.w), 0.1);
        q.train(adam, 1);
        IllegalStateException ams = assertThrows(IllegalStateException.class,
                () -> adam.paramGroups().get(0).set("amsgrad", 1));
        assertEquals("can't set \"amsgrad\" to 1.0: it changes the state Adam keeps, and parameter '0' has state",
                ams.getMessage());
        adam.paramGroups().get(0).set("beta1", 0.5);
        assertEquals(0.5, adam.getBeta1());
        Quadratic.assertMessage("Invalid beta parameter at index 0: 1.0", () -> adam.paramGroups().get(0).set("beta1", 1));
    }
}
