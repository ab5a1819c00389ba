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
    /** The current settings; the update reads them each step. */
    AdamUpdate.Settings settings;

    AdamFamily(List<? extends Tensor> params, double lr, AdamUpdate.Settings settings) {
        super(params, lr);
        this.settings = settings;
    }

    AdamFamily(Map<String, ? extends Tensor> namedParams, double lr, AdamUpdate.Settings settings) {
        super(namedParams, lr);
        this.settings = settings;
    }

    /** The decay rate of the first moment estimate. */
    public double getBeta1() {
        return settings.beta1();
    }

    /** The decay rate of the second moment estimate. */
    public double getBeta2() {
        return settings.beta2();
    }

    /** The term added to the denominator. */
    public double getEps() {
        return settings.eps();
    }

    /** The weight decay factor (Adam: L2 penalty added to the gradient; AdamW: decoupled shrinking by lr times it). */
    public double getWeightDecay() {
        return settings.weightDecay();
    }

    /** Whether the AMSGrad variant (running maximum of the second moment) is used. */
    public boolean isAmsgrad() {
        return settings.amsgrad();
    }

    @Override
    protected Map<String, Double> hyperParameters() {
        return settings.toMap();
    }

    @Override
    protected Set<String> stateKeys(Map<String, Double> hyper) {
        return AdamUpdate.stateKeys(flag("amsgrad", hyper.get("amsgrad")));
    }

    @Override
    protected void setHyperParameters(Map<String, Double> hyper) {
        settings = AdamUpdate.Settings.of(hyper);
    }
}
