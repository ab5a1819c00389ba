package org.sparkgrad.engine.data;

import java.util.Arrays;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/** Generated datasets with known answers, for examples and tests. */
public final class SyntheticData {
    private SyntheticData() {
    }

    /**
     * Data for linear regression, like d2l's {@code synthetic_data(w, b, num_examples)}: features
     * {@code X [n, len(w)]} drawn from N(0, 1) and labels {@code y = X w + b + noise [n, 1]} with noise
     * drawn from N(0, noiseStd^2), all from a generator seeded with {@code seed} (X first, then the noise).
     * The result has w's floating type and does not require grad.
     *
     * @param w the true weights, a 1-d floating tensor
     * @return {@code {X, y}}
     */
    public static Tensor[] linear(Tensor w, double b, int n, double noiseStd, long seed) {
        if (w.dim() != 1) {
            throw new IllegalArgumentException("w must be 1-d (the true weights), got shape " + Arrays.toString(w.shape()));
        }
        if (!w.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("w must be a floating tensor, got " + w.dtype().pyName());
        }
        if (n < 0) {
            throw new IllegalArgumentException("the number of examples must be >= 0, got " + n);
        }
        if (!(noiseStd >= 0)) {
            throw new IllegalArgumentException("noiseStd must be >= 0, got " + noiseStd);
        }
        Generator gen = new Generator(seed);
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor x = Tensor.tensor(normals(gen, (long) n * w.size(0), 1), w.dtype(), n, w.size(0));
            Tensor noise = Tensor.tensor(normals(gen, n, noiseStd), w.dtype(), n);
            Tensor y = x.matmul(w.detach()).add(b).add(noise).reshape(n, 1);
            return new Tensor[] {x, y};
        }
    }

    /** count draws of N(0, std^2) in double precision (as Tensor.normal draws them, before rounding). */
    private static double[] normals(Generator gen, long count, double std) {
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many values for one tensor: " + count);
        }
        double[] v = new double[(int) count];
        for (int i = 0; i < v.length; i++) {
            v[i] = std * gen.nextNormal();
        }
        return v;
    }
}
