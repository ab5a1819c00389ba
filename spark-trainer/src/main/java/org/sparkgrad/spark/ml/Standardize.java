package org.sparkgrad.spark.ml;

import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Module;

/**
 * {@code (x - mean) / std} per feature, with mean and std fitted on the training rows and kept as buffers (so they
 * are in the model's state dict and its safetensors file, as "0.mean" and "0.std"). A std of 0 (a constant feature)
 * is stored as 1, as scikit-learn's StandardScaler does.
 */
final class Standardize extends Module {
    private final Tensor mean;
    private final Tensor std;

    Standardize(float[] mean, float[] std) {
        if (mean.length != std.length) {
            throw new IllegalArgumentException("mean has " + mean.length + " values, std " + std.length);
        }
        float[] s = std.clone();
        for (int i = 0; i < s.length; i++) {
            if (!(s[i] > 0) || !Float.isFinite(s[i])) {
                s[i] = 1;
            }
        }
        this.mean = registerBuffer("mean", Tensor.tensor(mean.clone(), mean.length));
        this.std = registerBuffer("std", Tensor.tensor(s, s.length));
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.sub(mean).div(std);
    }
}
