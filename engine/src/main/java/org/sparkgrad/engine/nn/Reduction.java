package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** How a loss turns its per-element values into its result, like PyTorch's {@code reduction=} argument. */
public enum Reduction {
    /** The mean of the per-element losses (PyTorch's default). */
    MEAN("mean"),
    /** The sum of the per-element losses. */
    SUM("sum"),
    /** The per-element losses themselves, in the input's shape. */
    NONE("none");

    private final String pyName;

    Reduction(String pyName) {
        this.pyName = pyName;
    }

    /** PyTorch's spelling: {@code mean}, {@code sum} or {@code none}. */
    public String pyName() {
        return pyName;
    }

    /** The reduction PyTorch spells {@code name} ({@code "mean"}, {@code "sum"}, {@code "none"}). */
    public static Reduction of(String name) {
        for (Reduction r : values()) {
            if (r.pyName.equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException(name + " is not a valid value for reduction (expected mean, sum or none)");
    }

    /** Applies this reduction to per-element losses. */
    Tensor apply(Tensor losses) {
        return switch (this) {
            case MEAN -> losses.mean();
            case SUM -> losses.sum();
            case NONE -> losses;
        };
    }
}
