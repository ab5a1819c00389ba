package org.sparkgrad.engine.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The base of learning-rate schedulers, like torch 1.13's {@code _LRScheduler}: it sets the learning rate
 * of each of the optimizer's parameter groups each time {@link #step()} is called, once per epoch after
 * the epoch's optimizer steps.
 *
 * <pre>{@code
 * Optimizer opt = new SGD(net.parameters(), 0.1);
 * LRScheduler sched = new StepLR(opt, 30, 0.1);
 * for (int epoch = 0; epoch < 100; epoch++) {
 *     train(opt);          // many opt.step()
 *     sched.step();
 * }
 * }</pre>
 *
 * Creating a scheduler counts as its first step (epoch 0): a group's base learning rate is its
 * {@code initial_lr}, set from its current learning rate by the first scheduler attached to it. Rates are
 * computed from the optimizer's current rate (PyTorch's chainable form), so schedulers can be chained.
 *
 * <p>A subclass computes a group's rate in {@link #computeLr} and calls {@link #initialStep()} at the end of
 * its constructor, once its own fields are set.
 */
public abstract class LRScheduler {
    private final Optimizer optimizer;
    private double[] baseLrs;
    int lastEpoch = -1;
    int stepCount;
    private double[] lastLrs;

    /** A scheduler of the optimizer's learning rates; the subclass's constructor must end with {@link #initialStep()}. */
    protected LRScheduler(Optimizer optimizer) {
        if (optimizer == null) {
            throw new IllegalArgumentException("the scheduler needs an Optimizer, got null");
        }
        this.optimizer = optimizer;
        List<ParamGroup> groups = optimizer.paramGroups();
        baseLrs = new double[groups.size()];
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup group = groups.get(g);
            if (group.initialLr() == null) {
                group.setInitialLr(group.getLr());
            }
            baseLrs[g] = group.initialLr();
        }
        lastLrs = currentLrs();
    }

    /** Performs the step to epoch 0 that PyTorch's constructor performs. */
    protected final void initialStep() {
        if (stepCount != 0) {
            throw new IllegalStateException("initialStep() may only be called once, from the constructor");
        }
        step();
    }

    /** Advances one epoch and sets each group's learning rate for it. */
    public void step() {
        stepCount++;
        lastEpoch++;
        apply(false);
    }

    /**
     * Jumps to {@code epoch} (PyTorch's deprecated {@code step(epoch)}, which SequentialLR uses at its
     * milestones): the rates come from {@link #closedFormLr} where the schedule has a closed form.
     */
    void step(int epoch) {
        stepCount++;
        lastEpoch = epoch;
        apply(true);
    }

    private void apply(boolean closedForm) {
        List<ParamGroup> groups = optimizer.paramGroups();
        if (groups.size() != baseLrs.length) {
            throw new IllegalStateException("the optimizer has " + groups.size() + " param groups but the scheduler was "
                    + "built for " + baseLrs.length + ": build schedulers after adding every group");
        }
        double[] lrs = new double[groups.size()];
        for (int g = 0; g < lrs.length; g++) {
            double lr = groups.get(g).getLr();
            lrs[g] = closedForm ? closedFormLr(g, lr, baseLrs[g]) : computeLr(g, lr, baseLrs[g]);
        }
        for (int g = 0; g < lrs.length; g++) {
            groups.get(g).setLr(lrs[g]);
        }
        lastLrs = currentLrs();
    }

    double[] currentLrs() {
        List<ParamGroup> groups = optimizer.paramGroups();
        double[] lrs = new double[groups.size()];
        for (int g = 0; g < lrs.length; g++) {
            lrs[g] = groups.get(g).getLr();
        }
        return lrs;
    }

    /** Sets the rates {@link #getLastLrs()} reports (composite schedulers report their child's). */
    void setLastLrs(double[] lrs) {
        lastLrs = lrs.clone();
    }

    /**
     * The learning rate of group {@code group} for {@link #getLastEpoch()} (already advanced), from the
     * group's current rate {@code lr} or its base rate, like PyTorch's {@code get_lr()}.
     */
    protected abstract double computeLr(int group, double lr, double baseLr);

    /**
     * The rate at {@link #getLastEpoch()} from the base rate alone, like PyTorch's
     * {@code _get_closed_form_lr}; schedules without one use {@link #computeLr}, as PyTorch does.
     */
    protected double closedFormLr(int group, double lr, double baseLr) {
        return computeLr(group, lr, baseLr);
    }

    /** The optimizer whose learning rates are scheduled. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The learning rate the last step set, for an optimizer of one group (else use {@link #getLastLrs()}). */
    public double getLastLr() {
        return only(lastLrs, "getLastLr");
    }

    /** The learning rate of each group the last step set, like {@code get_last_lr()}. */
    public List<Double> getLastLrs() {
        return list(lastLrs);
    }

    /** The current epoch: 0 after construction, +1 per {@link #step()}. */
    public int getLastEpoch() {
        return lastEpoch;
    }

    /** The learning rate the schedule starts from, for an optimizer of one group (PyTorch's {@code base_lrs[0]}). */
    public double getBaseLr() {
        return only(baseLrs, "getBaseLr");
    }

    /** The learning rate each group's schedule starts from (PyTorch's {@code base_lrs}). */
    public List<Double> getBaseLrs() {
        return list(baseLrs);
    }

    private static double only(double[] values, String what) {
        if (values.length != 1) {
            throw new IllegalStateException(what + "() needs an optimizer with one parameter group, this one has "
                    + values.length + ": use " + what + "s()");
        }
        return values[0];
    }

    private static List<Double> list(double[] values) {
        List<Double> out = new ArrayList<>();
        for (double v : values) {
            out.add(v);
        }
        return Collections.unmodifiableList(out);
    }

    /** How many times the scheduler has stepped, counting the constructor's step (PyTorch's {@code _step_count}). */
    protected int stepCount() {
        return stepCount;
    }

    /** The schedule's own settings by PyTorch's names, e.g. {@code step_size}, {@code gamma}. */
    protected abstract Map<String, Double> hyperParameters();

    /**
     * Takes settings loaded from a state dict (the keys of {@link #hyperParameters()}, checked already),
     * validating every value and throwing {@link IllegalArgumentException} before assigning anything.
     */
    protected abstract void setHyperParameters(Map<String, Double> hyper);

    /**
     * The scheduler's state, like {@code state_dict()}: {@code last_epoch}, {@code step_count},
     * {@code base_lr}, {@code last_lr} (with several groups {@code base_lr.<g>} and {@code last_lr.<g>}
     * per group) and the settings of {@link #hyperParameters()}.
     */
    public Map<String, Double> stateDict() {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("last_epoch", (double) lastEpoch);
        out.put("step_count", (double) stepCount);
        for (int g = 0; g < baseLrs.length; g++) {
            out.put(groupKey("base_lr", g), baseLrs[g]);
        }
        for (int g = 0; g < lastLrs.length; g++) {
            out.put(groupKey("last_lr", g), lastLrs[g]);
        }
        out.putAll(hyperParameters());
        return out;
    }

    private String groupKey(String key, int g) {
        return baseLrs.length == 1 ? key : key + "." + g;
    }

    /**
     * Restores a state from {@link #stateDict()}, like {@code load_state_dict}. The optimizer's learning
     * rate is not changed (it is part of the optimizer's own state). Every key must be present and no
     * other; on error nothing changes.
     */
    public void loadStateDict(Map<String, Double> state) {
        Map<String, Double> own = stateDict();
        Set<String> missing = new TreeSet<>(own.keySet());
        Set<String> unexpected = new TreeSet<>();
        if (state != null) {
            missing.removeAll(state.keySet());
            unexpected.addAll(state.keySet());
            unexpected.removeAll(own.keySet());
        }
        StringBuilder problems = new StringBuilder();
        if (!missing.isEmpty()) {
            problems.append("\n\tMissing key(s): ").append(Optimizer.quoted(missing)).append('.');
        }
        if (!unexpected.isEmpty()) {
            problems.append("\n\tUnexpected key(s): ").append(Optimizer.quoted(unexpected)).append('.');
        }
        if (problems.length() == 0) {
            for (Map.Entry<String, Double> e : state.entrySet()) {
                if (e.getValue() == null) {
                    problems.append("\n\t\"").append(e.getKey()).append("\" is null.");
                }
            }
        }
        if (problems.length() == 0) {
            double epoch = state.get("last_epoch");
            double count = state.get("step_count");
            if (epoch != Math.rint(epoch) || epoch < -1 || epoch > Integer.MAX_VALUE) {
                problems.append("\n\tlast_epoch must be an integer >= -1, got ").append(epoch).append('.');
            }
            if (count != Math.rint(count) || count < 0 || count > Integer.MAX_VALUE) {
                problems.append("\n\tstep_count must be an integer >= 0, got ").append(count).append('.');
            }
            for (int g = 0; g < baseLrs.length; g++) {
                double base = state.get(groupKey("base_lr", g));
                double last = state.get(groupKey("last_lr", g));
                if (!Double.isFinite(base) || !Double.isFinite(last)) {
                    problems.append("\n\t").append(groupKey("base_lr", g)).append(" and ").append(groupKey("last_lr", g))
                            .append(" must be finite, got ").append(base).append(" and ").append(last).append('.');
                }
            }
        }
        if (problems.length() > 0) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for " + getClass().getSimpleName() + ":"
                    + problems);
        }
        Map<String, Double> hyper = new LinkedHashMap<>(state);
        hyper.keySet().retainAll(hyperParameters().keySet());
        setHyperParameters(hyper);
        lastEpoch = (int) (double) state.get("last_epoch");
        stepCount = (int) (double) state.get("step_count");
        for (int g = 0; g < baseLrs.length; g++) {
            baseLrs[g] = state.get(groupKey("base_lr", g));
            lastLrs[g] = state.get(groupKey("last_lr", g));
        }
    }

    /** An integer setting stored as a double in a state dict, at least {@code min}. */
    static int integer(String name, double value, int min) {
        if (value != Math.rint(value) || value < min || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be an integer >= " + min + ", got "
                    + (value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value)));
        }
        return (int) value;
    }

    /** A finite setting. */
    static double finite(String name, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite, got " + value);
        }
        return value;
    }
}
