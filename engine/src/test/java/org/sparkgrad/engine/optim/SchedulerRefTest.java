package org.sparkgrad.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.RefBasics;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.optim.OneCycleLR.AnnealStrategy;
import org.sparkgrad.engine.optim.ReduceLROnPlateau.Mode;
import org.sparkgrad.engine.optim.ReduceLROnPlateau.ThresholdMode;

/**
 * LambdaLR, MultiStepLR, LinearLR, OneCycleLR (with its momentum), ReduceLROnPlateau, SequentialLR and
 * ChainedScheduler: the learning rate after construction and after each step against torch 1.13
 * (refdata/basics.json, "schedulers"; SGD lr 0.1 momentum 0.9 unless the case says otherwise).
 */
class SchedulerRefTest {
    private static final double RTOL = 1e-13;

    private static SGD sgd() {
        return new SGD(List.of(new Parameter(Tensor.zeros(1))), 0.1, 0.9);
    }

    /** Runs the scheduler made from a fresh optimizer and compares lr (and the momentum key) with the case. */
    private static void check(String name, Optimizer opt, Function<Optimizer, Object> make, String momentumKey) {
        JsonNode c = RefBasics.get("schedulers", name);
        double[] lrs = RefBasics.doubles(c.get("lrs"));
        Object sched = make.apply(opt);
        double[] lr = new double[lrs.length];
        double[] mom = new double[lrs.length];
        lr[0] = opt.getLr();
        mom[0] = momentumKey == null ? 0 : opt.paramGroups().get(0).get(momentumKey);
        for (int e = 1; e < lrs.length; e++) {
            opt.step();
            if (sched instanceof ReduceLROnPlateau p) {
                p.step(PLATEAU.get(name)[e - 1]);
            } else {
                ((LRScheduler) sched).step();
                assertEquals(opt.getLr(), ((LRScheduler) sched).getLastLr(), name + " last lr");
            }
            lr[e] = opt.getLr();
            mom[e] = momentumKey == null ? 0 : opt.paramGroups().get(0).get(momentumKey);
        }
        Quadratic.assertClose(lrs, lr, RTOL, name + " lr");
        if (momentumKey != null) {
            JsonNode m = c.get("momentum");
            double[] expected = new double[m.size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = m.get(i).isArray() ? m.get(i).get(0).asDouble() : m.get(i).asDouble();
            }
            Quadratic.assertClose(expected, mom, RTOL, name + " " + momentumKey);
        }
    }

    private static final double[] PLATEAU_METRICS = {1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8,
        0.7999, 0.8, 0.8, 0.8};
    private static final Map<String, double[]> PLATEAU = Map.of(
            "plateau_min_rel", PLATEAU_METRICS,
            "plateau_default", PLATEAU_METRICS,
            "plateau_max_abs", new double[] {0.1, 0.2, 0.22, 0.24, 0.3, 0.31, 0.32, 0.33, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
                0.5, 0.5},
            "plateau_eps", new double[] {1, 1, 1, 1, 1, 1});

    @Test
    void lambdaAndMultiStep() {
        check("lambdalr", sgd(), o -> new LambdaLR(o, e -> Math.pow(0.95, e)), null);
        check("multisteplr", sgd(), o -> new MultiStepLR(o, List.of(2, 5, 5, 8), 0.5), null);
        check("multisteplr_default", sgd(), o -> new MultiStepLR(o, List.of(3)), null);
    }

    @Test
    void linearWarmup() {
        check("linearlr_default", sgd(), LinearLR::new, null);
        check("linearlr_warmup", sgd(), o -> new LinearLR(o, 0.25, 1.0, 4), null);
        check("linearlr_decay", sgd(), o -> new LinearLR(o, 1.0, 0.1, 3), null);
    }

    @Test
    void oneCycle() {
        check("onecycle_cos", sgd(), o -> new OneCycleLR(o, 1.0, 20), "momentum");
        check("onecycle_linear_three_phase", sgd(), o -> new OneCycleLR(o, List.of(0.5), 3 * 5, 0.25,
                AnnealStrategy.LINEAR, true, 0.8, 0.9, 10, 100, true), "momentum");
        check("onecycle_no_momentum", sgd(), o -> new OneCycleLR(o, List.of(0.3), 10, 0.3, AnnealStrategy.COS, false,
                0.85, 0.95, 25, 1e4, false), "momentum");
        check("onecycle_adam", new Adam(List.of(new Parameter(Tensor.zeros(1))), 0.1), o -> new OneCycleLR(o, 0.01, 8),
                "beta1");
    }

