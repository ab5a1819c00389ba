package org.sparkgrad.engine.optim;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkgrad.engine.Tensor;

/**
 * What Adam and AdamW share: their settings (betas, eps, weight decay, amsgrad), the moment buffers kept
 * per parameter, and how those appear in the state dict. They differ only in how weight decay enters.
 */
public abstract class AdamFamily extends Optimizer {
    AdamFamily(List<? extends Tensor> params, double lr, AdamUpdate.Settings settings) {
        super(params, settings.toMap(lr));
    }

    AdamFamily(Map<String, ? extends Tensor> namedParams, double lr, AdamUpdate.Settings settings) {
        super(namedParams, settings.toMap(lr));
    }

    /** The settings of the first parameter group. */
    private AdamUpdate.Settings settings() {
        return AdamUpdate.Settings.of(paramGroups().get(0).options());
    }

    /** The decay rate of the first moment estimate. */
    public double getBeta1() {
        return settings().beta1();
    }

    /** The decay rate of the second moment estimate. */
    public double getBeta2() {
        return settings().beta2();
    }

    /** The term added to the denominator. */
    public double getEps() {
        return settings().eps();
    }

    /** The weight decay factor (of the first parameter group; Adam: L2 penalty added to the gradient; AdamW: decoupled shrinking by lr times it). */
    public double getWeightDecay() {
        return settings().weightDecay();
    }

    /** Whether the AMSGrad variant (running maximum of the second moment) is used. */
    public boolean isAmsgrad() {
        return settings().amsgrad();
    }

    @Override
    protected void checkOptions(Map<String, Double> options) {
        AdamUpdate.Settings.of(options);
    }

    @Override
    protected Set<String> stateKeys(Map<String, Double> options) {
        return AdamUpdate.stateKeys(flag("amsgrad", options.get("amsgrad")));
    }
}
