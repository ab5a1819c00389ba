package org.sparkgrad.spark;

/**
 * How an epoch of {@code rows} samples splits into global batches of {@code batchSize}: step t of an
 * epoch takes positions {@code [start(t), end(t))} of the epoch's {@link KeyedPermutation}. The last batch
 * is smaller when batchSize does not divide rows, unless {@code dropLast} (as PyTorch's DataLoader).
 *
 * @param rows the number of samples N
 * @param batchSize the global batch size B
 * @param dropLast whether a last batch smaller than B is skipped
 */
public record BatchPlan(long rows, int batchSize, boolean dropLast) {
    /** Checks that there is at least one batch per epoch. */
    public BatchPlan {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("the global batch size must be positive, got " + batchSize);
        }
        if (rows <= 0) {
            throw new IllegalArgumentException("there are no training rows (N=" + rows + ")");
        }
        if (dropLast && rows < batchSize) {
            throw new IllegalArgumentException("with dropLast, " + rows + " rows give no batch of " + batchSize
                    + "; lower the batch size or keep the last partial batch");
        }
    }

    /** Steps per epoch: ceil(N / B), or floor(N / B) with dropLast. */
    public long stepsPerEpoch() {
        return dropLast ? rows / batchSize : (rows + batchSize - 1) / batchSize;
    }

    /** The first position of step t (0-based within the epoch). */
    public long start(long t) {
        return t * batchSize;
    }

    /** One past the last position of step t. */
    public long end(long t) {
        return Math.min(rows, (t + 1) * batchSize);
    }
}
