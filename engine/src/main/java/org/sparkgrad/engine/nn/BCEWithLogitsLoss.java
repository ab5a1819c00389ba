package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** Binary cross entropy of logits (a sigmoid and BCE in one stable formula), like {@code torch.nn.BCEWithLogitsLoss}; targets in [0, 1], the shape of the input. */
public class BCEWithLogitsLoss extends Loss {
    private final Tensor weight;
    private final Tensor posWeight;

    /** The loss with {@link Reduction#MEAN}. */
    public BCEWithLogitsLoss() {
        this(Reduction.MEAN);
    }

    /** The loss with the given reduction. */
    public BCEWithLogitsLoss(Reduction reduction) {
        this(null, null, reduction);
    }

    /**
     * The loss with a weight per element and a weight of the positive term (either null), like
     * {@code BCEWithLogitsLoss(weight=, pos_weight=, reduction=)}.
     */
    public BCEWithLogitsLoss(Tensor weight, Tensor posWeight, Reduction reduction) {
        super(reduction);
        this.weight = weight;
        this.posWeight = posWeight;
    }

    /** {@code F.binaryCrossEntropyWithLogits(input, target, weight, posWeight, reduction())}. */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.binaryCrossEntropyWithLogits(input, target, weight, posWeight, reduction());
    }
}
