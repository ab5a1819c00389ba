package org.sparkgrad.engine.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Anneals the learning rate along a cosine from the base rate to {@code etaMin} over {@code tMax} epochs
 * and back up over the next {@code tMax}, like {@code torch.optim.lr_scheduler.CosineAnnealingLR}:
 * lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2. Like PyTorch it computes each
 * rate from the previous one (the recursive form), so its values follow PyTorch's step for step.
 */
public final class CosineAnnealingLR extends LRScheduler {
    private int tMax;
    private double etaMin;

    /** Anneals to 0 over tMax epochs. */
    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0);
    }

    /** Anneals to etaMin over tMax epochs (tMax &gt;= 1). */
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        this.tMax = integer("T_max", tMax, 1);
        this.etaMin = finite("eta_min", etaMin);
        initialStep();
    }

    /** The number of epochs of a half period. */
    public int getTMax() {
        return tMax;
    }

    /** The smallest learning rate. */
    public double getEtaMin() {
        return etaMin;
    }

    @Override
    protected double computeLr(int group, double lr, double base) {
        int epoch = getLastEpoch();
        if (epoch == 0) {
            return lr;
        }
        if (stepCount() == 1 && epoch > 0) {
            return etaMin + (base - etaMin) * (1 + Math.cos(epoch * Math.PI / tMax)) / 2;
        }
        if (Math.floorMod(epoch - 1 - tMax, 2 * tMax) == 0) {
            return lr + (base - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
        }
        return (1 + Math.cos(Math.PI * epoch / tMax)) / (1 + Math.cos(Math.PI * (epoch - 1) / tMax)) * (lr - etaMin)
                + etaMin;
    }

    @Override
    protected double closedFormLr(int group, double lr, double base) {
        return etaMin + (base - etaMin) * (1 + Math.cos(Math.PI * getLastEpoch() / tMax)) / 2;
    }

    @Override
    protected Map<String, Double> hyperParameters() {
        Map<String, Double> h = new LinkedHashMap<>();
        h.put("T_max", (double) tMax);
        h.put("eta_min", etaMin);
        return h;
    }

    @Override
    protected void setHyperParameters(Map<String, Double> hyper) {
        int t = integer("T_max", hyper.get("T_max"), 1);
        double e = finite("eta_min", hyper.get("eta_min"));
        tMax = t;
        etaMin = e;
    }
}
