package org.sparkgrad.engine;

import java.util.ArrayList;
import java.util.List;
import org.sparkgrad.engine.backend.Strided;

/**
 * Checks analytic gradients against central finite differences in float64, like
 * {@code torch.autograd.gradcheck} (eps 1e-6, atol 1e-5, rtol 1e-3 by default). Inputs that require grad
 * must be float64 and must not overlap in memory (no expanded views).
 */
public final class Gradcheck {
    /** A function of several tensors with one tensor result. */
    @FunctionalInterface
    public interface Fn {
        /** Computes the output. */
        Tensor apply(Tensor... inputs);
    }

    private Gradcheck() {
    }

    /** Checks with PyTorch's default tolerances; throws {@link AssertionError} naming the first mismatch. */
    public static void check(Fn fn, Tensor... inputs) {
        check(fn, 1e-6, 1e-5, 1e-3, inputs);
    }

    /** Checks with explicit step and tolerances. */
    public static void check(Fn fn, double eps, double atol, double rtol, Tensor... inputs) {
        List<Integer> diff = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            Tensor x = inputs[i];
            if (x != null && x.requiresGrad()) {
                if (x.dtype() != DType.FLOAT64) {
                    throw new IllegalArgumentException("Gradcheck needs float64 inputs for precision; input " + i + " is "
                            + x.dtype().pyName() + ". Use .toDouble() before requiresGrad_().");
                }
                for (int s : x.strides()) {
                    if (s == 0 && x.numel() > 1) {
                        throw new IllegalArgumentException("Gradcheck input " + i + " has overlapping memory (an expanded "
                                + "view); pass a contiguous copy");
                    }
                }
                diff.add(i);
            }
        }
        if (diff.isEmpty()) {
            throw new IllegalArgumentException("gradcheck expects at least one input tensor to require gradient");
        }
        Tensor y = fn.apply(inputs);
        if (!y.requiresGrad()) {
            throw new AssertionError("gradcheck: the output does not require grad, so no gradient can be checked");
        }
        int m = y.numel();
        Tensor[] diffInputs = diff.stream().map(i -> inputs[i]).toArray(Tensor[]::new);
        // analytic[i][j][k]: d output j / d input i element k, one backward per output element.
        double[][][] analytic = new double[diff.size()][m][];
        for (int j = 0; j < m; j++) {
            double[] unit = new double[m];
            unit[j] = 1;
            Tensor v = Tensor.tensor(unit, y.dtype(), y.shapeRef());
            Tensor[] g = Autograd.grad(new Tensor[] {y}, diffInputs, new Tensor[] {v}, true, false, true);
            for (int i = 0; i < diff.size(); i++) {
                analytic[i][j] = g[i] == null ? new double[diffInputs[i].numel()] : g[i].toArray();
            }
        }
        for (int i = 0; i < diff.size(); i++) {
            Tensor x = diffInputs[i];
            for (int k = 0; k < x.numel(); k++) {
                double[] numeric = numericColumn(fn, inputs, x, k, eps);
                for (int j = 0; j < m; j++) {
                    double a = analytic[i][j][k];
                    double n = numeric[j];
                    if (!(Math.abs(a - n) <= atol + rtol * Math.abs(n))) {
                        throw new AssertionError("Jacobian mismatch for output " + j + " with respect to input "
                                + diff.get(i) + " element " + k + ": numerical " + n + ", analytical " + a
                                + " (output grad_fn " + (y.gradFn() == null ? "none" : y.gradFn().name()) + ")");
                    }
                }
            }
        }
    }

    /** d output / d x[k] by central differences, x changed in place and restored. */
    private static double[] numericColumn(Fn fn, Tensor[] inputs, Tensor x, int k, double eps) {
        int pos = x.storageOffset();
        int r = k;
        int[] shape = x.shapeRef();
        int[] strides = x.strides();
        for (int d = shape.length - 1; d >= 0; d--) {
            pos += (r % shape[d]) * strides[d];
            r /= shape[d];
        }
        Strided cell = new Strided(x.storage(), pos, new int[0], new int[0]);
        double orig = x.backend().toHostDouble(cell)[0];
        double[] plus;
        double[] minus;
        try (GradMode.Scope s = GradMode.noGrad()) {
            x.backend().fill(cell, orig + eps);
            plus = fn.apply(inputs).toArray();
            x.backend().fill(cell, orig - eps);
            minus = fn.apply(inputs).toArray();
        } finally {
            x.backend().fill(cell, orig);
        }
        double[] col = new double[plus.length];
        for (int j = 0; j < col.length; j++) {
            col[j] = (plus[j] - minus[j]) / (2 * eps);
        }
        return col;
    }

    /**
     * Checks second derivatives, like {@code gradgradcheck}: the gradient of fn (with a fixed random
     * output vector, built with create_graph) must itself pass {@link #check}.
     */
    public static void checkGradGrad(Fn fn, Tensor... inputs) {
        Tensor y = fn.apply(inputs);
        Tensor v = Tensor.randn(new Generator(7), y.shapeRef()).toDouble();
        List<Tensor> diff = new ArrayList<>();
        for (Tensor x : inputs) {
            if (x != null && x.requiresGrad()) {
                diff.add(x);
            }
        }
        Tensor[] diffInputs = diff.toArray(new Tensor[0]);
        Fn gradFn = xs -> {
            Tensor[] g;
            // check() evaluates this under no_grad for its finite differences; the gradient must still be built.
            try (GradMode.Scope s = GradMode.enableGrad()) {
                g = Autograd.grad(new Tensor[] {fn.apply(xs)}, diffInputs, new Tensor[] {v}, true, true, true);
            }
            List<Tensor> flat = new ArrayList<>();
            for (int i = 0; i < g.length; i++) {
                flat.add(g[i] == null ? Tensor.zeros(DType.FLOAT64, diffInputs[i].numel()) : g[i].reshape(-1));
            }
            return Tensor.cat(flat, 0);
        };
        check(gradFn, inputs);
    }
}
