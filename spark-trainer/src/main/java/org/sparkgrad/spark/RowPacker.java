package org.sparkgrad.spark;

import java.util.Iterator;
import org.apache.spark.api.java.function.Function2;

/**
 * Packs one partition of input rows of type T into {@link DataBlock}s (a mapPartitionsWithIndex
 * function). A subclass parses one row into a feature and a label buffer; malformed rows fail with the
 * partition, the row and what was expected, or are counted and dropped.
 *
 * @param <T> the input row type
 */
abstract class RowPacker<T> implements Function2<Integer, Iterator<T>, Iterator<DataBlock>> {
    private static final long serialVersionUID = 1L;

    final int featureDim;
    final int labelDim;
    final boolean dropMalformed;
    final int maxBlockRows;
    /** The number of classes when the label is a class index, else 0. */
    final int classes;

    RowPacker(int featureDim, int labelDim, boolean dropMalformed, int maxBlockRows, int classes) {
        this.featureDim = featureDim;
        this.labelDim = labelDim;
        this.dropMalformed = dropMalformed;
        this.maxBlockRows = maxBlockRows;
        this.classes = classes;
    }

    /** Parses row into features and labels; returns null when it is well formed, else what is wrong with it. */
    abstract String parse(T row, float[] features, float[] labels);

    /** What a well-formed row holds, for the malformed-row message. */
    String expected() {
        return featureDim + " finite feature values and " + (classes > 0 ? "a class index in [0, " + classes + ")"
                : labelDim + " label value" + (labelDim == 1 ? "" : "s"));
    }

    /** Where the row came from beyond its partition and position (e.g. " in file ..."), or "". */
    String origin(T row) {
        return "";
    }

    @Override
    public Iterator<DataBlock> call(Integer partition, Iterator<T> rows) {
        BlockBuilder builder = new BlockBuilder(partition, featureDim, labelDim, maxBlockRows);
        float[] features = new float[featureDim];
        float[] labels = new float[labelDim];
        long index = 0;
        try {
            while (rows.hasNext()) {
                T row = rows.next();
                String problem = parse(row, features, labels);
                if (problem == null && classes > 0) {
                    problem = checkClass(labels[0], classes);
                }
                if (problem == null) {
                    builder.add(features, labels);
                } else if (dropMalformed) {
                    builder.drop();
                } else {
                    throw new TrainingException("malformed input row " + index + " of partition " + partition + origin(row)
                            + ": " + problem + " (expected " + expected() + "; set dropMalformed to count and drop such rows)");
                }
                index++;
            }
            return builder.finish().iterator();
        } catch (OutOfMemoryError e) {
            throw TrainingException.outOfMemory("executor out of memory packing partition " + partition + " after " + builder.rows()
                    + " rows (" + builder.bytes() / (1 << 20) + " MiB of floats): use more partitions (repartition the input)"
                    + " or raise spark.executor.memory", e);
        }
    }

    /** Null when classes is 0 (no class labels) or label is an integer in [0, classes), else the problem. */
    static String checkClass(float label, int classes) {
        if (classes == 0 || (label >= 0 && label < classes && label == Math.rint(label))) {
            return null;
        }
        return "label " + label + " is not a class index (an integer in [0, " + classes + "))";
    }

    /** Checks that v is finite; returns null or the problem, naming value j of the row. */
    final String checkFinite(float v, int j) {
        if (Float.isFinite(v)) {
            return null;
        }
        return (j < featureDim ? "feature " + j : "label " + (j - featureDim)) + " is " + v;
    }
}
