package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/**
 * Weight initialisers, like {@code torch.nn.init}: each fills a tensor in place without recording
 * autograd (so parameters can be filled) and returns it. Random ones take an optional {@link Generator}
 * (the default generator otherwise); fan-in, fan-out, gains and bounds follow PyTorch's formulas, though
 * the random streams are not PyTorch's.
 *
 * <pre>{@code
 * Init.kaimingUniform_(linear.weight(), Math.sqrt(5));
 * Init.zeros_(linear.bias());
 * }</pre>
 */
public final class Init {
    private Init() {
    }

    /** Fills with values drawn from Uniform[a, b). */
    public static Tensor uniform_(Tensor t, double a, double b) {
        return uniform_(t, a, b, Generator.defaultGenerator());
    }

    /** Fills with values drawn from Uniform[a, b) using gen. */
    public static Tensor uniform_(Tensor t, double a, double b, Generator gen) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            return t.uniform_(a, b, gen);
        }
    }

    /** Fills with values drawn from Normal(mean, std). */
    public static Tensor normal_(Tensor t, double mean, double std) {
        return normal_(t, mean, std, Generator.defaultGenerator());
    }

    /** Fills with values drawn from Normal(mean, std) using gen. */
    public static Tensor normal_(Tensor t, double mean, double std, Generator gen) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            return t.normal_(mean, std, gen);
        }
    }

    /** Fills with value. */
    public static Tensor constant_(Tensor t, double value) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            return t.fill_(value);
        }
    }

    /** Fills with 0. */
    public static Tensor zeros_(Tensor t) {
        return constant_(t, 0);
    }

    /** Fills with 1. */
    public static Tensor ones_(Tensor t) {
        return constant_(t, 1);
    }

    /** Xavier/Glorot uniform with gain 1. */
    public static Tensor xavierUniform_(Tensor t) {
        return xavierUniform_(t, 1.0);
    }

    /** Xavier/Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)). */
    public static Tensor xavierUniform_(Tensor t, double gain) {
        return xavierUniform_(t, gain, Generator.defaultGenerator());
    }

    /** Xavier/Glorot uniform using gen. */
    public static Tensor xavierUniform_(Tensor t, double gain, Generator gen) {
        double a = Math.sqrt(3.0) * xavierStd(t, gain);
        return uniform_(t, -a, a, gen);
    }

    /** Xavier/Glorot normal with gain 1. */
    public static Tensor xavierNormal_(Tensor t) {
        return xavierNormal_(t, 1.0);
    }

    /** Xavier/Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)). */
    public static Tensor xavierNormal_(Tensor t, double gain) {
        return xavierNormal_(t, gain, Generator.defaultGenerator());
    }

    /** Xavier/Glorot normal using gen. */
    public static Tensor xavierNormal_(Tensor t, double gain, Generator gen) {
        return normal_(t, 0, xavierStd(t, gain), gen);
    }

    private static double xavierStd(Tensor t, double gain) {
        int[] fans = fanInAndFanOut(t);
        return gain * Math.sqrt(2.0 / (fans[0] + fans[1]));
    }

    /** Kaiming/He uniform with PyTorch's defaults: a = 0, mode fan_in, nonlinearity leaky_relu. */
    public static Tensor kaimingUniform_(Tensor t) {
        return kaimingUniform_(t, 0);
    }

    /**
     * Kaiming/He uniform for a leaky ReLU of negative slope a, mode fan_in ({@link Linear} uses
     * {@code a = sqrt(5)}, which gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
     */
    public static Tensor kaimingUniform_(Tensor t, double a) {
        return kaimingUniform_(t, a, "fan_in", "leaky_relu", Generator.defaultGenerator());
    }

    /**
     * Kaiming/He uniform: U(-bound, bound) with bound = sqrt(3) * gain / sqrt(fan), gain =
     * {@link #calculateGain(String, double) calculateGain(nonlinearity, a)}.
     *
     * @param mode {@code "fan_in"} (keeps the forward variance) or {@code "fan_out"} (the backward one)
     * @param nonlinearity a name {@link #calculateGain(String, double)} knows, e.g. {@code relu}, {@code leaky_relu}
     */
    public static Tensor kaimingUniform_(Tensor t, double a, String mode, String nonlinearity, Generator gen) {
        if (t.numel() == 0) {
            return t; // PyTorch: initializing zero-element tensors is a no-op
        }
        double bound = Math.sqrt(3.0) * kaimingStd(t, a, mode, nonlinearity);
        return uniform_(t, -bound, bound, gen);
    }

    /** Kaiming/He normal with PyTorch's defaults: a = 0, mode fan_in, nonlinearity leaky_relu. */
    public static Tensor kaimingNormal_(Tensor t) {
        return kaimingNormal_(t, 0, "fan_in", "leaky_relu", Generator.defaultGenerator());
    }

    /** Kaiming/He normal: N(0, std^2) with std = gain / sqrt(fan); arguments as in {@link #kaimingUniform_(Tensor, double, String, String, Generator)}. */
    public static Tensor kaimingNormal_(Tensor t, double a, String mode, String nonlinearity, Generator gen) {
        if (t.numel() == 0) {
            return t;
        }
        return normal_(t, 0, kaimingStd(t, a, mode, nonlinearity), gen);
    }

    private static double kaimingStd(Tensor t, double a, String mode, String nonlinearity) {
        int[] fans = fanInAndFanOut(t);
        int fan = switch (mode) {
            case "fan_in" -> fans[0];
            case "fan_out" -> fans[1];
            default -> throw new IllegalArgumentException("Mode " + mode + " not supported, please use one of ['fan_in', 'fan_out']");
        };
        return calculateGain(nonlinearity, a) / Math.sqrt(fan);
    }

    /** {@link #calculateGain(String, double)} with the default parameter (slope 0.01 for leaky_relu). */
    public static double calculateGain(String nonlinearity) {
        return calculateGain(nonlinearity, Double.NaN);
    }

    /**
     * The recommended gain for a nonlinearity, like {@code torch.nn.init.calculate_gain}: 1 for linear,
     * conv and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (param is
     * the slope; NaN means the default 0.01), 3/4 for selu.
     */
    public static double calculateGain(String nonlinearity, double param) {
        switch (nonlinearity) {
            case "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                    "sigmoid":
                return 1;
            case "tanh":
                return 5.0 / 3;
            case "relu":
                return Math.sqrt(2.0);
            case "leaky_relu": {
                double slope = Double.isNaN(param) ? 0.01 : param;
                return Math.sqrt(2.0 / (1 + slope * slope));
            }
            case "selu":
                return 3.0 / 4;
            default:
                throw new IllegalArgumentException("Unsupported nonlinearity " + nonlinearity);
        }
    }

    /**
     * PyTorch's {@code _calculate_fan_in_and_fan_out}: for a weight of shape [out, in, k1, k2, ...],
     * fan_in = in * k1 * k2 * ... and fan_out = out * k1 * k2 * ...; returns {fan_in, fan_out}.
     */
    static int[] fanInAndFanOut(Tensor t) {
        if (t.dim() < 2) {
            throw new IllegalArgumentException("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
                    + " (got shape " + F.shape(t) + ")");
        }
        int receptive = 1;
        for (int d = 2; d < t.dim(); d++) {
            receptive *= t.size(d);
        }
        return new int[] {t.size(1) * receptive, t.size(0) * receptive};
    }
}
