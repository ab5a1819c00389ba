package org.sparkgrad.spark;

import java.io.Serializable;

/**
 * Makes training rows on the executors, so a synthetic experiment of any size never passes through the
 * driver (see {@link TrainingData#synthetic}). Each partition asks for its own range of global rows; a
 * generator that computes row i from (seed, i) alone gives the same data for any partition count.
 *
 * <pre>{@code
 * RowGenerator g = new LinearRowGenerator(new float[] {2f, -3.4f}, 4.2f, 0.01);
 * TrainingData data = TrainingData.synthetic(sc, g, 1000, 4, 0);
 * }</pre>
 */
public interface RowGenerator extends Serializable {
    /** Features per row. */
    int featureDim();

    /** Label values per row. */
    int labelDim();

    /**
     * Fills {@code count} rows, global rows {@code firstRow ... firstRow + count - 1} of partition
     * {@code partition}: features row-major into {@code features} (count * featureDim values) and labels into
     * {@code labels} (count * labelDim values). The same arguments must give the same values every time
     * (Spark may recompute a partition).
     */
    void generate(long seed, int partition, long firstRow, int count, float[] features, float[] labels);
}
