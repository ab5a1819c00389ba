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

    /** One partition's blocks (in row order) as one block. */
    static DataBlock merge(java.util.List<DataBlock> blocks) {
        if (blocks.size() == 1) {
            return blocks.get(0);
        }
        DataBlock first = blocks.get(0);
        int rows = 0;
        long dropped = 0;
        for (DataBlock b : blocks) {
            if (b.partition != first.partition || b.firstRow != first.firstRow + rows) {
                throw new IllegalArgumentException("blocks of partition " + first.partition + " from row " + first.firstRow
                        + " do not follow each other: block of partition " + b.partition + " from row " + b.firstRow);
            }
            rows += b.rows;
            dropped += b.dropped;
        }
        float[] f = new float[rows * first.featureDim];
        float[] l = new float[rows * first.labelDim];
        int at = 0;
        for (DataBlock b : blocks) {
            System.arraycopy(b.features, 0, f, at * first.featureDim, b.features.length);
            System.arraycopy(b.labels, 0, l, at * first.labelDim, b.labels.length);
            at += b.rows;
        }
        return new DataBlock(first.partition, first.firstRow, rows, first.featureDim, first.labelDim, f, l, dropped);
    }

    /**
     * A fingerprint of the block's rows that does not depend on how rows are split into partitions or blocks: the
     * sum of a 64-bit hash of each row's values (so it sees any changed, added or removed row, not a reordering).
     */
    long contentHash() {
        long sum = 0;
        for (int r = 0; r < rows; r++) {
            long h = 0xcbf29ce484222325L;
            for (int j = 0; j < featureDim; j++) {
                h = (h ^ Float.floatToIntBits(features[r * featureDim + j])) * 0x100000001b3L;
            }
            for (int j = 0; j < labelDim; j++) {
                h = (h ^ Float.floatToIntBits(labels[r * labelDim + j])) * 0x100000001b3L;
            }
            h ^= h >>> 33;
            h *= 0xff51afd7ed558ccdL;
            h ^= h >>> 33;
            sum += h;
        }
        return sum;
    }
}
