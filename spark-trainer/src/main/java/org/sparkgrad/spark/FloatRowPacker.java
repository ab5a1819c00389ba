package org.sparkgrad.spark;

/** Packs rows given as float arrays: featureDim features followed by labelDim labels. */
final class FloatRowPacker extends RowPacker<float[]> {
    private static final long serialVersionUID = 1L;

    FloatRowPacker(int featureDim, int labelDim, boolean dropMalformed, int maxBlockRows, int classes) {
        super(featureDim, labelDim, dropMalformed, maxBlockRows, classes);
    }

    @Override
    String parse(float[] row, float[] features, float[] labels) {
        if (row == null) {
            return "the row is null";
        }
        if (row.length != featureDim + labelDim) {
            return "it has " + row.length + " values, not " + (featureDim + labelDim);
        }
        for (int j = 0; j < row.length; j++) {
            String p = checkFinite(row[j], j);
            if (p != null) {
                return p;
            }
        }
        System.arraycopy(row, 0, features, 0, featureDim);
        System.arraycopy(row, featureDim, labels, 0, labelDim);
        return null;
    }
}
