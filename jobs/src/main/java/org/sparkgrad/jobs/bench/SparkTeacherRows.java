package org.sparkgrad.jobs.bench;

import org.sparkgrad.spark.CounterRandom;
import org.sparkgrad.spark.RowGenerator;

/**
 * Classification rows for the Spark benchmark, made on the executors: features x ~ N(0, 1) and the class
 * index {@code argmax(W x)} of a fixed random linear teacher W [classes x features] (one label value per
 * row, a float holding the class index). Row i depends on (seed, i) only, so the rows are the same for any
 * partitioning.
 */
public final class SparkTeacherRows implements RowGenerator {
    private static final long serialVersionUID = 1L;
    private static final long TEACHER_SEED = 0x5EEDL;

    private final int features;
    private final int classes;
    private final float[] teacher;

    /** Rows of {@code features} values labelled with one of {@code classes} classes. */
    public SparkTeacherRows(int features, int classes) {
        if (features <= 0 || classes < 2) {
            throw new IllegalArgumentException("need features > 0 and classes >= 2, got features=" + features
                    + ", classes=" + classes);
        }
        this.features = features;
        this.classes = classes;
        this.teacher = new float[classes * features];
        for (int c = 0; c < classes; c++) {
            for (int j = 0; j < features; j++) {
                teacher[c * features + j] = (float) CounterRandom.normal(TEACHER_SEED, c, j);
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

    @Override
    public void generate(long seed, int partition, long firstRow, int count, float[] x, float[] labels) {
        for (int r = 0; r < count; r++) {
            long row = firstRow + r;
            for (int j = 0; j < features; j++) {
                x[r * features + j] = (float) CounterRandom.normal(seed, row, j);
            }
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double s = 0;
                for (int j = 0; j < features; j++) {
                    s += (double) teacher[c * features + j] * x[r * features + j];
                }
                if (s > bestScore) {
                    bestScore = s;
                    best = c;
                }
            }
            labels[r] = best;
        }
    }

    @Override
    public String toString() {
        return "SparkTeacherRows(" + features + " features, " + classes + " classes)";
    }
}
