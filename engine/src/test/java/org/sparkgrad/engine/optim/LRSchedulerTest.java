package org.sparkgrad.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Parameter;

/**
 * Learning-rate schedulers against torch 1.13. The expected rates were recorded with
 * <pre>
 * def lrs(make, epochs, lr=0.1):
 *     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
 *     scheds = make(opt)
 *     out = [opt.param_groups[0]['lr']]
 *     for _ in range(epochs):
 *         opt.step()
 *         for s in scheds: s.step()
 *         out.append(opt.param_groups[0]['lr'])
 *     return out
 * </pre>
 * with {@code make} as named in each test (S = torch.optim.lr_scheduler).
 */
class LRSchedulerTest {
    private static SGD optimizer(double lr) {
        return new SGD(List.of(new Parameter(Tensor.zeros(1))), lr);
    }

    /** The optimizer's rate after construction and after each of epochs steps of every scheduler, in order. */
    private static double[] lrs(Function<Optimizer, List<LRScheduler>> make, int epochs) {
        SGD opt = optimizer(0.1);
        List<LRScheduler> scheds = make.apply(opt);
        double[] out = new double[epochs + 1];
        out[0] = opt.getLr();
        for (int e = 1; e <= epochs; e++) {
            opt.step();
            for (LRScheduler s : scheds) {
                s.step();
            }
            out[e] = opt.getLr();
            assertEquals(out[e], scheds.get(scheds.size() - 1).getLastLr());
        }
        return out;
    }

    @Test
    void stepLR() {
        // lrs(lambda o: [S.StepLR(o, 3, 0.5)], 10)
        assertArrayEquals(new double[] {
            0.1, 0.1, 0.1,
            0.05, 0.05, 0.05,
            0.025, 0.025, 0.025,
            0.0125, 0.0125}, lrs(o -> List.of(new StepLR(o, 3, 0.5)), 10));
    }

    @Test
    void stepLRDefaultGamma() {
        // lrs(lambda o: [S.StepLR(o, 2)], 6)
        assertArrayEquals(new double[] {
            0.1, 0.1, 0.010000000000000002,
            0.010000000000000002, 0.0010000000000000002, 0.0010000000000000002,
            0.00010000000000000003}, lrs(o -> List.of(new StepLR(o, 2)), 6));
    }

    @Test
    void exponentialLR() {
        // lrs(lambda o: [S.ExponentialLR(o, 0.9)], 10)
        assertArrayEquals(new double[] {
            0.1, 0.09000000000000001, 0.08100000000000002,
            0.07290000000000002, 0.06561000000000002, 0.05904900000000002,
            0.05314410000000002, 0.04782969000000002, 0.043046721000000024,
            0.03874204890000002, 0.03486784401000002}, lrs(o -> List.of(new ExponentialLR(o, 0.9)), 10));
    }

    @Test
    void cosineAnnealingWithEtaMinOverTwoPeriods() {
        // lrs(lambda o: [S.CosineAnnealingLR(o, 5, 0.01)], 16)
        Quadratic.assertClose(new double[] {
            0.1, 0.09140576474687263, 0.06890576474687263,
            0.04109423525312736, 0.018594235253127367, 0.01,
            0.018594235253127367, 0.04109423525312739, 0.06890576474687267,
            0.09140576474687269, 0.10000000000000006, 0.09140576474687272,
            0.06890576474687268, 0.0410942352531274, 0.01859423525312738,
            0.01, 0.018594235253127367}, lrs(o -> List.of(new CosineAnnealingLR(o, 5, 0.01)), 16), 1e-14, "Cosine(5, 0.01)");
    }

    @Test
    void cosineAnnealingToZero() {
        // lrs(lambda o: [S.CosineAnnealingLR(o, 4)], 10)
        Quadratic.assertClose(new double[] {
            0.1, 0.08535533905932738, 0.05,
            0.014644660940672627, 0.0, 0.014644660940672622,
            0.05000000000000001, 0.0853553390593274, 0.10000000000000003,
            0.0853553390593274, 0.05000000000000003}, lrs(o -> List.of(new CosineAnnealingLR(o, 4)), 10), 1e-14, "Cosine(4)");
    }

    @Test
    void chainedSchedulers() {
        // lrs(lambda o: [S.StepLR(o, 2, 0.5), S.ExponentialLR(o, 0.9)], 6)
        assertArrayEquals(new double[] {
            0.1, 0.09000000000000001, 0.04050000000000001,
            0.03645000000000001, 0.016402500000000004, 0.014762250000000005,
            0.0066430125000000026}, lrs(o -> List.of(new StepLR(o, 2, 0.5), new ExponentialLR(o, 0.9)), 6));
    }

