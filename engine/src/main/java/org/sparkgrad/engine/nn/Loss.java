package org.sparkgrad.engine.nn;

import java.util.Objects;
import org.sparkgrad.engine.Tensor;

/**
 * The base of the loss modules, like PyTorch's {@code _Loss}: a loss compares an input (the model's
 * output) with a target and reduces the per-element losses by its {@link Reduction} (MEAN by default).
 *
 * <pre>{@code
 * Loss lossFn = new MSELoss();
 * Tensor loss = lossFn.forward(model.forward(x), y);
 * loss.backward();
 * }</pre>
 */
public abstract class Loss {
    private final Reduction reduction;

    /** A loss with the given reduction. */
    protected Loss(Reduction reduction) {
        this.reduction = Objects.requireNonNull(reduction, "reduction must be MEAN, SUM or NONE, not null");
    }

    /** How the per-element losses are reduced. */
    public Reduction reduction() {
        return reduction;
    }

    /** The loss of input against target, reduced by {@link #reduction()}. */
    public abstract Tensor forward(Tensor input, Tensor target);

    /** PyTorch's printout, e.g. {@code MSELoss()}. */
    @Override
    public String toString() {
        return getClass().getSimpleName() + "()";
    }
}
