package org.sparkgrad.engine.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Multiplies the learning rate by {@code gamma} every {@code stepSize} epochs, like
 * {@code torch.optim.lr_scheduler.StepLR}: lr = base_lr * gamma^(epoch / stepSize) (computed step by step,
 * from the optimizer's current rate, as PyTorch does).
 */
public final class StepLR extends LRScheduler {
    private int stepSize;
    private double gamma;

    /** Decays by PyTorch's default gamma 0.1 every stepSize epochs. */
    public StepLR(Optimizer optimizer, int stepSize) {
        this(optimizer, stepSize, 0.1);
    }

    /** Decays by gamma every stepSize epochs (stepSize &gt;= 1). */
    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        this.stepSize = integer("step_size", stepSize, 1);
        this.gamma = finite("gamma", gamma);
        initialStep();
    }

    /** The number of epochs between decays. */
    public int getStepSize() {
        return stepSize;
    }

    /** The decay factor. */
    public double getGamma() {
        return gamma;
    }

    @Override
    protected double computeLr(int group, double lr, double baseLr) {
        int epoch = getLastEpoch();
        return epoch == 0 || epoch % stepSize != 0 ? lr : lr * gamma;
    }

    @Override
    protected double closedFormLr(int group, double lr, double baseLr) {
        return baseLr * Math.pow(gamma, getLastEpoch() / stepSize);
    }

    @Override
    protected Map<String, Double> hyperParameters() {
        Map<String, Double> h = new LinkedHashMap<>();
        h.put("step_size", (double) stepSize);
        h.put("gamma", gamma);
        return h;
    }

    @Override
    protected void setHyperParameters(Map<String, Double> hyper) {
        int size = integer("step_size", hyper.get("step_size"), 1);
        double g = finite("gamma", hyper.get("gamma"));
        stepSize = size;
        gamma = g;
    }
}
