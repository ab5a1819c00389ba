package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/**
 * Cross entropy of class scores and class indices (log-softmax and NLL in one), like
 * {@code torch.nn.CrossEntropyLoss}: input [N, C] logits, target int64 [N] in [0, C); targets equal to
 * the ignore index (-100 by default) are skipped.
 */
public class CrossEntropyLoss extends Loss {
    private final int ignoreIndex;
    private final Tensor weight;
    private final double labelSmoothing;

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
        this(null, reduction, ignoreIndex, 0);
    }

    /**
     * The loss with per-class weights (null, or [C]) and label smoothing in [0, 1], like
     * {@code CrossEntropyLoss(weight=, reduction=, ignore_index=, label_smoothing=)}; see
     * {@link F#crossEntropy(Tensor, Tensor, Tensor, Reduction, int, double)}.
     */
    public CrossEntropyLoss(Tensor weight, Reduction reduction, int ignoreIndex, double labelSmoothing) {
        super(reduction);
        this.ignoreIndex = ignoreIndex;
        this.weight = weight;
        this.labelSmoothing = labelSmoothing;
    }

    /** The target value that is skipped. */
    public int ignoreIndex() {
        return ignoreIndex;
    }

    /** {@code F.crossEntropy(input, target, weight, reduction(), ignoreIndex(), labelSmoothing)}. */
    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.crossEntropy(input, target, weight, reduction(), ignoreIndex, labelSmoothing);
    }
}
