package org.sparkgrad.jobs;

import java.util.Arrays;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.spark.CounterRandom;
import org.sparkgrad.spark.RowGenerator;

/**
 * Rows labelled by a fixed random teacher MLP, made on the executors: features x ~ N(0, 1) from
 * {@link CounterRandom} at (seed, row, column), and the teacher {@code Linear -> tanh -> ... -> Linear}
 * (weights N(0, 1/fanIn), biases N(0, 0.1^2), drawn once from {@code Generator(teacherSeed)}) gives either
 * its one output as the regression label, or, when classifying, the arg-max of its {@code classes} outputs
 * as the class index. Row i depends on (seed, i) only, so the data is the same for any partitioning.
 */
public final class TeacherRowGenerator implements RowGenerator {
    private static final long serialVersionUID = 1L;

    private final int features;
    private final int outputs;
    private final boolean classify;
    /** Per layer: weight [out][in] row-major, then bias [out]. */
    private final float[][] weights;
    private final float[][] biases;
    private final int[] sizes;

    /**
     * A teacher with the given hidden sizes; classes outputs when classify, else one.
     *
     * @throws IllegalArgumentException when a size is not positive, or classify with fewer than 2 classes
     */
    public TeacherRowGenerator(int features, int[] hidden, int classes, boolean classify, long teacherSeed) {
        if (features <= 0 || Arrays.stream(hidden).anyMatch(h -> h <= 0)) {
            throw new IllegalArgumentException("--features and --hidden sizes must be positive, got features=" + features
                    + ", hidden=" + Arrays.toString(hidden));
        }
        if (classify && classes < 2) {
            throw new IllegalArgumentException("--classes must be at least 2, got " + classes);
        }
        this.features = features;
        this.classify = classify;
        this.outputs = classify ? classes : 1;
        this.sizes = new int[hidden.length + 2];
        sizes[0] = features;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = outputs;
        Generator g = new Generator(teacherSeed);
        weights = new float[sizes.length - 1][];
        biases = new float[sizes.length - 1][];
        for (int l = 0; l + 1 < sizes.length; l++) {
            int in = sizes[l];
            int out = sizes[l + 1];
            double std = 1 / Math.sqrt(in);
            weights[l] = new float[out * in];
            biases[l] = new float[out];
            for (int i = 0; i < weights[l].length; i++) {
                weights[l][i] = (float) (std * g.nextNormal());
            }
            for (int i = 0; i < out; i++) {
                biases[l][i] = (float) (0.1 * g.nextNormal());
            }
        }
    }

    @Override
    public int featureDim() {
        return features;
    }

    @Override
    public int labelDim() {
        return 1;
    }

    /** Whether labels are class indices. */
    boolean classify() {
        return classify;
    }

    /** The teacher's outputs for one row of features. */
    float[] teach(float[] x, int offset) {
        float[] a = Arrays.copyOfRange(x, offset, offset + features);
        for (int l = 0; l < weights.length; l++) {
            int in = sizes[l];
            int out = sizes[l + 1];
            float[] next = new float[out];
            for (int o = 0; o < out; o++) {
                double s = biases[l][o];
                for (int i = 0; i < in; i++) {
                    s += weights[l][o * in + i] * a[i];
                }
                next[o] = (float) (l + 1 < weights.length ? Math.tanh(s) : s);
            }
            a = next;
        }
        return a;
    }

    @Override
    public void generate(long seed, int partition, long firstRow, int count, float[] x, float[] labels) {
        for (int r = 0; r < count; r++) {
            long row = firstRow + r;
            for (int j = 0; j < features; j++) {
                x[r * features + j] = (float) CounterRandom.normal(seed, row, j);
            }
            float[] out = teach(x, r * features);
            labels[r] = classify ? argmax(out) : out[0];
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return "TeacherRowGenerator(sizes=" + Arrays.toString(sizes) + (classify ? ", arg-max classes" : ", regression")
                + ")";
    }
}
