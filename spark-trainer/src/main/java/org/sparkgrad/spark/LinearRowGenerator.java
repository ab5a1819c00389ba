package org.sparkgrad.spark;

import java.util.Arrays;

/**
 * d2l's linear-regression data made on the executors: features x ~ N(0, 1) and label
 * {@code y = x . w + b + noise} with noise ~ N(0, noiseStd^2). Row i depends on (seed, i) only, so the data
 * is the same for any number of partitions. (The numbers are not those of the engine's
 * {@code SyntheticData.linear}, which draws one sequential stream on one machine.)
 */
public final class LinearRowGenerator implements RowGenerator {
    private static final long serialVersionUID = 1L;

    private final float[] w;
    private final float b;
    private final double noiseStd;

    /**
     * A generator of rows with true weights w, bias b and label noise noiseStd.
     *
     * @throws IllegalArgumentException when w is empty or noiseStd is negative or not finite
     */
    public LinearRowGenerator(float[] w, float b, double noiseStd) {
        if (w == null || w.length == 0) {
            throw new IllegalArgumentException("the true weights w must have at least one value");
        }
        if (!(noiseStd >= 0) || Double.isInfinite(noiseStd)) {
            throw new IllegalArgumentException("noiseStd must be finite and >= 0, got " + noiseStd);
        }
        this.w = w.clone();
        this.b = b;
        this.noiseStd = noiseStd;
    }

    @Override
    public int featureDim() {
        return w.length;
    }

    @Override
    public int labelDim() {
        return 1;
    }

    @Override
    public void generate(long seed, int partition, long firstRow, int count, float[] features, float[] labels) {
        int d = w.length;
        for (int r = 0; r < count; r++) {
            long row = firstRow + r;
            double y = b;
            for (int j = 0; j < d; j++) {
                float x = (float) CounterRandom.normal(seed, row, j);
                features[r * d + j] = x;
                y += (double) x * w[j];
            }
            labels[r] = (float) (y + noiseStd * CounterRandom.normal(seed, row, d));
        }
    }

    @Override
    public String toString() {
        return "LinearRowGenerator(w=" + Arrays.toString(w) + ", b=" + b + ", noise=" + noiseStd + ")";
    }
}
