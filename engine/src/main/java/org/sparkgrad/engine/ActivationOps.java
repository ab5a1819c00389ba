package org.sparkgrad.engine;

/**
 * GELU (exact and tanh form), leaky ReLU and the error function, each a single autograd node with its VJP
 * beside it, written with differentiable ops so second derivatives work. The engine side of
 * {@code org.sparkgrad.engine.nn.F.gelu / leakyRelu}, which are the API to call.
 */
public final class ActivationOps {
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
    private static final double TANH_K = Math.sqrt(2 / Math.PI);
    private static final double TANH_C = 0.044715;

    private ActivationOps() {
    }

    /**
     * {@code gelu(x) = x * Phi(x)}: with {@code approximate} "none", Phi(x) = (1 + erf(x / sqrt 2)) / 2; with
     * "tanh", gelu(x) = x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2. Node GeluBackward0.
     */
    public static Tensor gelu(Tensor x, String approximate) {
        boolean tanh = switch (approximate) {
            case "none" -> false;
            case "tanh" -> true;
            default -> throw new IllegalArgumentException("approximate argument must be either none or tanh, got '"
                    + approximate + "'");
        };
        Tensor out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            out = tanh ? x.mul(tanhInner(x).tanh().add(1)).mul(0.5) : x.mul(phi(x));
        }
        OpNode n = OpNode.record("GeluBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        return n.finish(out, g -> {
            Tensor xv = sx.unpack();
            Tensor d;
            if (tanh) {
                // d/dx: 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3c x^2), t = tanh(k (x + c x^3))
                Tensor t = tanhInner(xv).tanh();
                Tensor inner = xv.mul(xv).mul(3 * TANH_C).add(1).mul(TANH_K);
                d = t.add(1).mul(0.5).add(xv.mul(0.5).mul(t.mul(t).rsub(1)).mul(inner));
            } else {
                // d/dx: Phi(x) + x phi(x), phi the standard normal density
                d = phi(xv).add(xv.mul(xv.mul(xv).mul(-0.5).exp()).mul(INV_SQRT_2PI));
            }
            return new Tensor[] {g[0].mul(d)};
        });
    }

    private static Tensor tanhInner(Tensor x) {
        return x.add(x.mul(x).mul(x).mul(TANH_C)).mul(TANH_K);
    }

    /** The standard normal CDF (1 + erf(x / sqrt 2)) / 2. */
    private static Tensor phi(Tensor x) {
        return erf(x.mul(SQRT_HALF)).add(1).mul(0.5);
    }

    /** The error function, elementwise, computed on the host (see {@link #erf(double)}). Node ErfBackward0. */
    static Tensor erf(Tensor x) {
        double[] v = x.toArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = erf(v[i]);
        }
        Tensor out = HostTensors.like(v, x, x.shape());
        OpNode n = OpNode.record("ErfBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        return n.finish(out, g -> {
            Tensor xv = sx.unpack();
            return new Tensor[] {g[0].mul(xv.mul(xv).neg().exp().mul(TWO_OVER_SQRT_PI))};
        });
    }

    /**
     * erf(x) to about 1e-15 by the series erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)),
     * whose terms are all positive (no cancellation); beyond |x| = 6, erf is 1 to double precision.
     */
    static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        if (a >= 6) {
            return Math.signum(x);
        }
        double x2 = 2 * a * a;
        double term = a;
        double sum = a;
        for (int k = 1; term > 1e-17 * sum; k++) {
            term *= x2 / (2 * k + 1);
            sum += term;
        }
        double r = TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
        return x < 0 ? -r : r;
    }

    /** x where x > 0, else negativeSlope * x. Node LeakyReluBackward0 (the gradient at 0 is the slope, as PyTorch's). */
    public static Tensor leakyRelu(Tensor x, double negativeSlope) {
        Tensor out;
        Tensor pos;
        try (GradMode.Scope s = GradMode.noGrad()) {
            pos = x.gt(0.0);
            out = Tensor.where(pos, x, x.mul(negativeSlope));
        }
        OpNode n = OpNode.record("LeakyReluBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        return n.finish(out, g -> {
            sx.unpack(); // fails if x was changed in place since
            return new Tensor[] {Tensor.where(pos, g[0], g[0].mul(negativeSlope))};
        });
    }
}
