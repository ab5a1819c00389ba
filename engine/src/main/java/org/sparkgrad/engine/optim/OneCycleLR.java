package org.sparkgrad.engine.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The 1cycle policy, like {@code torch.optim.lr_scheduler.OneCycleLR}: per group, the learning rate rises
 * from {@code max_lr / div_factor} to {@code max_lr} over the first {@code pct_start} of
 * {@code total_steps}, then falls to {@code initial_lr / final_div_factor} (with {@code three_phase}: back
 * to the initial rate first, then down to the minimum), by cosine or linear annealing. With
 * {@code cycle_momentum} the momentum (SGD, RMSprop: {@code momentum}; Adam, AdamW: {@code beta1}) moves
 * the opposite way between {@code max_momentum} and {@code base_momentum}. It is stepped after every
 * batch, {@code total_steps - 1} times (use {@code epochs * steps_per_epoch} as total steps); one step more
 * throws, as in PyTorch.
 *
 * <pre>{@code
 * OneCycleLR sched = new OneCycleLR(opt, 0.1, epochs * batchesPerEpoch);
 * }</pre>
 *
 * Like PyTorch it sets each group's {@code initial_lr} (overwriting one an earlier scheduler set) and,
 * cycling momentum, each group's momentum at construction. The maximum and minimum rates and momenta are
 * kept here (PyTorch keeps them in the param groups); they are part of this scheduler's state dict.
 */
public final class OneCycleLR extends LRScheduler {
    /** How a phase moves from its start value to its end value. */
    public enum AnnealStrategy {
        /** Half a cosine (PyTorch's {@code 'cos'}, the default). */
        COS,
        /** A straight line ({@code 'linear'}). */
        LINEAR
    }

    /** One phase: its last step and which values it goes between (indices into the value table). */
    private record Phase(double endStep, int startLr, int endLr, int startMomentum, int endMomentum) {
    }

    private static final int INITIAL = 0;
    private static final int MAX = 1;
    private static final int MIN = 2;
    private static final int MAX_MOMENTUM = 0;
    private static final int BASE_MOMENTUM = 1;

    private int totalSteps;
    private double pctStart;
    private AnnealStrategy strategy;
    private boolean threePhase;
    private final boolean cycleMomentum;
    /** "momentum" or "beta1": the group setting that is cycled, or null. */
    private final String momentumKey;
    private final double[] maxLrs;
    private final double[] minLrs;
    private final double[] maxMomentums;
    private final double[] baseMomentums;
    private Phase[] phases;

