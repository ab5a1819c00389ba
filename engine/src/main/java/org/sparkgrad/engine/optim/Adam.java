package org.sparkgrad.engine.optim;

import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.Tensor;

/**
 * Adam, exactly as torch 1.13's {@code torch.optim.Adam} (single-tensor path), with L2 weight decay added to
 * the gradient:
 * <pre>
 * t = t + 1
 * g = grad + weight_decay * p                      (when weight_decay != 0)
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g * g
 * vmax = max(vmax, v); use vmax for v below      (amsgrad)
 * p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * Per-parameter state: {@code step} (a float32 count), {@code exp_avg}, {@code exp_avg_sq} and, with amsgrad,
 * {@code max_exp_avg_sq}. Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay.
 */
public final class Adam extends AdamFamily {
    /** PyTorch's default learning rate for Adam. */
    public static final double DEFAULT_LR = 1e-3;

    /** Adam with PyTorch's defaults over a list of parameters. */
    public Adam(List<? extends Tensor> params) {
        this(params, DEFAULT_LR);
    }

    /** Adam with a learning rate and otherwise the defaults, over a list of parameters. */
    public Adam(List<? extends Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    /** Adam with every setting, over a list of parameters (state keyed "0", "1", ...). */
    public Adam(List<? extends Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay,
            boolean amsgrad) {
        super(params, lr, new AdamUpdate.Settings(beta1, beta2, eps, weightDecay, amsgrad));
    }

    /** Adam with PyTorch's defaults over named parameters. */
    public Adam(Map<String, ? extends Tensor> namedParams) {
        this(namedParams, DEFAULT_LR);
    }

    /** Adam with a learning rate and otherwise the defaults, over named parameters. */
    public Adam(Map<String, ? extends Tensor> namedParams, double lr) {
        this(namedParams, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    /** Adam with every setting, over named parameters (state keyed by name). */
    public Adam(Map<String, ? extends Tensor> namedParams, double lr, double beta1, double beta2, double eps,
            double weightDecay, boolean amsgrad) {
        super(namedParams, lr, new AdamUpdate.Settings(beta1, beta2, eps, weightDecay, amsgrad));
    }

    @Override
    protected void update(Tensor param, Tensor grad, Map<String, Tensor> state, ParamGroup group) {
        AdamUpdate.Settings settings = AdamUpdate.Settings.of(group.options());
        AdamUpdate.initState(param, state, settings.amsgrad());
        double step = AdamUpdate.incrementStep(state);
        boolean decayed = settings.weightDecay() != 0;
        Tensor g = decayed ? param.mul(settings.weightDecay()).add_(grad) : grad;
        AdamUpdate.apply(param, g, decayed, state, step, group.getLr(), settings);
    }
}
