package org.sparkgrad.engine.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Scales each group's learning rate by a factor that moves linearly from {@code startFactor} to
 * {@code endFactor} over {@code totalIters} epochs and stays there, like
 * {@code torch.optim.lr_scheduler.LinearLR}; with a start factor below 1 it is a learning-rate warmup:
 * lr = base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters), computed step by step
 * from the current rate as PyTorch does.
 *
 * <pre>{@code
 * new LinearLR(opt, 0.1, 1.0, 5);       // warm up from 10% to the full rate over 5 epochs
 * }</pre>
 */
public final class LinearLR extends LRScheduler {
    private double startFactor;
    private double endFactor;
    private int totalIters;

    /** PyTorch's defaults: from a third of the rate to the full rate over 5 epochs. */
    public LinearLR(Optimizer optimizer) {
        this(optimizer, 1.0 / 3, 1.0, 5);
    }

    /** From startFactor (in (0, 1]) to endFactor (in [0, 1]) times the base rate over totalIters (&gt;= 1) epochs. */
    public LinearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
        super(checked(optimizer, startFactor, endFactor, totalIters));
        this.startFactor = startFactor;
        this.endFactor = endFactor;
        this.totalIters = totalIters;
        initialStep();
    }

    private static Optimizer checked(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
        // PyTorch 1.13 accepts a start factor of 0 and then divides by zero at epoch 1; later versions refuse it.
        if (!(startFactor > 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("Starting multiplicative factor expected to be greater than 0 and less "
                    + "or equal to 1, got " + startFactor);
        }
        if (!(endFactor >= 0 && endFactor <= 1)) {
            throw new IllegalArgumentException("Ending multiplicative factor expected to be between 0 and 1, got "
                    + endFactor);
        }
        integer("total_iters", totalIters, 1);
        return optimizer;
    }

    @Override
    protected double computeLr(int group, double lr, double baseLr) {
        int epoch = getLastEpoch();
        if (epoch == 0) {
            return lr * startFactor;
        }
        if (epoch > totalIters) {
            return lr;
        }
        return lr * (1 + (endFactor - startFactor) / (totalIters * startFactor + (epoch - 1) * (endFactor - startFactor)));
    }

    @Override
    protected double closedFormLr(int group, double lr, double baseLr) {
        return baseLr * (startFactor + (endFactor - startFactor) * Math.min(totalIters, getLastEpoch()) / totalIters);
    }

    @Override
    protected Map<String, Double> hyperParameters() {
        Map<String, Double> h = new LinkedHashMap<>();
        h.put("start_factor", startFactor);
        h.put("end_factor", endFactor);
        h.put("total_iters", (double) totalIters);
        return h;
    }

    @Override
    protected void setHyperParameters(Map<String, Double> hyper) {
        double s = hyper.get("start_factor");
        double e = hyper.get("end_factor");
        int t = integer("total_iters", hyper.get("total_iters"), 1);
        checked(optimizer(), s, e, t);
        startFactor = s;
        endFactor = e;
        totalIters = t;
    }
}
