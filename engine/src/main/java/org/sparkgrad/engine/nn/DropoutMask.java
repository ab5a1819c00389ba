package org.sparkgrad.engine.nn;

import java.util.Arrays;
import org.sparkgrad.engine.Generator;

/** Dropout's multiplier per element: 0 for a dropped element, 1 / (1 - p) for a kept one. */
final class DropoutMask {
    private static final long GOLDEN = 0x9e3779b97f4a7c15L;

    private DropoutMask() {
    }

    /** Each element kept with probability 1 - p, drawn from gen in row-major order. */
    static double[] fromGenerator(int numel, double p, Generator gen) {
        double keep = 1 / (1 - p);
        double[] m = new double[numel];
        for (int i = 0; i < numel; i++) {
            m[i] = gen.nextUniform() < 1 - p ? keep : 0;
        }
        return m;
    }

    /**
     * Element j of row r kept when {@code u(seed, step, call, sampleKeys[r], j) < 1 - p}, u a uniform [0, 1)
     * from a SplitMix64-style hash of those counters: the same row gets the same mask in any batch.
     */
    static double[] fromScope(int[] shape, double p, long seed, BatchContext.Scope scope, int call) {
        if (shape.length == 0 || shape[0] != scope.rows()) {
            throw new IllegalArgumentException("dropout: the open BatchContext has " + scope.rows() + " sample keys, one "
                    + "per row, but the input of shape " + Arrays.toString(shape) + " has "
                    + (shape.length == 0 ? "no rows (0-d)" : shape[0] + " rows in its first dimension"));
        }
        int rows = shape[0];
        int perRow = 1;
        for (int d = 1; d < shape.length; d++) {
            perRow *= shape[d];
        }
        double keep = 1 / (1 - p);
        double[] m = new double[rows * perRow];
        long base = mix(mix(mix(seed + GOLDEN) + scope.step()) + call);
        for (int r = 0; r < rows; r++) {
            long rowKey = mix(base + scope.sampleKey(r) * GOLDEN);
            for (int j = 0; j < perRow; j++) {
                double u = (mix(rowKey + (j + 1L) * GOLDEN) >>> 11) * 0x1.0p-53;
                m[r * perRow + j] = u < 1 - p ? keep : 0;
            }
        }
        return m;
    }

    /** SplitMix64's finaliser: a bijective mix of 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
