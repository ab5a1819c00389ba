package org.sparkgrad.jobs;

import org.sparkgrad.engine.Tensor;

/** Seed 000: f(x) = 3x^3 + 4x^2 + 6 and its gradient at a point and on a 2x2 input (through the mean). */
public final class Polynomial {
    private Polynomial() {
    }

    /** Settings: the point x. */
    record Settings(double x) {
        /** The seed's point. */
        static final Settings DEFAULTS = new Settings(1);
        static final Options.Spec OPTIONS = new Options.Spec("bin/run polynomial")
                .number("x", DEFAULTS.x(), Options.Range.FINITE, "where f and its gradient are evaluated");

        static Settings from(Options o) {
            return new Settings(o.number("x"));
        }
    }

    /** f(x) = 3x^3 + 4x^2 + 6, elementwise. */
    static Tensor f(Tensor x) {
        return x.pow(3).mul(3).add(x.pow(2).mul(4)).add(6);
    }

    /** Values and gradients of one run. */
    record Result(Tensor value, Tensor grad, Tensor matrixGrad) {
    }

    static Result run(double at) {
        Tensor x1 = Tensor.of(at).requiresGrad_();
        Tensor y1 = f(x1);
        y1.backward();
        Tensor x2 = Tensor.tensor(new float[][] {{1, 2}, {3, 4}}).requiresGrad_();
        f(x2).mean().backward();
        return new Result(y1, x1.grad(), x2.grad());
    }

    /** Runs with the options of {@link Settings#OPTIONS} ({@code bin/run polynomial --help}). */
    public static void main(String[] args) {
        double at = Settings.from(Settings.OPTIONS.parse(args)).x();
        Result r = run(at);
        System.out.println("f(x) = 3x^3 + 4x^2 + 6 at x = " + at + ": " + r.value());
        System.out.println("df/dx = 9x^2 + 8x: " + r.grad());
        System.out.println("gradient of mean(f(x)) at [[1, 2], [3, 4]]:");
        System.out.println(r.matrixGrad());
    }
}
