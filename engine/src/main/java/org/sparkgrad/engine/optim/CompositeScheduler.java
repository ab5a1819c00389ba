package org.sparkgrad.engine.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link SequentialLR} and {@link ChainedScheduler} share: they set no rate themselves but step other
 * schedulers, whose states are part of theirs as {@code schedulers.<i>.<key>}.
 */
abstract class CompositeScheduler extends LRScheduler {
    final List<LRScheduler> schedulers;

    CompositeScheduler(Optimizer optimizer, List<LRScheduler> schedulers) {
        super(optimizer);
        this.schedulers = List.copyOf(schedulers);
    }

    @Override
    protected final double computeLr(int group, double lr, double baseLr) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " sets no rate itself: its schedulers do");
    }

    /** The composite's own settings (before the schedulers' states in the state dict). */
    abstract Map<String, Double> ownSettings();

    /** Checks loaded own settings (the keys of {@link #ownSettings()}). */
    abstract void loadOwnSettings(Map<String, Double> hyper);

    @Override
    protected final Map<String, Double> hyperParameters() {
        Map<String, Double> out = new LinkedHashMap<>(ownSettings());
        for (int i = 0; i < schedulers.size(); i++) {
            for (Map.Entry<String, Double> e : schedulers.get(i).stateDict().entrySet()) {
                out.put("schedulers." + i + "." + e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** Loads the own settings, then every scheduler's part (each checks its own). */
    @Override
    protected final void setHyperParameters(Map<String, Double> hyper) {
        loadOwnSettings(hyper);
        List<Map<String, Double>> parts = new ArrayList<>();
        for (int i = 0; i < schedulers.size(); i++) {
            String prefix = "schedulers." + i + ".";
            Map<String, Double> part = new LinkedHashMap<>();
            for (Map.Entry<String, Double> e : hyper.entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    part.put(e.getKey().substring(prefix.length()), e.getValue());
                }
            }
            parts.add(part);
        }
        for (int i = 0; i < schedulers.size(); i++) {
            schedulers.get(i).loadStateDict(parts.get(i));
        }
    }

    /** Checks a list of schedulers: not empty, no nulls. */
    static List<LRScheduler> nonEmpty(String who, List<LRScheduler> schedulers) {
        if (schedulers == null || schedulers.isEmpty() || new ArrayList<>(schedulers).contains(null)) {
            throw new IllegalArgumentException(who + " needs a list of schedulers, got " + schedulers);
        }
        return schedulers;
    }
}
