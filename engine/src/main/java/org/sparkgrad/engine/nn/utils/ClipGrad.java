package org.sparkgrad.engine.nn.utils;

import java.util.ArrayList;
import java.util.List;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/**
 * Gradient clipping, like {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_} of torch 1.13:
 * both change the parameters' gradients in place (parameters without a gradient are skipped).
 *
 * <pre>{@code
 * loss.backward();
 * double total = ClipGrad.clipGradNorm_(net.parameters(), 1.0).item();
 * opt.step();
 * }</pre>
 */
public final class ClipGrad {
    private ClipGrad() {
    }

    /** {@link #clipGradNorm_(Iterable, double, double, boolean)} with the 2-norm, non-finite norms allowed. */
    public static Tensor clipGradNorm_(Iterable<? extends Tensor> parameters, double maxNorm) {
        return clipGradNorm_(parameters, maxNorm, 2.0, false);
    }

    /** {@link #clipGradNorm_(Iterable, double, double, boolean)} with non-finite norms allowed (PyTorch's default). */
    public static Tensor clipGradNorm_(Iterable<? extends Tensor> parameters, double maxNorm, double normType) {
        return clipGradNorm_(parameters, maxNorm, normType, false);
    }

    /**
     * Scales all gradients together so that their total norm (the norm of the vector of every gradient's
     * norm; {@code normType} may be {@code Double.POSITIVE_INFINITY} for the largest absolute value) is at
     * most {@code maxNorm}: each gradient is multiplied by {@code min(1, maxNorm / (total + 1e-6))}.
     *
     * @return the total norm before clipping, a scalar of the first gradient's type (0 when no parameter
     *     has a gradient)
     * @throws IllegalStateException when {@code errorIfNonfinite} and the total norm is NaN or infinite
     *     (no gradient is changed then), with PyTorch's message
     */
    public static Tensor clipGradNorm_(Iterable<? extends Tensor> parameters, double maxNorm, double normType,
            boolean errorIfNonfinite) {
        List<Tensor> grads = grads(parameters);
        if (grads.isEmpty()) {
            return Tensor.scalar(0);
        }
        try (GradMode.Scope s = GradMode.noGrad()) {
            List<Tensor> norms = new ArrayList<>();
            boolean inf = normType == Double.POSITIVE_INFINITY;
            for (Tensor g : grads) {
                norms.add(inf ? g.abs().max() : g.norm(normType));
            }
            Tensor stacked = Tensor.stack(norms, 0);
            Tensor total = inf ? stacked.max() : stacked.norm(normType);
            double value = total.item();
            if (errorIfNonfinite && !Double.isFinite(value)) {
                throw new IllegalStateException("The total norm of order " + pyFloat(normType) + " for gradients from "
                        + "`parameters` is non-finite, so it cannot be clipped. To disable this error and scale the "
                        + "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
            }
            Tensor coef = total.add(1e-6).rdiv(maxNorm).clampMax(1.0);
            for (Tensor g : grads) {
                g.mul_(coef);
            }
            return total;
        }
    }

    /** Clamps every gradient element into {@code [-clipValue, clipValue]}, like {@code clip_grad_value_}. */
    public static void clipGradValue_(Iterable<? extends Tensor> parameters, double clipValue) {
        if (Double.isNaN(clipValue)) {
            throw new IllegalArgumentException("clip_value must be a number, got NaN");
        }
        List<Tensor> grads = grads(parameters);
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (Tensor g : grads) {
                g.clamp_(-clipValue, clipValue);
            }
        }
    }

    private static List<Tensor> grads(Iterable<? extends Tensor> parameters) {
        if (parameters == null) {
            throw new IllegalArgumentException("gradient clipping needs the parameters, got null");
        }
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : parameters) {
            if (p != null && p.grad() != null) {
                grads.add(p.grad());
            }
        }
        return grads;
    }

    /** A double as Python prints a float: 2.0, inf, -inf, nan. */
    private static String pyFloat(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return Double.toString(v);
    }
}
