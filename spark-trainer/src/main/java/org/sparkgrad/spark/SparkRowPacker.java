package org.sparkgrad.spark;

import org.apache.spark.sql.Row;

/**
 * Packs Dataset rows selected as (features, label[, source file]); each column is read by its
 * {@link ColumnKind}, and a malformed row's message names the file it came from when known.
 */
final class SparkRowPacker extends RowPacker<Row> {
    private static final long serialVersionUID = 1L;

    private final ColumnKind featureKind;
    private final ColumnKind labelKind;
    private final String featureColumn;
    private final String labelColumn;

    SparkRowPacker(ColumnKind featureKind, ColumnKind labelKind, String featureColumn, String labelColumn, int featureDim,
            int labelDim, boolean dropMalformed, int maxBlockRows, int classes) {
        super(featureDim, labelDim, dropMalformed, maxBlockRows, classes);
        this.featureKind = featureKind;
        this.labelKind = labelKind;
        this.featureColumn = featureColumn;
        this.labelColumn = labelColumn;
    }

    @Override
    String parse(Row row, float[] features, float[] labels) {
        String p = featureKind.read(row, 0, features, "features column '" + featureColumn + "'");
        if (p == null) {
            p = labelKind.read(row, 1, labels, "label column '" + labelColumn + "'");
        }
        if (p != null) {
            return p;
        }
        for (int j = 0; j < featureDim; j++) {
            if ((p = checkFinite(features[j], j)) != null) {
                return p;
            }
        }
        for (int j = 0; j < labelDim; j++) {
            if ((p = checkFinite(labels[j], featureDim + j)) != null) {
                return p;
            }
        }
        return null;
    }

    @Override
    String origin(Row row) {
        return fileOf(row, 2);
    }

    /** " (file ...)" when column i of row holds the name of the file the row came from, else "". */
    static String fileOf(Row row, int i) {
        if (row.size() > i && !row.isNullAt(i)) {
            String file = row.getString(i);
            if (!file.isEmpty()) {
                return " (file " + file + ")";
            }
        }
        return "";
    }
}
