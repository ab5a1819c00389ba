package org.sparkgrad.engine.optim;

import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.Tensor;

/**
 * Adam with decoupled weight decay, exactly as torch 1.13's {@code torch.optim.AdamW} (single-tensor path):
 * the parameter shrinks by {@code p = p * (1 - lr * weight_decay)} before the Adam update, which then uses
 * the raw gradient:
 * <pre>
 * t = t + 1
 * p = p * (1 - lr * weight_decay)
 * m = beta1 * m + (1 - beta1) * grad
 * v = beta2 * v + (1 - beta2) * grad * grad
 * vmax = max(vmax, v); use vmax for v below      (amsgrad)
 * p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * Per-parameter state as {@link Adam}. Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2.
 */
public final class AdamW extends AdamFamily {
    /** PyTorch's default learning rate for AdamW. */
    public static final double DEFAULT_LR = 1e-3;
    /** PyTorch's default weight decay for AdamW. */
    public static final double DEFAULT_WEIGHT_DECAY = 1e-2;

    /** AdamW with PyTorch's defaults over a list of parameters. */
    public AdamW(List<? extends Tensor> params) {
        this(params, DEFAULT_LR);
    }

    /** AdamW with a learning rate and otherwise the defaults, over a list of parameters. */
    public AdamW(List<? extends Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, DEFAULT_WEIGHT_DECAY, false);
    }

    /** AdamW with every setting, over a list of parameters (state keyed "0", "1", ...). */
    public AdamW(List<? extends Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay,
            boolean amsgrad) {
        super(params, lr, new AdamUpdate.Settings(beta1, beta2, eps, weightDecay, amsgrad));
    }

    /** AdamW with PyTorch's defaults over named parameters. */
    public AdamW(Map<String, ? extends Tensor> namedParams) {
        this(namedParams, DEFAULT_LR);
    }

    /** AdamW with a learning rate and otherwise the defaults, over named parameters. */
    public AdamW(Map<String, ? extends Tensor> namedParams, double lr) {
        this(namedParams, lr, 0.9, 0.999, 1e-8, DEFAULT_WEIGHT_DECAY, false);
    }

    /** AdamW with every setting, over named parameters (state keyed by name). */
    public AdamW(Map<String, ? extends Tensor> namedParams, double lr, double beta1, double beta2, double eps,
            double weightDecay, boolean amsgrad) {
        super(namedParams, lr, new AdamUpdate.Settings(beta1, beta2, eps, weightDecay, amsgrad));
    }

    @Override
    protected void update(Tensor param, Tensor grad, Map<String, Tensor> state, ParamGroup group) {
        AdamUpdate.Settings settings = AdamUpdate.Settings.of(group.options());
        AdamUpdate.initState(param, state, settings.amsgrad());
        double step = AdamUpdate.incrementStep(state);
        if (settings.weightDecay() != 0) {
            param.mul_(1 - group.getLr() * settings.weightDecay());
        }
        AdamUpdate.apply(param, grad, false, state, step, group.getLr(), settings);
    }
}
