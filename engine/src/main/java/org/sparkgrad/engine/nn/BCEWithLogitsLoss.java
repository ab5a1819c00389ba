package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** Binary cross entropy of logits (a sigmoid and BCE in one stable formula), like {@code torch.nn.BCEWithLogitsLoss}; targets in [0, 1], the shape of the input. */
public class BCEWithLogitsLoss extends Loss {
    /** The loss with {@link Reduction#MEAN}. */
    public BCEWithLogitsLoss() {
        this(Reduction.MEAN);
    }

    /** The loss with the given reduction. */
    public BCEWithLogitsLoss(Reduction reduction) {
        super(reduction);
    }

    /** {@code F.binaryCrossEntropyWithLogits(input, target, reduction())}. */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.binaryCrossEntropyWithLogits(input, target, reduction());
    }
}
