package org.sparkgrad.spark;

import java.io.Serializable;

/** A block's rows of one global step, copied out for the driver's gradient verification. */
final class BatchRows implements Serializable {
    private static final long serialVersionUID = 1L;

    final int rows;
    final float[] features;
    final float[] labels;
    /** The global row index of each row. */
    final long[] keys;

    BatchRows(int rows, float[] features, float[] labels, long[] keys) {
        this.rows = rows;
        this.features = features;
        this.labels = labels;
        this.keys = keys;
    }
}
