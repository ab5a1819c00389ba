package org.sparkgrad.engine.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Steps several schedulers of one optimizer together, each from the rate the previous one set, like
 * {@code torch.optim.lr_scheduler.ChainedScheduler}:
 *
 * <pre>{@code
 * LRScheduler s = new ChainedScheduler(List.of(new LinearLR(opt, 0.2, 1.0, 3), new ExponentialLR(opt, 0.9)));
 * }</pre>
 *
 * The given schedulers have already made their construction steps; building the chain changes no rate.
 */
public final class ChainedScheduler extends LRScheduler {
    private final List<LRScheduler> schedulers;

    /** The schedulers, all of the same optimizer, stepped in this order. */
    public ChainedScheduler(List<LRScheduler> schedulers) {
        super(checked(schedulers));
        this.schedulers = List.copyOf(schedulers);
        lastEpoch = 0;
        stepCount = 1;
        setLastLrs(currentLrs());
    }

    private static Optimizer checked(List<LRScheduler> schedulers) {
        if (schedulers == null || schedulers.isEmpty() || new ArrayList<>(schedulers).contains(null)) {
            throw new IllegalArgumentException("ChainedScheduler needs a list of schedulers, got " + schedulers);
        }
        for (int i = 1; i < schedulers.size(); i++) {
            if (schedulers.get(i).optimizer() != schedulers.get(0).optimizer()) {
                throw new IllegalArgumentException("ChainedScheduler expects all schedulers to belong to the same "
                        + "optimizer, but got schedulers at index 0 and " + i + " to be different");
            }
        }
        return schedulers.get(0).optimizer();
    }

    @Override
    public void step() {
        lastEpoch++;
        stepCount++;
        for (LRScheduler s : schedulers) {
            s.step();
        }
        setLastLrs(currentLrs());
    }

    @Override
    protected double computeLr(int group, double lr, double baseLr) {
        throw new UnsupportedOperationException("ChainedScheduler sets no rate itself: its schedulers do");
    }

    /** Each scheduler's state as {@code schedulers.<i>.<key>}. */
    @Override
    protected Map<String, Double> hyperParameters() {
        Map<String, Double> h = new LinkedHashMap<>();
        putChildren(h, schedulers);
        return h;
    }

    @Override
    protected void setHyperParameters(Map<String, Double> hyper) {
        loadChildren(hyper, schedulers);
    }

    static void putChildren(Map<String, Double> out, List<LRScheduler> children) {
        for (int i = 0; i < children.size(); i++) {
            for (Map.Entry<String, Double> e : children.get(i).stateDict().entrySet()) {
                out.put("schedulers." + i + "." + e.getKey(), e.getValue());
            }
        }
    }

    /** Loads every child's part (each child checks its own), after checking all of them parse. */
    static void loadChildren(Map<String, Double> hyper, List<LRScheduler> children) {
        List<Map<String, Double>> parts = new ArrayList<>();
        for (int i = 0; i < children.size(); i++) {
            String prefix = "schedulers." + i + ".";
            Map<String, Double> part = new LinkedHashMap<>();
            for (Map.Entry<String, Double> e : hyper.entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    part.put(e.getKey().substring(prefix.length()), e.getValue());
                }
            }
            parts.add(part);
        }
        for (int i = 0; i < children.size(); i++) {
            children.get(i).loadStateDict(parts.get(i));
        }
    }
}