    @Test
    void oneCycleRefusesToRunPastItsSteps() {
        SGD opt = sgd();
        OneCycleLR s = new OneCycleLR(opt, 1.0, 3);
        s.step();
        s.step();
        s.step();
        IllegalStateException ex = assertThrows(IllegalStateException.class, s::step);
        assertEquals(RefBasics.section("schedulers").get("onecycle_overrun_error").asText(), ex.getMessage());
        Quadratic.assertMessage("optimizer must support momentum with `cycle_momentum` option enabled",
                () -> new OneCycleLR(new Adagrad(List.of(new Parameter(Tensor.zeros(1)))), 1.0, 3));
        Quadratic.assertMessage("Expected positive integer total_steps, but got 0", () -> new OneCycleLR(sgd(), 1.0, 0));
    }

    @Test
    void reduceOnPlateau() {
        check("plateau_min_rel", sgd(), o -> new ReduceLROnPlateau(o, Mode.MIN, 0.5, 2, 1e-4, ThresholdMode.REL, 1, 0.02,
                1e-8), null);
        check("plateau_default", sgd(), o -> new ReduceLROnPlateau(o, Mode.MIN, 0.1, 1), null);
        check("plateau_max_abs", sgd(), o -> new ReduceLROnPlateau(o, Mode.MAX, 0.1, 1, 0.05, ThresholdMode.ABS, 0, 0,
                1e-8), null);
        check("plateau_eps", new SGD(List.of(new Parameter(Tensor.zeros(1))), 1e-7),
                o -> new ReduceLROnPlateau(o, Mode.MIN, 0.5, 0), null);
        Quadratic.assertMessage("Factor should be < 1.0 (and >= 0), got 1.0",
                () -> new ReduceLROnPlateau(sgd(), Mode.MIN, 1.0, 2));
    }

    @Test
    void plateauStateRoundTrip() {
        SGD a = sgd();
        ReduceLROnPlateau p = new ReduceLROnPlateau(a, Mode.MIN, 0.5, 1);
        for (double m : new double[] {1, 0.5, 0.6}) {
            p.step(m);
        }
        SGD b = sgd();
        ReduceLROnPlateau q = new ReduceLROnPlateau(b, Mode.MIN, 0.5, 1);
        q.loadStateDict(p.stateDict());
        assertEquals(0.5, q.getBest());
        p.step(0.7);
        q.step(0.7);
        assertEquals(a.getLr(), b.getLr());
        assertEquals(0.05, b.getLr(), "two bad epochs after the best: halved");
    }

    @Test
    void sequentialAndChained() {
        check("sequential_warmup_cosine", sgd(), o -> new SequentialLR(o,
                List.of(new LinearLR(o, 0.1, 1.0, 3), new CosineAnnealingLR(o, 5)), List.of(3)), null);
        check("sequential_three", sgd(), o -> new SequentialLR(o, List.of(new LinearLR(o, 0.5, 1.0, 2),
                new ExponentialLR(o, 0.9), new StepLR(o, 2, 0.5)), List.of(2, 5)), null);
        check("chained_exp_step", sgd(), o -> new ChainedScheduler(List.of(new ExponentialLR(o, 0.9), new StepLR(o, 3, 0.5))),
                null);
        check("chained_warmup_multistep", sgd(), o -> new ChainedScheduler(List.of(new LinearLR(o, 0.2, 1.0, 3),
                new MultiStepLR(o, List.of(4, 6), 0.1))), null);
        SGD other = sgd();
        Quadratic.assertMessage("Sequential Schedulers expects all schedulers to belong to the same optimizer, but got "
                + "schedulers at index 0 to be different than the optimizer passed in.",
                () -> new SequentialLR(sgd(), List.of(new StepLR(other, 2)), List.of()));
        Quadratic.assertMessage("Sequential Schedulers expects number of schedulers provided to be one more than the number "
                + "of milestone points, but got number of schedulers 1 and the number of milestones to be equal to 1",
                () -> new SequentialLR(other, List.of(new StepLR(other, 2)), List.of(3)));
    }

