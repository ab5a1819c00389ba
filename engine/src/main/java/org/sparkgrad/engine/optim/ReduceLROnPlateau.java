package org.sparkgrad.engine.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Lowers the learning rates when a metric has stopped improving, like
 * {@code torch.optim.lr_scheduler.ReduceLROnPlateau}: after more than {@code patience} epochs without
 * improvement, each group's rate becomes {@code max(lr * factor, min_lr)} (unless that changes it by
 * {@code eps} or less), then {@code cooldown} epochs are ignored. Improvement is relative
 * ({@code threshold_mode 'rel'}: better than best * (1 - threshold) in min mode) or absolute.
 *
 * <pre>{@code
 * ReduceLROnPlateau plateau = new ReduceLROnPlateau(opt);
 * for (...) { train(opt); plateau.step(validationLoss); }
 * }</pre>
 *
 * It steps on a metric, so it is not an {@link LRScheduler}, as in PyTorch.
 */
public final class ReduceLROnPlateau {
    /** Whether lower or higher metric values are better. */
    public enum Mode { MIN, MAX }

    /** Whether the threshold is a fraction of the best value or an absolute margin. */
    public enum ThresholdMode { REL, ABS }

    private final Optimizer optimizer;
    private final Mode mode;
    private final double factor;
    private final int patience;
    private final double threshold;
    private final ThresholdMode thresholdMode;
    private final int cooldown;
    private final double[] minLrs;
    private final double eps;
    private double best;
    private int numBadEpochs;
    private int cooldownCounter;
    private int lastEpoch;
    private double[] lastLrs;

    /** PyTorch's defaults: min mode, factor 0.1, patience 10, threshold 1e-4 relative, no cooldown, min_lr 0. */
    public ReduceLROnPlateau(Optimizer optimizer) {
        this(optimizer, Mode.MIN, 0.1, 10);
    }

    /** The given mode, factor and patience, otherwise PyTorch's defaults. */
    public ReduceLROnPlateau(Optimizer optimizer, Mode mode, double factor, int patience) {
        this(optimizer, mode, factor, patience, 1e-4, ThresholdMode.REL, 0, 0, 1e-8);
    }

    /** Every setting, with one minimum rate for all groups. */
    public ReduceLROnPlateau(Optimizer optimizer, Mode mode, double factor, int patience, double threshold,
            ThresholdMode thresholdMode, int cooldown, double minLr, double eps) {
        this(optimizer, mode, factor, patience, threshold, thresholdMode, cooldown,
                Collections.nCopies(optimizer == null ? 1 : optimizer.paramGroups().size(), minLr), eps);
    }

    /** Every setting, with a minimum rate per group. */
    public ReduceLROnPlateau(Optimizer optimizer, Mode mode, double factor, int patience, double threshold,
            ThresholdMode thresholdMode, int cooldown, List<Double> minLrs, double eps) {
        if (optimizer == null) {
            throw new IllegalArgumentException("the scheduler needs an Optimizer, got null");
        }
        if (!(factor < 1.0) || !(factor >= 0)) {
            throw new IllegalArgumentException("Factor should be < 1.0 (and >= 0), got " + factor);
        }
        if (mode == null || thresholdMode == null) {
            throw new IllegalArgumentException("mode and threshold mode can't be null");
        }
        int n = optimizer.paramGroups().size();
        if (minLrs == null || minLrs.size() != n || new ArrayList<>(minLrs).contains(null)) {
            throw new IllegalArgumentException("expected " + n + " min_lrs, got " + minLrs);
        }
        LRScheduler.integer("patience", patience, 0);
        LRScheduler.integer("cooldown", cooldown, 0);
        this.optimizer = optimizer;
        this.mode = mode;
        this.factor = factor;
        this.patience = patience;
        this.threshold = LRScheduler.finite("threshold", threshold);
        this.thresholdMode = thresholdMode;
        this.cooldown = cooldown;
        this.minLrs = new double[n];
        for (int g = 0; g < n; g++) {
            this.minLrs[g] = minLrs.get(g);
        }
        this.eps = LRScheduler.finite("eps", eps);
        this.best = worst();
        this.lastLrs = currentLrs();
    }

    private double worst() {
        return mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /** One epoch's metric (e.g. the validation loss); lowers the rates when it has not improved for long enough. */
    public void step(double metric) {
        lastEpoch++;
        if (isBetter(metric, best)) {
            best = metric;
            numBadEpochs = 0;
        } else {
            numBadEpochs++;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            numBadEpochs = 0;
        }
        if (numBadEpochs > patience) {
            List<ParamGroup> groups = optimizer.paramGroups();
            for (int g = 0; g < groups.size(); g++) {
                double old = groups.get(g).getLr();
                double lowered = Math.max(old * factor, minLrs[g]);
                if (old - lowered > eps) {
                    groups.get(g).setLr(lowered);
                }
            }
            cooldownCounter = cooldown;
            numBadEpochs = 0;
        }
        lastLrs = currentLrs();
    }

    private boolean isBetter(double a, double best) {
        if (mode == Mode.MIN) {
            return thresholdMode == ThresholdMode.REL ? a < best * (1 - threshold) : a < best - threshold;
        }
        return thresholdMode == ThresholdMode.REL ? a > best * (threshold + 1) : a > best + threshold;
    }

    private double[] currentLrs() {
        List<ParamGroup> groups = optimizer.paramGroups();
        double[] lrs = new double[groups.size()];
        for (int g = 0; g < lrs.length; g++) {
            lrs[g] = groups.get(g).getLr();
        }
        return lrs;
    }

    /** The optimizer whose learning rates are lowered. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The best metric so far (infinity in min mode before the first step). */
    public double getBest() {
        return best;
    }

    /** Epochs since the last improvement (reset by a reduction and during cooldown). */
    public int getNumBadEpochs() {
        return numBadEpochs;
    }

    /** Each group's learning rate after the last step, like {@code _last_lr}. */
    public List<Double> getLastLrs() {
        List<Double> out = new ArrayList<>();
        for (double v : lastLrs) {
            out.add(v);
        }
        return Collections.unmodifiableList(out);
    }

    /** The counters, like {@code state_dict()}: {@code last_epoch}, {@code best}, {@code num_bad_epochs}, {@code cooldown_counter}. */
    public Map<String, Double> stateDict() {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("last_epoch", (double) lastEpoch);
        out.put("best", best);
        out.put("num_bad_epochs", (double) numBadEpochs);
        out.put("cooldown_counter", (double) cooldownCounter);
        return out;
    }

    /** Restores the counters of {@link #stateDict()} (the settings are the constructor's); on error nothing changes. */
    public void loadStateDict(Map<String, Double> state) {
        Set<String> keys = stateDict().keySet();
        if (state == null || !state.keySet().equals(keys) || state.containsValue(null)) {
            Set<String> got = state == null ? Set.of() : new TreeSet<>(state.keySet());
            throw new IllegalArgumentException("Error(s) in loading state_dict for ReduceLROnPlateau: expected the keys "
                    + keys + " with numbers, got " + got);
        }
        int epoch = LRScheduler.integer("last_epoch", state.get("last_epoch"), 0);
        int bad = LRScheduler.integer("num_bad_epochs", state.get("num_bad_epochs"), 0);
        int cool = LRScheduler.integer("cooldown_counter", state.get("cooldown_counter"), 0);
        double b = state.get("best");
        if (Double.isNaN(b)) {
            throw new IllegalArgumentException("best must be a number, got NaN");
        }
        lastEpoch = epoch;
        numBadEpochs = bad;
        cooldownCounter = cool;
        best = b;
    }
}
