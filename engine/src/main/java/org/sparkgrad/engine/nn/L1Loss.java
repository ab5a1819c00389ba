package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** Mean absolute error |input - target|, like {@code torch.nn.L1Loss}; input and target have the same shape. */
public class L1Loss extends Loss {
    /** The loss with {@link Reduction#MEAN}. */
    public L1Loss() {
        this(Reduction.MEAN);
    }

    /** The loss with the given reduction. */
    public L1Loss(Reduction reduction) {
        super(reduction);
    }

    /** {@code F.l1Loss(input, target, reduction())}. */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.l1Loss(input, target, reduction());
    }
}
