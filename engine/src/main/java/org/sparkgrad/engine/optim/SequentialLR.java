package org.sparkgrad.engine.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs schedulers one after another, switching at milestone epochs, like
 * {@code torch.optim.lr_scheduler.SequentialLR} in torch 1.13 (a scheduler that takes over starts from
 * its epoch 0 with its closed form, e.g. the base rate for a cosine):
 *
 * <pre>{@code
 * LRScheduler warmupThenCosine = new SequentialLR(opt,
 *         List.of(new LinearLR(opt, 0.1, 1.0, 5), new CosineAnnealingLR(opt, 95)), List.of(5));
 * }</pre>
 *
 * Building it undoes the construction steps of the given schedulers and restores every group's
 * {@code initial_lr}, then performs the first scheduler's initial step, as PyTorch does.
 */
public final class SequentialLR extends CompositeScheduler {    private final List<Integer> milestones;

    /** The schedulers (of this optimizer), and one milestone fewer than schedulers, in increasing order. */
    public SequentialLR(Optimizer optimizer, List<LRScheduler> schedulers, List<Integer> milestones) {
        super(checked(optimizer, schedulers, milestones), schedulers);
        this.milestones = List.copyOf(milestones);
        for (ParamGroup g : optimizer.paramGroups()) {
            g.setLr(g.initialLr());
        }
        for (LRScheduler s : this.schedulers) {
            s.lastEpoch--;
        }
        LRScheduler first = this.schedulers.get(0);
        first.stepCount = 0;
        first.step();
        lastEpoch = 0;
        stepCount = 1;
        setLastLrs(first.currentLrs());
    }

    private static Optimizer checked(Optimizer optimizer, List<LRScheduler> schedulers, List<Integer> milestones) {
        nonEmpty("SequentialLR", schedulers);
        for (int i = 0; i < schedulers.size(); i++) {
            if (schedulers.get(i).optimizer() != optimizer) {
                throw new IllegalArgumentException("Sequential Schedulers expects all schedulers to belong to the same "
                        + "optimizer, but got schedulers at index " + i + " to be different than the optimizer passed in.");
            }
        }
        if (milestones == null || milestones.size() != schedulers.size() - 1 || new ArrayList<>(milestones).contains(null)) {
            throw new IllegalArgumentException("Sequential Schedulers expects number of schedulers provided to be one more "
                    + "than the number of milestone points, but got number of schedulers " + schedulers.size()
                    + " and the number of milestones to be equal to " + (milestones == null ? 0 : milestones.size()));
        }
        for (int i = 1; i < milestones.size(); i++) {
            if (milestones.get(i) < milestones.get(i - 1)) {
                throw new IllegalArgumentException("SequentialLR milestones must increase, got " + milestones);
            }
        }
        return optimizer;
    }

    @Override
    public void step() {
        lastEpoch++;
        stepCount++;
        int idx = 0;
        while (idx < milestones.size() && milestones.get(idx) <= lastEpoch) {
            idx++;
        }
        LRScheduler s = schedulers.get(idx);
        if (idx > 0 && milestones.get(idx - 1) == lastEpoch) {
            s.step(0);
        } else {
            s.step();
        }
        setLastLrs(s.currentLrs());
    }

    /** The milestones as {@code milestones.<i>}. */
    @Override
    Map<String, Double> ownSettings() {
        Map<String, Double> h = new LinkedHashMap<>();
        for (int i = 0; i < milestones.size(); i++) {
            h.put("milestones." + i, (double) milestones.get(i));
        }
        return h;
    }

    @Override
    void loadOwnSettings(Map<String, Double> hyper) {
        for (int i = 0; i < milestones.size(); i++) {
            if (hyper.get("milestones." + i) != (double) milestones.get(i)) {
                throw new IllegalArgumentException("milestones." + i + " is " + milestones.get(i) + " here, the state has "
                        + hyper.get("milestones." + i));
            }
        }
    }
}