    @Test
    void constructionIsEpochZero() {
        SGD opt = optimizer(0.1);
        CosineAnnealingLR s = new CosineAnnealingLR(opt, 5, 0.01);
        assertEquals(0, s.getLastEpoch());
        assertEquals(0.1, s.getBaseLr());
        assertEquals(0.1, s.getLastLr());
        assertEquals(0.1, opt.getLr());
        assertEquals(5, s.getTMax());
        assertEquals(0.01, s.getEtaMin());
        s.step();
        assertEquals(1, s.getLastEpoch());
    }

    @Test
    void laterSchedulersStartFromTheInitialLr() {
        // Like group.setdefault('initial_lr', lr): the first scheduler records it, later ones read it.
        SGD opt = optimizer(0.1);
        StepLR first = new StepLR(opt, 1, 0.5);
        first.step();
        assertEquals(0.05, opt.getLr());
        ExponentialLR second = new ExponentialLR(opt, 0.9);
        assertEquals(0.1, second.getBaseLr());
        assertEquals(0.05, second.getLastLr());
        assertEquals(0.1, opt.stateDict().hyper().get("initial_lr"));
    }

    @Test
    void resumeFromStateDicts() {
        SGD straightOpt = optimizer(0.1);
        CosineAnnealingLR straight = new CosineAnnealingLR(straightOpt, 5, 0.01);
        double[] expected = new double[12];
        for (int e = 0; e < 12; e++) {
            straight.step();
            expected[e] = straightOpt.getLr();
        }

        SGD opt = optimizer(0.1);
        CosineAnnealingLR sched = new CosineAnnealingLR(opt, 5, 0.01);
        for (int e = 0; e < 4; e++) {
            sched.step();
        }
        Map<String, Double> saved = sched.stateDict();
        assertEquals("{last_epoch=4.0, step_count=5.0, base_lr=0.1, last_lr=" + opt.getLr() + ", T_max=5.0, eta_min=0.01}",
                saved.toString());
        OptimizerState optState = opt.stateDict();

        SGD opt2 = optimizer(0.5);
        CosineAnnealingLR sched2 = new CosineAnnealingLR(opt2, 3);
        opt2.loadStateDict(optState);
        sched2.loadStateDict(saved);
        assertEquals(4, sched2.getLastEpoch());
        assertEquals(5, sched2.getTMax());
        assertEquals(0.1, sched2.getBaseLr());
        double[] actual = new double[12];
        System.arraycopy(expected, 0, actual, 0, 4);
        for (int e = 4; e < 12; e++) {
            sched2.step();
            actual[e] = opt2.getLr();
        }
        assertArrayEquals(expected, actual, "4 epochs + save/load + 8 epochs == 12 epochs, bitwise");
    }

    @Test
    void argumentErrors() {
        SGD opt = optimizer(0.1);
        Quadratic.assertMessage("step_size must be an integer >= 1, got 0", () -> new StepLR(opt, 0));
        Quadratic.assertMessage("T_max must be an integer >= 1, got -2", () -> new CosineAnnealingLR(opt, -2));
        Quadratic.assertMessage("gamma must be finite, got NaN", () -> new ExponentialLR(opt, Double.NaN));
        Quadratic.assertMessage("eta_min must be finite, got Infinity",
                () -> new CosineAnnealingLR(opt, 3, Double.POSITIVE_INFINITY));
        Quadratic.assertMessage("the scheduler needs an Optimizer, got null", () -> new StepLR(null, 3));
    }

    @Test
    void loadErrorsChangeNothing() {
        SGD opt = optimizer(0.1);
        StepLR s = new StepLR(opt, 3, 0.5);
        s.step();
        Map<String, Double> before = s.stateDict();

        Map<String, Double> bad = new LinkedHashMap<>(before);
        bad.remove("gamma");
        bad.put("T_max", 5.0);
        Quadratic.assertMessage("Error(s) in loading state_dict for StepLR:\n\tMissing key(s): \"gamma\".\n\t"
                + "Unexpected key(s): \"T_max\".", () -> s.loadStateDict(bad));

        Map<String, Double> badSize = new LinkedHashMap<>(before);
        badSize.put("step_size", 2.5);
        badSize.put("last_epoch", 7.0);
        Quadratic.assertMessage("step_size must be an integer >= 1, got 2.5", () -> s.loadStateDict(badSize));

        Map<String, Double> badEpoch = new LinkedHashMap<>(before);
        badEpoch.put("last_epoch", -3.0);
        Quadratic.assertMessage("Error(s) in loading state_dict for StepLR:\n\tlast_epoch must be an integer >= -1, got -3.0.",
                () -> s.loadStateDict(badEpoch));
        assertEquals(before, s.stateDict());
        assertThrows(IllegalArgumentException.class, () -> s.loadStateDict(null));
    }
}
