package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/**
 * Batch normalisation of [N, C, H, W] inputs over every dimension but C, like {@code torch.nn.BatchNorm2d};
 * parameters, buffers, modes and data-parallel behaviour as described in {@link BatchNormBase} and
 * {@link BatchContext}.
 */
public class BatchNorm2d extends BatchNormBase {
    /** eps 1e-5, momentum 0.1, affine, tracking running statistics. */
    public BatchNorm2d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true);
    }

    /** Every option of PyTorch's constructor; momentum null means a cumulative moving average. */
    public BatchNorm2d(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override
    void checkInputDim(Tensor input) {
        if (input.dim() != 4) {
            throw new IllegalArgumentException("expected 4D input (got " + input.dim() + "D input of shape "
                    + F.shape(input) + ")");
        }
    }
}
