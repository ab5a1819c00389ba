package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/**
 * A tensor that is a module's learnable weight: a leaf that requires grad, sharing the storage of the
 * tensor it was made from, like {@code torch.nn.Parameter}.
 */
public final class Parameter extends Tensor {
    /** Wraps data (no copy) as a parameter that requires grad. */
    public Parameter(Tensor data) {
        this(data, true);
    }

    /** Wraps data (no copy) as a parameter, requiring grad or not. */
    public Parameter(Tensor data, boolean requiresGrad) {
        super(data);
        requiresGrad_(requiresGrad);
    }

    @Override
    public String toString() {
        return "Parameter containing:\n" + super.toString();
    }
}