    /** PyTorch's defaults: 30% warmup, cosine, momentum 0.95 -> 0.85 -> 0.95, div 25, final div 1e4. */
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps) {
        this(optimizer, same(optimizer, maxLr), totalSteps, 0.3, AnnealStrategy.COS, true, 0.85, 0.95, 25, 1e4, false);
    }

    /**
     * Every setting; {@code maxLrs} has one rate per group (PyTorch's list form of {@code max_lr}).
     *
     * @param totalSteps how many values the schedule has (&gt;= 1)
     * @param pctStart the fraction of steps spent rising, in [0, 1]
     */
    public OneCycleLR(Optimizer optimizer, List<Double> maxLrs, int totalSteps, double pctStart, AnnealStrategy strategy,
            boolean cycleMomentum, double baseMomentum, double maxMomentum, double divFactor, double finalDivFactor,
            boolean threePhase) {
        super(prepare(optimizer, maxLrs, totalSteps, pctStart, strategy, cycleMomentum, baseMomentum, maxMomentum,
                divFactor, finalDivFactor));
        int n = optimizer.paramGroups().size();
        this.cycleMomentum = cycleMomentum;
        this.momentumKey = cycleMomentum ? momentumKey(optimizer) : null;
        this.maxLrs = new double[n];
        this.minLrs = new double[n];
        this.maxMomentums = new double[n];
        this.baseMomentums = new double[n];
        for (int g = 0; g < n; g++) {
            this.maxLrs[g] = maxLrs.get(g);
            this.minLrs[g] = getBaseLrs().get(g) / finalDivFactor;
            maxMomentums[g] = maxMomentum;
            baseMomentums[g] = baseMomentum;
        }
        configure(totalSteps, pctStart, strategy, threePhase);
        initialStep();
    }

    private static List<Double> same(Optimizer optimizer, double maxLr) {
        return java.util.Collections.nCopies(optimizer == null ? 1 : optimizer.paramGroups().size(), maxLr);
    }

    /** Checks the settings and sets each group's initial_lr (and momentum) before the base class reads them. */
    private static Optimizer prepare(Optimizer optimizer, List<Double> maxLrs, int totalSteps, double pctStart,
            AnnealStrategy strategy, boolean cycleMomentum, double baseMomentum, double maxMomentum, double divFactor,
            double finalDivFactor) {
        if (optimizer == null) {
            return null;
        }
        int n = optimizer.paramGroups().size();
        if (maxLrs == null || maxLrs.size() != n || new java.util.ArrayList<>(maxLrs).contains(null)) {
            throw new IllegalArgumentException("expected " + n + " values for max_lr, got " + maxLrs);
        }
        if (totalSteps <= 0) {
            throw new IllegalArgumentException("Expected positive integer total_steps, but got " + totalSteps);
        }
        if (!(pctStart >= 0 && pctStart <= 1)) {
            throw new IllegalArgumentException("Expected float between 0 and 1 pct_start, but got " + pctStart);
        }
        if (strategy == null) {
            throw new IllegalArgumentException("anneal_strategy must by one of 'cos' or 'linear', instead got null");
        }
        finite("div_factor", divFactor);
        finite("final_div_factor", finalDivFactor);
        String key = cycleMomentum ? momentumKey(optimizer) : null;
        for (int g = 0; g < n; g++) {
            double initial = maxLrs.get(g) / divFactor;
            Optimizer.checkLr(initial);
            Optimizer.checkLr(initial / finalDivFactor);
        }
        for (int g = 0; g < n; g++) {
            ParamGroup group = optimizer.paramGroups().get(g);
            group.set(Optimizer.INITIAL_LR, maxLrs.get(g) / divFactor);
            if (key != null) {
                group.set(key, maxMomentum);
            }
        }
        return optimizer;
    }

    private static String momentumKey(Optimizer optimizer) {
        Map<String, Double> d = optimizer.defaults();
        if (d.containsKey("momentum")) {
            return "momentum";
        }
        if (d.containsKey("beta1")) {
            return "beta1";
        }
        throw new IllegalArgumentException("optimizer must support momentum with `cycle_momentum` option enabled");
    }

    private void configure(int total, double pct, AnnealStrategy how, boolean three) {
        totalSteps = total;
        pctStart = pct;
        strategy = how;
        threePhase = three;
        if (three) {
            phases = new Phase[] {
                new Phase(pct * total - 1, INITIAL, MAX, MAX_MOMENTUM, BASE_MOMENTUM),
                new Phase(2 * pct * total - 2, MAX, INITIAL, BASE_MOMENTUM, MAX_MOMENTUM),
                new Phase(total - 1, INITIAL, MIN, MAX_MOMENTUM, MAX_MOMENTUM)};
        } else {
            phases = new Phase[] {
                new Phase(pct * total - 1, INITIAL, MAX, MAX_MOMENTUM, BASE_MOMENTUM),
                new Phase(total - 1, MAX, MIN, BASE_MOMENTUM, MAX_MOMENTUM)};
        }
    }

    /** The number of values of the schedule. */
    public int getTotalSteps() {
        return totalSteps;
    }

    private double anneal(double start, double end, double pct) {
        if (strategy == AnnealStrategy.COS) {
            return end + (start - end) / 2.0 * (Math.cos(Math.PI * pct) + 1);
        }
        return (end - start) * pct + start;
    }

    @Override
    protected double computeLr(int group, double lr, double baseLr) {
        int step = getLastEpoch();
        if (step > totalSteps) {
            throw new IllegalStateException("Tried to step " + (step + 1) + " times. The specified number of total steps is "
                    + totalSteps);
        }
        double[] lrs = {baseLr, maxLrs[group], minLrs[group]};
        double[] moms = {maxMomentums[group], baseMomentums[group]};
        double start = 0;
        for (int i = 0; i < phases.length; i++) {
            Phase p = phases[i];
            if (step <= p.endStep() || i == phases.length - 1) {
                double pct = (step - start) / (p.endStep() - start);
                if (cycleMomentum) {
                    optimizer().paramGroups().get(group).set(momentumKey,
                            anneal(moms[p.startMomentum()], moms[p.endMomentum()], pct));
                }
                return anneal(lrs[p.startLr()], lrs[p.endLr()], pct);
            }
            start = p.endStep();
        }
        throw new AssertionError("the last phase always matches");
    }

    @Override
    protected Map<String, Double> hyperParameters() {
        Map<String, Double> h = new LinkedHashMap<>();
        h.put("total_steps", (double) totalSteps);
        h.put("pct_start", pctStart);
        h.put("anneal_strategy", strategy == AnnealStrategy.COS ? 0.0 : 1.0);
        h.put("three_phase", threePhase ? 1.0 : 0.0);
        for (int g = 0; g < maxLrs.length; g++) {
            h.put("max_lr." + g, maxLrs[g]);
            h.put("min_lr." + g, minLrs[g]);
            h.put("max_momentum." + g, maxMomentums[g]);
            h.put("base_momentum." + g, baseMomentums[g]);
        }
        return h;
    }

    @Override
    protected void setHyperParameters(Map<String, Double> hyper) {
        int total = integer("total_steps", hyper.get("total_steps"), 1);
        double pct = hyper.get("pct_start");
        if (!(pct >= 0 && pct <= 1)) {
            throw new IllegalArgumentException("Expected float between 0 and 1 pct_start, but got " + pct);
        }
        int how = integer("anneal_strategy", hyper.get("anneal_strategy"), 0);
        boolean three = Optimizer.flag("three_phase", hyper.get("three_phase"));
        if (how > 1) {
            throw new IllegalArgumentException("anneal_strategy must be 0 (cos) or 1 (linear), got " + how);
        }
        int n = maxLrs.length;
        double[][] values = new double[4][n];
        String[] names = {"max_lr.", "min_lr.", "max_momentum.", "base_momentum."};
        for (int k = 0; k < names.length; k++) {
            for (int g = 0; g < n; g++) {
                values[k][g] = finite(names[k] + g, hyper.get(names[k] + g));
            }
        }
        System.arraycopy(values[0], 0, maxLrs, 0, n);
        System.arraycopy(values[1], 0, minLrs, 0, n);
        System.arraycopy(values[2], 0, maxMomentums, 0, n);
        System.arraycopy(values[3], 0, baseMomentums, 0, n);
        configure(total, pct, how == 0 ? AnnealStrategy.COS : AnnealStrategy.LINEAR, three);
    }
}
