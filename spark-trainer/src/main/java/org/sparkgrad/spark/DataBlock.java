package org.sparkgrad.spark;

import java.io.Serializable;

/**
 * Packed training rows of one partition (or of a slice of a very large one): features row-major in one
 * float array, labels in another, never one object per row. Row r of the block is row
 * {@code firstRow + r} of its partition (counting kept rows only), so its global index is
 * {@code partitionOffset + firstRow + r}.
 */
final class DataBlock implements Serializable {
    private static final long serialVersionUID = 1L;

    final int partition;
    final long firstRow;
    final int rows;
    final int featureDim;
    final int labelDim;
    final float[] features;
    final float[] labels;
    /** Malformed rows dropped while this block was filled. */
    final long dropped;

    DataBlock(int partition, long firstRow, int rows, int featureDim, int labelDim, float[] features, float[] labels,
            long dropped) {
        if (features.length != (long) rows * featureDim || labels.length != (long) rows * labelDim) {
            throw new IllegalArgumentException("a block of " + rows + " rows needs " + (long) rows * featureDim
                    + " feature and " + (long) rows * labelDim + " label values, got " + features.length + " and "
                    + labels.length);
        }
        this.partition = partition;
        this.firstRow = firstRow;
        this.rows = rows;
        this.featureDim = featureDim;
        this.labelDim = labelDim;
        this.features = features;
        this.labels = labels;
        this.dropped = dropped;
    }
}
