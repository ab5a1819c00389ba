package org.sparkgrad.jobs;

import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/**
 * The autograd cells of the seeds, run on the engine and printed as the seeds print them (PyTorch's format),
 * each group under a {@code == seed NNN: ...} header: seed 000's polynomial and its gradients; seed 001's
 * 4.5 example, vector-Jacobian product (from a seeded randn(3)), z = (x + 2)^2 with a gradient argument and
 * no_grad; seeds 002/003's y = 2 x.x, x.sum() and 2 x1^3 + 3 x1 x2 + 4 x2; and seed 002's gradient descent
 * ({@link Descent}).
 */
public final class AutogradDemo {
    private AutogradDemo() {
    }

    /**
     * Settings of the gradient-descent cell (the step size and the starting point, those of {@link Descent}) and
     * the seed of the vector-Jacobian cell's randn(3).
     */
    record Settings(double lr, double startX0, double startX1, long seed) {
        static final Settings DEFAULTS = new Settings(Descent.Settings.DEFAULTS.lr(), Descent.Settings.DEFAULTS.x0(),
                Descent.Settings.DEFAULTS.x1(), 0);
        static final Options.Spec OPTIONS = new Options.Spec("bin/run autograd-demo")
                .number("lr", DEFAULTS.lr(), Options.Range.POSITIVE, "the gradient-descent step size")
                .number("start-x0", DEFAULTS.startX0(), Options.Range.FINITE, "the starting x0")
                .number("start-x1", DEFAULTS.startX1(), Options.Range.FINITE, "the starting x1")
                .integer("seed", DEFAULTS.seed(), Long.MIN_VALUE, "seed of the vector-Jacobian cell's randn(3)");

        static Settings from(Options o) {
            return new Settings(o.number("lr"), o.number("start-x0"), o.number("start-x1"), o.integer("seed"));
        }
    }

    /** Prints what the seed notebooks print; options as {@link Settings#OPTIONS} ({@code bin/run autograd-demo --help}). */
    public static void main(String[] args) {
        Settings settings = Settings.from(Settings.OPTIONS.parse(args));

        System.out.println("== seed 000: f(x) = 3x^3 + 4x^2 + 6 at 1, and mean(f(x)) at [[1, 2], [3, 4]]");
        Polynomial.Result poly = Polynomial.run(1);
        System.out.println(poly.value());
        System.out.println(poly.grad());
        System.out.println(poly.matrixGrad());

        System.out.println("== seed 001: out = mean(3 (x + 2)^2)");
        Tensor x = Tensor.ones(2, 2).requiresGrad_();
        System.out.println(x);
        Tensor y = x.add(2);
        System.out.println(y);
        Tensor z = y.mul(y).mul(3);
        Tensor out = z.mean();
        System.out.println(z + " " + out);
        out.backward();
        System.out.println(x.grad());

        System.out.println("== seed 001: a vector-Jacobian product");
        Tensor r = Tensor.randn(new Generator(settings.seed()), 3).requiresGrad_();
        System.out.println(r);
        Tensor doubled = r.mul(2);
        while (doubled.detach().norm().item() < 1000) {
            doubled = doubled.mul(2);
        }
        System.out.println(doubled);
        doubled.backward(Tensor.of(0.1f, 1.0f, 0.0001f));
        System.out.println(r.grad());

        System.out.println("== seed 001: z = (x + 2)^2, backward(ones_like(x)), no_grad");
        Tensor v = Tensor.tensor(new float[][] {{1, 2, 4}, {3, 1, 2}}).requiresGrad_();
        System.out.println(v);
        Tensor w = v.add(2);
        Tensor zz = w.mul(w);
        System.out.println(zz);
        zz.backward(Tensor.onesLike(v));
        System.out.println(v.grad());
        System.out.println(py(v.requiresGrad()));
        System.out.println(py(v.pow(2).requiresGrad()));
        try (GradMode.Scope s = GradMode.noGrad()) {
            System.out.println(py(v.pow(2).requiresGrad()));
        }
        System.out.println(py(v.pow(2).requiresGrad()));

        System.out.println("== seeds 002, 003: y = 2 x.x, then x.sum()");
        Tensor a = Tensor.arange(4.0);
        System.out.println(a);
        a.requiresGrad_();
        Tensor d = a.t().mul(2).matmul(a);
        System.out.println(d);
        d.backward();
        System.out.println(a.grad());
        System.out.println(a.grad().eq(a.mul(4)));
        a.grad().zero_();
        a.sum().backward();
        System.out.println(a.grad());

        System.out.println("== seed 002: y = 2 x1^3 + 3 x1 x2 + 4 x2 at [1, 2]");
        Tensor p = Tensor.of(1f, 2f).requiresGrad_();
        p.get(0).pow(3).mul(2).add(p.get(0).mul(3).mul(p.get(1))).add(p.get(1).mul(4)).backward();
        System.out.println(p.grad());

        System.out.println("== seed 002: gradient descent on 2 x0^2 + 4 x1^2");
        Descent.run(settings.lr(), settings.startX0(), settings.startX1(), Descent.Settings.DEFAULTS.maxIters(), true);
    }

    /** A boolean as Python prints it. */
    private static String py(boolean b) {
        return b ? "True" : "False";
    }
}
