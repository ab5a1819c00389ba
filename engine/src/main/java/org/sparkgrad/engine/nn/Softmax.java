package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** Softmax along one dimension, like {@code torch.nn.Softmax(dim)}. */
public class Softmax extends Module {
    private final int dim;

    /** Softmax along dim (negative counts from the end). */
    public Softmax(int dim) {
        this.dim = dim;
    }

    /** {@code F.softmax(input, dim)}. */
    @Override
    public Tensor forward(Tensor input) {
        return F.softmax(input, dim);
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim;
    }
}
