package org.sparkgrad.spark;

/**
 * Stateless random numbers addressed by (seed, row, column): the same address gives the same number on
 * every machine and in every task, so a {@link RowGenerator} built on it makes the same rows for any
 * partitioning (and when Spark recomputes a partition).
 *
 * <pre>{@code
 * float x = (float) CounterRandom.normal(seed, globalRow, feature);
 * }</pre>
 */
public final class CounterRandom {
    private CounterRandom() {
    }

    /** A uniform double in (0, 1) for the address. */
    public static double uniform(long seed, long row, long column) {
        long h = KeyedPermutation.mix(seed + 0x9E3779B97F4A7C15L * KeyedPermutation.mix(row * 0x2545F4914F6CDD1DL + column));
        return ((h >>> 11) + 0.5) * 0x1.0p-53;
    }

    /** A standard normal for the address (Box-Muller on the uniforms of columns 2c and 2c + 1). */
    public static double normal(long seed, long row, long column) {
        double u1 = uniform(seed, row, 2 * column);
        double u2 = uniform(seed, row, 2 * column + 1);
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
