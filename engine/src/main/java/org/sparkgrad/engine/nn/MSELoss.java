package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** Mean squared error (input - target)^2, like {@code torch.nn.MSELoss}; input and target have the same shape. */
public class MSELoss extends Loss {
    /** The loss with {@link Reduction#MEAN}. */
    public MSELoss() {
        this(Reduction.MEAN);
    }

    /** The loss with the given reduction. */
    public MSELoss(Reduction reduction) {
        super(reduction);
    }

    /** {@code F.mseLoss(input, target, reduction())}. */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.mseLoss(input, target, reduction());
    }
}
