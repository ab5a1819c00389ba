package org.sparkgrad.engine.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkgrad.engine.Tensor;

/**
 * Stochastic gradient descent, optionally with momentum, exactly as {@code torch.optim.SGD}:
 * <pre>
 * g = grad + weight_decay * p                      (when weight_decay != 0)
 * b = g on the first step, else momentum * b + (1 - dampening) * g   (when momentum != 0)
 * g = g + momentum * b if nesterov, else b
 * p = p - lr * g
 * </pre>
 * The momentum buffer is the per-parameter state {@code momentum_buffer}.
 *
 * <pre>{@code
 * Optimizer opt = new SGD(net.parameters(), 0.03);
 * Optimizer withMomentum = new SGD(net.namedParameters(), 0.1, 0.9);
 * }</pre>
 */
public final class SGD extends Optimizer {
    /** The name of the per-parameter momentum buffer. */
    public static final String MOMENTUM_BUFFER = "momentum_buffer";

    /** Plain SGD over a list of parameters. */
    public SGD(List<? extends Tensor> params, double lr) {
        this(params, lr, 0, 0, 0, false);
    }

    /** SGD with momentum over a list of parameters. */
    public SGD(List<? extends Tensor> params, double lr, double momentum) {
        this(params, lr, momentum, 0, 0, false);
    }

    /** SGD with every setting, over a list of parameters (state keyed "0", "1", ...). */
    public SGD(List<? extends Tensor> params, double lr, double momentum, double dampening, double weightDecay,
            boolean nesterov) {
        super(params, defaults(lr, momentum, dampening, weightDecay, nesterov));
    }

    /** Plain SGD over named parameters. */
    public SGD(Map<String, ? extends Tensor> namedParams, double lr) {
        this(namedParams, lr, 0, 0, 0, false);
    }

    /** SGD with momentum over named parameters. */
    public SGD(Map<String, ? extends Tensor> namedParams, double lr, double momentum) {
        this(namedParams, lr, momentum, 0, 0, false);
    }

    /** SGD with every setting, over named parameters (state keyed by name). */
    public SGD(Map<String, ? extends Tensor> namedParams, double lr, double momentum, double dampening,
            double weightDecay, boolean nesterov) {
        super(namedParams, defaults(lr, momentum, dampening, weightDecay, nesterov));
    }

    private static Map<String, Double> defaults(double lr, double momentum, double dampening, double weightDecay,
            boolean nesterov) {
        Map<String, Double> h = new LinkedHashMap<>();
        h.put(LR, lr);
        h.put("momentum", momentum);
        h.put("dampening", dampening);
        h.put("weight_decay", weightDecay);
        h.put("nesterov", nesterov ? 1.0 : 0.0);
        return h;
    }

    @Override
    protected void checkOptions(Map<String, Double> o) {
        double momentum = o.get("momentum");
        double dampening = o.get("dampening");
        double weightDecay = o.get("weight_decay");
        boolean nesterov = flag("nesterov", o.get("nesterov"));
        if (!(momentum >= 0) || Double.isInfinite(momentum)) {
            throw new IllegalArgumentException("Invalid momentum value: " + momentum);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay);
        }
        if (!Double.isFinite(dampening)) {
            throw new IllegalArgumentException("Invalid dampening value: " + dampening);
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }
    }

    /** The momentum factor (of the first parameter group). */
    public double getMomentum() {
        return firstGroup("momentum");
    }

    /** The dampening of the momentum (of the first parameter group). */
    public double getDampening() {
        return firstGroup("dampening");
    }

    /** The L2 penalty added to the gradient (of the first parameter group). */
    public double getWeightDecay() {
        return firstGroup("weight_decay");
    }

    /** Whether Nesterov momentum is used (in the first parameter group). */
    public boolean isNesterov() {
        return firstGroup("nesterov") == 1;
    }

    @Override
    protected void update(Tensor param, Tensor grad, Map<String, Tensor> state, ParamGroup group) {
        double weightDecay = group.get("weight_decay");
        double momentum = group.get("momentum");
        Tensor d = grad;
        if (weightDecay != 0) {
            d = param.mul(weightDecay).add_(grad);
        }
        if (momentum != 0) {
            Tensor buf = state.get(MOMENTUM_BUFFER);
            if (buf == null) {
                buf = Tensor.zerosLike(param).copy_(d);
                state.put(MOMENTUM_BUFFER, buf);
            } else {
                buf.mul_(momentum).add_(d, 1 - group.get("dampening"));
            }
            if (group.get("nesterov") == 1) {
                d = (d == grad ? Tensor.zerosLike(param).copy_(grad) : d).add_(buf, momentum);
            } else {
                d = buf;
            }
        }
        param.add_(d, -group.getLr());
    }

    @Override
    protected Set<String> stateKeys(Map<String, Double> options) {
        return options.get("momentum") != 0 ? Set.of(MOMENTUM_BUFFER) : Set.of();
    }
}
