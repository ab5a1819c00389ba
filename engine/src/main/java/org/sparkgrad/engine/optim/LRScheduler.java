package org.sparkgrad.engine.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The base of learning-rate schedulers, like torch 1.13's {@code _LRScheduler}: it sets the optimizer's
 * learning rate each time {@link #step()} is called, once per epoch after the epoch's optimizer steps.
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
 * Creating a scheduler counts as its first step (epoch 0): the base learning rate is the optimizer's
 * {@code initial_lr}, set from its current learning rate by the first scheduler attached to it. Rates are
 * computed from the optimizer's current rate (PyTorch's chainable form), so schedulers can be chained.
 *
 * <p>A subclass computes the rate in {@link #computeLr()} and calls {@link #initialStep()} at the end of
 * its constructor, once its own fields are set.
 */
public abstract class LRScheduler {
    private final Optimizer optimizer;
    private double baseLr;
    private int lastEpoch = -1;
    private int stepCount;
    private double lastLr;

    /** A scheduler of the optimizer's learning rate; the subclass's constructor must end with {@link #initialStep()}. */
    protected LRScheduler(Optimizer optimizer) {
        if (optimizer == null) {
            throw new IllegalArgumentException("the scheduler needs an Optimizer, got null");
        }
        this.optimizer = optimizer;
        this.baseLr = optimizer.initialLrOrCurrent();
    }

    /** Performs the step to epoch 0 that PyTorch's constructor performs. */
    protected final void initialStep() {
        if (stepCount != 0) {
            throw new IllegalStateException("initialStep() may only be called once, from the constructor");
        }
        step();
    }

    /** Advances one epoch and sets the optimizer's learning rate for it. */
    public void step() {
        stepCount++;
        lastEpoch++;
        double lr = computeLr();
        optimizer.setLr(lr);
        lastLr = optimizer.getLr();
    }

    /**
     * The learning rate for {@link #getLastEpoch()} (already advanced), from the optimizer's current rate
     * or the base rate, like PyTorch's {@code get_lr()}.
     */
    protected abstract double computeLr();

    /** The optimizer whose learning rate is scheduled. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The learning rate the last step set, like {@code get_last_lr()[0]}. */
    public double getLastLr() {
        return lastLr;
    }

    /** The current epoch: 0 after construction, +1 per {@link #step()}. */
    public int getLastEpoch() {
        return lastEpoch;
    }

    /** The learning rate the schedule starts from (PyTorch's {@code base_lrs[0]}). */
    public double getBaseLr() {
        return baseLr;
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
     * {@code base_lr}, {@code last_lr} and the settings of {@link #hyperParameters()}.
     */
    public Map<String, Double> stateDict() {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("last_epoch", (double) lastEpoch);
        out.put("step_count", (double) stepCount);
        out.put("base_lr", baseLr);
        out.put("last_lr", lastLr);
        out.putAll(hyperParameters());
        return out;
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
            if (!Double.isFinite(state.get("base_lr")) || !Double.isFinite(state.get("last_lr"))) {
                problems.append("\n\tbase_lr and last_lr must be finite, got ").append(state.get("base_lr"))
                        .append(" and ").append(state.get("last_lr")).append('.');
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
        baseLr = state.get("base_lr");
        lastLr = state.get("last_lr");
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
