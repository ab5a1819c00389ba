package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/**
 * Cross entropy of class scores and class indices (log-softmax and NLL in one), like
 * {@code torch.nn.CrossEntropyLoss}: input [N, C] logits, target int64 [N] in [0, C); targets equal to
 * the ignore index (-100 by default) are skipped.
 */
public class CrossEntropyLoss extends Loss {
    private final int ignoreIndex;

    /** The loss with {@link Reduction#MEAN}. */
    public CrossEntropyLoss() {
        this(Reduction.MEAN);
    }

    /** The loss with the given reduction. */
    public CrossEntropyLoss(Reduction reduction) {
        this(reduction, F.DEFAULT_IGNORE_INDEX);
    }

    /** The loss with the given reduction, skipping targets equal to ignoreIndex. */
    public CrossEntropyLoss(Reduction reduction, int ignoreIndex) {
        super(reduction);
        this.ignoreIndex = ignoreIndex;
    }

    /** The target value that is skipped. */
    public int ignoreIndex() {
        return ignoreIndex;
    }

    /** {@code F.crossEntropy(input, target, reduction(), ignoreIndex())}. */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.crossEntropy(input, target, reduction(), ignoreIndex);
    }
}
