package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/**
 * What {@link BatchNorm1d} and {@link BatchNorm2d} share, like PyTorch's {@code _BatchNorm}: parameters
 * {@code weight} (ones) and {@code bias} (zeros) when affine, buffers {@code running_mean} (zeros),
 * {@code running_var} (ones) and {@code num_batches_tracked} (int64, 0) when tracking running statistics —
 * PyTorch's state-dict names, so safetensors files interchange. Training mode normalises with the batch's
 * statistics (the global ones inside a {@link BatchContext}) and updates the running ones with
 * {@code momentum} (null: a cumulative average, factor 1 / num_batches_tracked); eval mode uses the running
 * statistics (the batch's when they are not tracked).
 */
public abstract class BatchNormBase extends Module {
    private final int numFeatures;
    private final double eps;
    private final Double momentum;
    private final Parameter weight;
    private final Parameter bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;

    BatchNormBase(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures <= 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": num_features must be positive, got "
                    + numFeatures);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? registerParameter("weight", new Parameter(Tensor.ones(numFeatures))) : null;
        this.bias = affine ? registerParameter("bias", new Parameter(Tensor.zeros(numFeatures))) : null;
        this.runningMean = trackRunningStats ? registerBuffer("running_mean", Tensor.zeros(numFeatures)) : null;
        this.runningVar = trackRunningStats ? registerBuffer("running_var", Tensor.ones(numFeatures)) : null;
        this.numBatchesTracked = trackRunningStats ? registerBuffer("num_batches_tracked", Tensor.scalar(0, DType.INT64)) : null;
    }

    /** Throws unless the input has a rank this layer accepts. */
    abstract void checkInputDim(Tensor input);

    /** {@code F.batchNorm} with this layer's statistics, parameters and mode. */
    @Override
    public Tensor forward(Tensor input) {
        checkInputDim(input);
        if (input.size(1) != numFeatures) {
            throw new IllegalArgumentException(getClass().getSimpleName() + "(" + numFeatures + ") expects " + numFeatures
                    + " channels in dimension 1 of its input, got shape " + F.shape(input));
        }
        boolean track = runningMean != null;
        double factor = momentum == null ? 0 : momentum;
        if (isTraining() && track) {
            try (GradMode.Scope s = GradMode.noGrad()) {
                numBatchesTracked.add_(1L);
            }
            if (momentum == null) {
                factor = 1 / numBatchesTracked.item();
            }
        }
        boolean useBatchStats = isTraining() || !track;
        return F.batchNorm(input, runningMean, runningVar, weight, bias, useBatchStats, factor, eps);
    }

    /** The weight [C], or null when not affine. */
    public Parameter weight() {
        return weight;
    }

    /** The bias [C], or null when not affine. */
    public Parameter bias() {
        return bias;
    }

    /** The running mean [C], or null when running statistics are not tracked. */
    public Tensor runningMean() {
        return runningMean;
    }

    /** The running (unbiased) variance [C], or null when running statistics are not tracked. */
    public Tensor runningVar() {
        return runningVar;
    }

    /** The number of training batches seen (int64, 0-d), or null when running statistics are not tracked. */
    public Tensor numBatchesTracked() {
        return numBatchesTracked;
    }

    /** The number of channels C. */
    public int numFeatures() {
        return numFeatures;
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + (momentum == null ? "None" : momentum) + ", affine="
                + (weight != null ? "True" : "False") + ", track_running_stats=" + (runningMean != null ? "True" : "False");
    }
}
