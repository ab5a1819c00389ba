package org.sparkgrad.spark;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.Tensor;

/**
 * One micro-batch of a training step as named tensors, batch dimension first: what a {@link TrainStep} receives.
 * Its inputs are those of the data's {@link BatchSpec} ({@code "features"} and {@code "labels"} for the
 * feature/label sources).
 */
public final class TensorBatch {
    private final Map<String, Tensor> inputs;
    private final int size;

    /**
     * A batch of size rows; every tensor's first dimension must be size (so a one-process loop can build the batches
     * a step function sees in training).
     */
    public TensorBatch(Map<String, Tensor> inputs, int size) {
        if (size < 0) {
            throw new IllegalArgumentException("a batch has at least 0 rows, got " + size);
        }
        this.inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        this.size = size;
        this.inputs.forEach((k, t) -> {
            if (t.dim() == 0 || t.size(0) != size) {
                throw new IllegalArgumentException("input '" + k + "' has shape " + java.util.Arrays.toString(t.shape())
                        + "; a batch of " + size + " rows needs the batch dimension " + size + " first");
            }
        });
    }

    /** The input's tensor, e.g. {@code batch.get("image")} of shape [m, 1, 28, 28]. */
    public Tensor get(String name) {
        Tensor t = inputs.get(name);
        if (t == null) {
            throw new IllegalArgumentException("the batch has no input '" + name + "'; it has " + names());
        }
        return t;
    }

    /** The number of rows m. */
    public int size() {
        return size;
    }

    /** The input names, in the spec's order. */
    public List<String> names() {
        return List.copyOf(inputs.keySet());
    }

    /** The inputs by name (unmodifiable). */
    public Map<String, Tensor> asMap() {
        return inputs;
    }
}
