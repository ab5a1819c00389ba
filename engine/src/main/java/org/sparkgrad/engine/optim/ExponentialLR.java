package org.sparkgrad.engine.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Multiplies the learning rate by {@code gamma} every epoch, like
 * {@code torch.optim.lr_scheduler.ExponentialLR}: lr = base_lr * gamma^epoch (computed step by step).
 */
public final class ExponentialLR extends LRScheduler {
    private double gamma;

    /** Decays by gamma every epoch. */
    public ExponentialLR(Optimizer optimizer, double gamma) {
        super(optimizer);
        this.gamma = finite("gamma", gamma);
        initialStep();
    }

    /** The decay factor. */
    public double getGamma() {
        return gamma;
    }

    @Override
    protected double computeLr(int group, double lr, double baseLr) {
        return getLastEpoch() == 0 ? lr : lr * gamma;
    }

    @Override
    protected double closedFormLr(int group, double lr, double baseLr) {
        return baseLr * Math.pow(gamma, getLastEpoch());
    }

    @Override
    protected Map<String, Double> hyperParameters() {
        Map<String, Double> h = new LinkedHashMap<>();
        h.put("gamma", gamma);
        return h;
    }

    @Override
    protected void setHyperParameters(Map<String, Double> hyper) {
        gamma = finite("gamma", hyper.get("gamma"));
    }
}
