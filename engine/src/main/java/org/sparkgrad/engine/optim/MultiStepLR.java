package org.sparkgrad.engine.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Multiplies each group's learning rate by {@code gamma} at each milestone epoch, like
 * {@code torch.optim.lr_scheduler.MultiStepLR}: lr = base_lr * gamma^(number of milestones &lt;= epoch).
 * A milestone listed twice multiplies by gamma twice there, as PyTorch's {@code Counter} does.
 */
public final class MultiStepLR extends LRScheduler {
    private List<Integer> milestones;
    /** How often each milestone is listed. */
    private Map<Integer, Integer> counts;
    private double gamma;

    /** Decays by PyTorch's default gamma 0.1 at each milestone. */
    public MultiStepLR(Optimizer optimizer, List<Integer> milestones) {
        this(optimizer, milestones, 0.1);
    }

    /** Decays by gamma at each milestone (epochs, any order, repeats allowed). */
    public MultiStepLR(Optimizer optimizer, List<Integer> milestones, double gamma) {
        super(checked(optimizer, milestones, gamma));
        setMilestones(milestones);
        this.gamma = gamma;
        initialStep();
    }

    private static Optimizer checked(Optimizer optimizer, List<Integer> milestones, double gamma) {
        if (milestones == null || new ArrayList<>(milestones).contains(null)) {
            throw new IllegalArgumentException("MultiStepLR needs a list of milestone epochs, got " + milestones);
        }
        finite("gamma", gamma);
        return optimizer;
    }

    private void setMilestones(List<Integer> given) {
        List<Integer> sorted = new ArrayList<>(given);
        Collections.sort(sorted);
        Map<Integer, Integer> c = new TreeMap<>();
        for (int m : sorted) {
            c.merge(m, 1, Integer::sum);
        }
        milestones = Collections.unmodifiableList(sorted);
        counts = c;
    }

    /** The milestones, sorted. */
    public List<Integer> getMilestones() {
        return milestones;
    }

    /** The decay factor. */
    public double getGamma() {
        return gamma;
    }

    @Override
    protected double computeLr(int group, double lr, double baseLr) {
        Integer n = counts.get(getLastEpoch());
        return n == null ? lr : lr * Math.pow(gamma, n);
    }

    @Override
    protected double closedFormLr(int group, double lr, double baseLr) {
        int passed = 0;
        for (int m : milestones) {
            if (m <= getLastEpoch()) {
                passed++;
            }
        }
        return baseLr * Math.pow(gamma, passed);
    }

    @Override
    protected Map<String, Double> hyperParameters() {
        Map<String, Double> h = new LinkedHashMap<>();
        h.put("gamma", gamma);
        for (int i = 0; i < milestones.size(); i++) {
            h.put("milestones." + i, (double) milestones.get(i));
        }
        return h;
    }

    @Override
    protected void setHyperParameters(Map<String, Double> hyper) {
        double g = finite("gamma", hyper.get("gamma"));
        List<Integer> m = new ArrayList<>();
        for (int i = 0; i < milestones.size(); i++) {
            m.add(integer("milestones." + i, hyper.get("milestones." + i), 0));
        }
        setMilestones(m);
        gamma = g;
    }
}
