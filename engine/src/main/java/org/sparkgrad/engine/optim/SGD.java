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

    private double momentum;
    private double dampening;
    private double weightDecay;
    private boolean nesterov;

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
        super(params, lr);
        configure(momentum, dampening, weightDecay, nesterov);
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
        super(namedParams, lr);
        configure(momentum, dampening, weightDecay, nesterov);
    }

    private void configure(double momentum, double dampening, double weightDecay, boolean nesterov) {
        check(momentum, dampening, weightDecay, nesterov);
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    private static void check(double momentum, double dampening, double weightDecay, boolean nesterov) {
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

    /** The momentum factor. */
    public double getMomentum() {
        return momentum;
    }

    /** The dampening of the momentum. */
    public double getDampening() {
        return dampening;
    }

    /** The L2 penalty added to the gradient. */
    public double getWeightDecay() {
        return weightDecay;
    }

    /** Whether Nesterov momentum is used. */
    public boolean isNesterov() {
        return nesterov;
    }

    @Override
    protected void update(Tensor param, Tensor grad, Map<String, Tensor> state) {
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
                buf.mul_(momentum).add_(d, 1 - dampening);
            }
            if (nesterov) {
                d = (d == grad ? Tensor.zerosLike(param).copy_(grad) : d).add_(buf, momentum);
            } else {
                d = buf;
            }
        }
        param.add_(d, -getLr());
    }

    @Override
    protected Map<String, Double> hyperParameters() {
        Map<String, Double> h = new LinkedHashMap<>();
        h.put("momentum", momentum);
        h.put("dampening", dampening);
        h.put("weight_decay", weightDecay);
        h.put("nesterov", nesterov ? 1.0 : 0.0);
        return h;
    }

    @Override
    protected Set<String> stateKeys(Map<String, Double> hyper) {
        return hyper.get("momentum") != 0 ? Set.of(MOMENTUM_BUFFER) : Set.of();
    }

    @Override
    protected void setHyperParameters(Map<String, Double> hyper) {
        configure(hyper.get("momentum"), hyper.get("dampening"), hyper.get("weight_decay"),
                flag("nesterov", hyper.get("nesterov")));
    }
}
