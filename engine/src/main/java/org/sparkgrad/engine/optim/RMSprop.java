package org.sparkgrad.engine.optim;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/**
 * RMSprop, exactly as torch 1.13's {@code torch.optim.RMSprop} (single-tensor path):
 * <pre>
 * g = grad + weight_decay * p                      (when weight_decay != 0)
 * v = alpha * v + (1 - alpha) * g * g
 * m = alpha * m + (1 - alpha) * g;  avg = sqrt(v - m * m) + eps     (centered)
 * avg = sqrt(v) + eps                                                (otherwise)
 * b = momentum * b + g / avg;  p = p - lr * b      (momentum &gt; 0)
 * p = p - lr * g / avg                             (otherwise)
 * </pre>
 * Per-parameter state: {@code step} (a float32 count), {@code square_avg}, with momentum
 * {@code momentum_buffer}, centered {@code grad_avg}. Defaults: lr 1e-2, alpha 0.99, eps 1e-8, no weight
 * decay, no momentum, not centered.
 */
public final class RMSprop extends Optimizer {
    /** PyTorch's default learning rate for RMSprop. */
    public static final double DEFAULT_LR = 1e-2;

    /** RMSprop with PyTorch's defaults over a list of parameters. */
    public RMSprop(List<? extends Tensor> params) {
        this(params, DEFAULT_LR);
    }

    /** RMSprop with a learning rate and otherwise the defaults, over a list of parameters. */
    public RMSprop(List<? extends Tensor> params, double lr) {
        this(params, lr, 0.99, 1e-8, 0, 0, false);
    }

    /** RMSprop with every setting, over a list of parameters (state keyed "0", "1", ...). */
    public RMSprop(List<? extends Tensor> params, double lr, double alpha, double eps, double weightDecay,
            double momentum, boolean centered) {
        super(params, defaults(lr, alpha, eps, weightDecay, momentum, centered));
    }

    /** RMSprop with PyTorch's defaults over named parameters. */
    public RMSprop(Map<String, ? extends Tensor> namedParams) {
        this(namedParams, DEFAULT_LR);
    }

    /** RMSprop with a learning rate and otherwise the defaults, over named parameters. */
    public RMSprop(Map<String, ? extends Tensor> namedParams, double lr) {
        this(namedParams, lr, 0.99, 1e-8, 0, 0, false);
    }

    /** RMSprop with every setting, over named parameters (state keyed by name). */
    public RMSprop(Map<String, ? extends Tensor> namedParams, double lr, double alpha, double eps, double weightDecay,
            double momentum, boolean centered) {
        super(namedParams, defaults(lr, alpha, eps, weightDecay, momentum, centered));
    }

    private static Map<String, Double> defaults(double lr, double alpha, double eps, double weightDecay,
            double momentum, boolean centered) {
        Map<String, Double> h = new LinkedHashMap<>();
        h.put(LR, lr);
        h.put("alpha", alpha);
        h.put("eps", eps);
        h.put("weight_decay", weightDecay);
        h.put("momentum", momentum);
        h.put("centered", centered ? 1.0 : 0.0);
        return h;
    }

    @Override
    protected void checkOptions(Map<String, Double> o) {
        nonNegative("epsilon", o.get("eps"));
        nonNegative("momentum", o.get("momentum"));
        nonNegative("weight_decay", o.get("weight_decay"));
        nonNegative("alpha", o.get("alpha"));
        flag("centered", o.get("centered"));
    }

    /** PyTorch's check {@code 0.0 <= value}, also refusing infinity. */
    static void nonNegative(String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("Invalid " + name + " value: " + value);
        }
    }

    @Override
    protected Set<String> stateKeys(Map<String, Double> o) {
        Set<String> keys = new LinkedHashSet<>(List.of(AdamUpdate.STEP, "square_avg"));
        if (o.get("momentum") > 0) {
            keys.add(SGD.MOMENTUM_BUFFER);
        }
        if (flag("centered", o.get("centered"))) {
            keys.add("grad_avg");
        }
        return keys;
    }

    @Override
    protected void update(Tensor param, Tensor grad, Map<String, Tensor> state, ParamGroup group) {
        double alpha = group.get("alpha");
        double momentum = group.get("momentum");
        double weightDecay = group.get("weight_decay");
        boolean centered = group.get("centered") == 1;
        if (state.isEmpty()) {
            state.put(AdamUpdate.STEP, Tensor.scalar(0, DType.FLOAT32));
            state.put("square_avg", Tensor.zerosLike(param));
            if (momentum > 0) {
                state.put(SGD.MOMENTUM_BUFFER, Tensor.zerosLike(param));
            }
            if (centered) {
                state.put("grad_avg", Tensor.zerosLike(param));
            }
        }
        state.get(AdamUpdate.STEP).add_(1);
        Tensor g = weightDecay != 0 ? param.mul(weightDecay).add_(grad) : grad;
        Tensor squareAvg = state.get("square_avg");
        squareAvg.mul_(alpha).add_(g.mul(g), 1 - alpha);
        Tensor avg;
        if (centered) {
            Tensor gradAvg = state.get("grad_avg");
            gradAvg.mul_(alpha).add_(g, 1 - alpha);
            avg = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt();
        } else {
            avg = squareAvg.sqrt();
        }
        avg.add_(group.get("eps"));
        if (momentum > 0) {
            Tensor buf = state.get(SGD.MOMENTUM_BUFFER);
            buf.mul_(momentum).add_(g.div(avg));
            param.add_(buf, -group.getLr());
        } else {
            param.add_(g.div(avg), -group.getLr());
        }
    }
}
