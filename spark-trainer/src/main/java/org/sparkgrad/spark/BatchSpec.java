package org.sparkgrad.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Tensor;

/**
 * The named tensor inputs a training step reads, each from a Dataset column with a declared per-row shape, for
 * {@link TrainingData#fromColumns}. On the executors a micro-batch of m rows becomes a {@link TensorBatch} in which
 * an input of per-row shape {@code [d1, ..., dk]} is a tensor of shape {@code [m, d1, ..., dk]} (batch dimension
 * first; a per-row scalar gives {@code [m]}).
 *
 * <pre>{@code
 * BatchSpec spec = new BatchSpec()
 *     .floats("image", "pixels", 1, 28, 28)   // a vector or array column of 784 numbers -> float32 [m, 1, 28, 28]
 *     .floats("weight", "w")                 // a numeric column -> float32 [m]
 *     .longs("tokens", "ids", 16)            // an array of 16 integers -> int64 [m, 16]
 *     .classes("label", "digit", 10);        // an integer column in [0, 10) -> int64 [m]
 * }</pre>
 *
 * Packing checks every row against the declaration and fails naming the row, the column, the input and what came
 * instead of what was expected (or drops the row with {@link TrainingData#dropMalformed(boolean)}). The packed rows
 * hold every value as float32, so int64 inputs must be integers of magnitude at most 2^24 (16,777,216), which
 * float32 holds exactly; a larger value is refused at packing. A BatchSpec is immutable: each method returns a new
 * one with the input added.
 */