    @Test
    void compositeStateHoldsItsSchedulers() {
        SGD opt = sgd();
        LRScheduler s = new SequentialLR(opt, List.of(new LinearLR(opt, 0.1, 1.0, 3), new CosineAnnealingLR(opt, 5)),
                List.of(3));
        assertEquals(3.0, s.stateDict().get("milestones.0"));
        assertEquals(5.0, s.stateDict().get("schedulers.1.T_max"));
        Map<String, Double> moved = new java.util.LinkedHashMap<>(s.stateDict());
        moved.put("milestones.0", 4.0);
        Quadratic.assertMessage("milestones.0 is 3 here, the state has 4.0", () -> s.loadStateDict(moved));
    }

    @Test
    void argumentChecks() {
        Quadratic.assertMessage("Starting multiplicative factor expected to be greater than 0 and less or equal to 1, got 0.0",
                () -> new LinearLR(sgd(), 0, 1, 5));
        Quadratic.assertMessage("Ending multiplicative factor expected to be between 0 and 1, got 1.5",
                () -> new LinearLR(sgd(), 0.5, 1.5, 5));
        Quadratic.assertMessage("total_iters must be an integer >= 1, got 0", () -> new LinearLR(sgd(), 0.5, 1, 0));
        SGD two = sgd();
        two.addParamGroup(new ParamGroup(List.of(new Parameter(Tensor.zeros(1)))));
        Quadratic.assertMessage("Expected 2 lr_lambdas, but got 1", () -> new LambdaLR(two, List.of(e -> 1.0)));
        Quadratic.assertMessage("expected 2 values for max_lr, got [1.0]", () -> new OneCycleLR(two, List.of(1.0), 5, 0.3,
                AnnealStrategy.COS, true, 0.85, 0.95, 25, 1e4, false));
        assertThrows(IllegalArgumentException.class, () -> two.paramGroups().get(0).get(Optimizer.INITIAL_LR),
                "failed constructors leave no initial_lr behind");
        Quadratic.assertMessage("expected 2 min_lrs, got [0.1]", () -> new ReduceLROnPlateau(two, Mode.MIN, 0.5, 1, 1e-4,
                ThresholdMode.REL, 0, List.of(0.1), 1e-8));
        Quadratic.assertMessage("Expected float between 0 and 1 pct_start, but got 1.5", () -> new OneCycleLR(sgd(),
                List.of(1.0), 5, 1.5, AnnealStrategy.COS, true, 0.85, 0.95, 25, 1e4, false));
    }

    @Test
    void resumedSchedulesMatchStraightOnes() {
        List<Function<SGD, LRScheduler>> makers = List.of(
                o -> new MultiStepLR(o, List.of(2, 5, 5, 8), 0.5),
                o -> new LinearLR(o, 0.25, 1.0, 4),
                o -> new OneCycleLR(o, List.of(0.5), 15, 0.25, AnnealStrategy.LINEAR, true, 0.8, 0.9, 10, 100, true),
                o -> new ChainedScheduler(List.of(new ExponentialLR(o, 0.9), new StepLR(o, 3, 0.5))),
                o -> new SequentialLR(o, List.of(new LinearLR(o, 0.1, 1.0, 3), new CosineAnnealingLR(o, 5)), List.of(3)));
        for (Function<SGD, LRScheduler> make : makers) {
            SGD straightOpt = sgd();
            LRScheduler straight = make.apply(straightOpt);
            SGD opt = sgd();
            LRScheduler s = make.apply(opt);
            for (int e = 0; e < 5; e++) {
                straight.step();
                s.step();
            }
            SGD opt2 = sgd();
            LRScheduler s2 = make.apply(opt2);
            opt2.loadStateDict(opt.stateDict());
            s2.loadStateDict(s.stateDict());
            String what = s.getClass().getSimpleName();
            for (int e = 0; e < 8; e++) {
                straight.step();
                s2.step();
                assertEquals(straightOpt.getLr(), opt2.getLr(), what + " epoch " + (6 + e));
                assertEquals(straightOpt.getMomentum(), opt2.getMomentum(), what + " momentum, epoch " + (6 + e));
            }
        }
    }
}
