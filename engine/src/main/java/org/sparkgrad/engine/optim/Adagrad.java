package org.sparkgrad.engine.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/**
 * Adagrad, exactly as torch 1.13's {@code torch.optim.Adagrad} (dense gradients):
 * <pre>
 * t = t + 1
 * g = grad + weight_decay * p                      (when weight_decay != 0)
 * clr = lr / (1 + (t - 1) * lr_decay)
 * s = s + g * g                                    (s starts at initial_accumulator_value)
 * p = p - clr * g / (sqrt(s) + eps)
 * </pre>
 * Per-parameter state: {@code step} (a float32 count) and {@code sum}. PyTorch creates them when the
 * optimizer is built; here they appear on a parameter's first step, so a parameter that never had a
 * gradient has no state (the values of the others are the same). Defaults: lr 1e-2, no lr decay, no weight
 * decay, initial accumulator 0, eps 1e-10.
 */
public final class Adagrad extends Optimizer {
    /** PyTorch's default learning rate for Adagrad. */
    public static final double DEFAULT_LR = 1e-2;

    /** Adagrad with PyTorch's defaults over a list of parameters. */
    public Adagrad(List<? extends Tensor> params) {
        this(params, DEFAULT_LR);
    }

    /** Adagrad with a learning rate and otherwise the defaults, over a list of parameters. */
    public Adagrad(List<? extends Tensor> params, double lr) {
        this(params, lr, 0, 0, 0, 1e-10);
    }

    /** Adagrad with every setting, over a list of parameters (state keyed "0", "1", ...). */
    public Adagrad(List<? extends Tensor> params, double lr, double lrDecay, double weightDecay,
            double initialAccumulatorValue, double eps) {
        super(params, defaults(lr, lrDecay, weightDecay, initialAccumulatorValue, eps));
    }

    /** Adagrad with PyTorch's defaults over named parameters. */
    public Adagrad(Map<String, ? extends Tensor> namedParams) {
        this(namedParams, DEFAULT_LR);
    }

    /** Adagrad with a learning rate and otherwise the defaults, over named parameters. */
    public Adagrad(Map<String, ? extends Tensor> namedParams, double lr) {
        this(namedParams, lr, 0, 0, 0, 1e-10);
    }

    /** Adagrad with every setting, over named parameters (state keyed by name). */
    public Adagrad(Map<String, ? extends Tensor> namedParams, double lr, double lrDecay, double weightDecay,
            double initialAccumulatorValue, double eps) {
        super(namedParams, defaults(lr, lrDecay, weightDecay, initialAccumulatorValue, eps));
    }

    private static Map<String, Double> defaults(double lr, double lrDecay, double weightDecay,
            double initialAccumulatorValue, double eps) {
        Map<String, Double> h = new LinkedHashMap<>();
        h.put(LR, lr);
        h.put("lr_decay", lrDecay);
        h.put("weight_decay", weightDecay);
        h.put("initial_accumulator_value", initialAccumulatorValue);
        h.put("eps", eps);
        return h;
    }

    @Override
    protected void checkOptions(Map<String, Double> o) {
        RMSprop.nonNegative("lr_decay", o.get("lr_decay"));
        RMSprop.nonNegative("weight_decay", o.get("weight_decay"));
        RMSprop.nonNegative("initial_accumulator_value", o.get("initial_accumulator_value"));
        RMSprop.nonNegative("epsilon", o.get("eps"));
    }

    @Override
    protected Set<String> stateKeys(Map<String, Double> o) {
        return new java.util.LinkedHashSet<>(List.of(AdamUpdate.STEP, "sum"));
    }

    @Override
    protected void update(Tensor param, Tensor grad, Map<String, Tensor> state, ParamGroup group) {
        if (state.isEmpty()) {
            state.put(AdamUpdate.STEP, Tensor.scalar(0, DType.FLOAT32));
            state.put("sum", Tensor.fullLike(param, group.get("initial_accumulator_value")));
        }
        double step = AdamUpdate.incrementStep(state);
        double weightDecay = group.get("weight_decay");
        Tensor g = weightDecay != 0 ? param.mul(weightDecay).add_(grad) : grad;
        double clr = group.getLr() / (1 + (step - 1) * group.get("lr_decay"));
        Tensor sum = state.get("sum");
        sum.add_(g.mul(g));
        Tensor std = sum.sqrt().add_(group.get("eps"));
        param.add_(g.div(std), -clr);
    }
}