public final class BatchSpec implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The largest integer magnitude float32 holds exactly (and every integer below it). */
    static final double MAX_EXACT_INT = 1 << 24;

    /**
     * One declared input: the column it is read from ({@code null}: the packed rows' features or labels, for the
     * feature/label sources), its element type and per-row shape, where its values start in a packed row, and for
     * int64 inputs the class count they must stay below (0: any integer).
     */
    record Input(String name, String column, DType dtype, int[] shape, boolean inLabels, int offset, long classes)
            implements Serializable {
        /** Values per row: the product of the per-row shape (1 for a scalar). */
        int numel() {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        /** E.g. {@code image float32[1, 28, 28] from column 'pixels'}. */
        String describe() {
            return name + " " + dtype.pyName() + Arrays.toString(shape)
                    + (column == null ? "" : " from column '" + column + "'")
                    + (classes > 0 ? ", a class index in [0, " + classes + ")" : "");
        }
    }

    private final List<Input> inputs;

    /** A spec with no inputs yet. */
    public BatchSpec() {
        this(List.of());
    }

    private BatchSpec(List<Input> inputs) {
        this.inputs = Collections.unmodifiableList(inputs);
    }

    /**
     * Adds a float32 input read from column (an ML vector, an array of numbers or a number; numeric strings are
     * parsed), each row reshaped to shape (none: one number per row); values must be finite.
     */
    public BatchSpec floats(String name, String column, int... shape) {
        return with(name, column, DType.FLOAT32, shape, 0);
    }

    /**
     * Adds an int64 input read from column (an integer or an array of integers, e.g. token ids), each row reshaped
     * to shape (none: one integer per row).
     */
    public BatchSpec longs(String name, String column, int... shape) {
        return with(name, column, DType.INT64, shape, 0);
    }

    /** Adds an int64 class-index input (one per row, given as {@code [m]}) whose values must lie in [0, classes). */
    public BatchSpec classes(String name, String column, int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("input '" + name + "' needs at least one class, got " + classes);
        }
        return with(name, column, DType.INT64, new int[0], classes);
    }

    private BatchSpec with(String name, String column, DType dtype, int[] shape, long classes) {
        if (column == null || column.isEmpty()) {
            throw new IllegalArgumentException("input '" + name + "' needs a column name");
        }
        return add(name, column, dtype, shape, false, classes);
    }

    private BatchSpec add(String name, String column, DType dtype, int[] shape, boolean inLabels, long classes) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("an input needs a name, got " + (name == null ? "null" : "''"));
        }
        for (Input in : inputs) {
            if (in.name().equals(name)) {
                throw new IllegalArgumentException("input '" + name + "' is declared twice");
            }
        }
        long n = 1;
        for (int d : shape) {
            if (d < 1) {
                throw new IllegalArgumentException("input '" + name + "' has per-row shape " + Arrays.toString(shape)
                        + "; every dimension must be at least 1");
            }
            n *= d;
        }
        int offset = 0;
        for (Input in : inputs) {
            if (in.inLabels() == inLabels) {
                offset += in.numel();
            }
        }
        if (offset + n > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("input '" + name + "' makes a row of " + (offset + n) + " values, too many");
        }
        List<Input> more = new ArrayList<>(inputs);
        more.add(new Input(name, column, dtype, shape.clone(), inLabels, offset, classes));
        return new BatchSpec(more);
    }

    /**
     * The inputs of the feature/label sources ({@link TrainingData#fromRdd}, {@link TrainingData#fromDataset},
     * {@link TrainingData#synthetic}): {@code "features"} float32 {@code [m, featureDim]} and {@code "labels"}, float32
     * {@code [m, labelDim]}, or with classLabels int64 class indices {@code [m]} (labelDim must be 1).
     */
    static BatchSpec featuresAndLabels(int featureDim, int labelDim, boolean classLabels) {
        if (classLabels && labelDim != 1) {
            throw new TrainingException("class labels need one label value per row, got labelDim=" + labelDim);
        }
        BatchSpec s = new BatchSpec().add("features", null, DType.FLOAT32, new int[] {featureDim}, false, 0);
        return classLabels ? s.add("labels", null, DType.INT64, new int[0], true, 0)
                : s.add("labels", null, DType.FLOAT32, new int[] {labelDim}, true, 0);
    }

    List<Input> inputs() {
        return inputs;
    }

    /** The input names, in declaration order. */
    public List<String> names() {
        List<String> out = new ArrayList<>();
        for (Input in : inputs) {
            out.add(in.name());
        }
        return out;
    }

    /** Values per packed row in the features (or, with inLabels, the labels) array. */
    int width(boolean inLabels) {
        int w = 0;
        for (Input in : inputs) {
            if (in.inLabels() == inLabels) {
                w += in.numel();
            }
        }
        return w;
    }

    /** What a row must hold, for messages and the run identity. */
    String describe() {
        List<String> parts = new ArrayList<>();
        for (Input in : inputs) {
            parts.add(in.describe());
        }
        return String.join("; ", parts);
    }

    /**
     * The micro-batch of rows {@code order[start..start+m)} of packed arrays (rows of {@link #width(boolean)} values)
     * as tensors on a device. int64 inputs from the labels array (class labels of the feature/label sources) are
     * checked to be integers >= 0; those packed from columns were checked at packing.
     */
    TensorBatch slice(float[] features, float[] labels, int[] order, int start, int m, Device device) {
        int fw = width(false);
        int lw = width(true);
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        for (Input in : inputs) {
            float[] src = in.inLabels() ? labels : features;
            int w = in.inLabels() ? lw : fw;
            int n = in.numel();
            int[] shape = new int[in.shape().length + 1];
            shape[0] = m;
            System.arraycopy(in.shape(), 0, shape, 1, in.shape().length);
            Tensor t;
            if (in.dtype() == DType.FLOAT32) {
                float[] v = new float[m * n];
                for (int i = 0; i < m; i++) {
                    System.arraycopy(src, order[start + i] * w + in.offset(), v, i * n, n);
                }
                t = Tensor.tensor(v, shape);
            } else {
                double[] v = new double[m * n];
                for (int i = 0; i < m; i++) {
                    int at = order[start + i] * w + in.offset();
                    for (int j = 0; j < n; j++) {
                        float x = src[at + j];
                        if (in.column() == null && (x != Math.rint(x) || x < 0)) {
                            throw new TrainingException("class label " + x + " is not a class index (an integer >= 0)");
                        }
                        v[i * n + j] = x;
                    }
                }
                t = Tensor.tensor(v, DType.INT64, shape);
            }
            out.put(in.name(), t.to(device));
        }
        return new TensorBatch(out, m);
    }

    @Override
    public String toString() {
        return "BatchSpec(" + describe() + ")";
    }
}
