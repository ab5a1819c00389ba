package org.sparkgrad.jobs;

import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/**
 * The autograd tutorials of the seeds, run on the engine: the polynomial and its gradient, the
 * 4.5 example, the vector-Jacobian product, detach, and gradient descent on 2*x0^2 + 4*x1^2.
 */
public final class AutogradDemo {
    private AutogradDemo() {
    }

    /** Settings of the gradient-descent cell: the step size and the starting point (those of {@link Descent}). */
    record Settings(double lr, double startX0, double startX1) {
        static final Settings DEFAULTS = new Settings(Descent.Settings.DEFAULTS.lr(), Descent.Settings.DEFAULTS.x0(),
                Descent.Settings.DEFAULTS.x1());
        static final Options.Spec OPTIONS = new Options.Spec("bin/run autograd-demo")
                .number("lr", DEFAULTS.lr(), Options.Range.POSITIVE, "the gradient-descent step size")
                .number("start-x0", DEFAULTS.startX0(), Options.Range.FINITE, "the starting x0")
                .number("start-x1", DEFAULTS.startX1(), Options.Range.FINITE, "the starting x1");

        static Settings from(Options o) {
            return new Settings(o.number("lr"), o.number("start-x0"), o.number("start-x1"));
        }
    }

    /** Prints what the seed notebooks print; options as {@link Settings#OPTIONS} ({@code bin/run autograd-demo --help}). */
    public static void main(String[] args) {
        Settings settings = Settings.from(Settings.OPTIONS.parse(args));

        System.out.println("== f(x) = 3x^3 + 4x^2 + 6");
        Tensor x1 = Tensor.of(1f).requiresGrad_();
        Tensor y1 = fn(x1);
        System.out.println("f(1) = " + y1);
        y1.backward();
        System.out.println("df/dx at 1 = " + x1.grad());
        Tensor x2 = Tensor.tensor(new float[][] {{1, 2}, {3, 4}}).requiresGrad_();
        fn(x2).mean().backward();
        System.out.println("d mean(f(x))/dx at [[1, 2], [3, 4]] =\n" + x2.grad());

        System.out.println("\n== out = mean(3 (x + 2)^2)");
        Tensor x = Tensor.ones(2, 2).requiresGrad_();
        System.out.println(x);
        Tensor y = x.add(2);
        System.out.println(y);
        Tensor z = y.mul(y).mul(3);
        Tensor out = z.mean();
        System.out.println(z + " " + out);
        out.backward();
        System.out.println(x.grad());

        System.out.println("\n== vector-Jacobian product");
        Tensor v = Tensor.tensor(new float[][] {{1, 2, 4}, {3, 1, 2}}).requiresGrad_();
        Tensor w = v.add(2);
        Tensor zz = w.mul(w);
        System.out.println(zz);
        zz.backward(Tensor.onesLike(v));
        System.out.println(v.grad());

        System.out.println("\n== y = 2 x.x");
        Tensor a = Tensor.arange(4.0).requiresGrad_();
        Tensor d = a.mul(2).dot(a);
        System.out.println(d);
        d.backward();
        System.out.println(a.grad() + " == 4x: " + a.grad().eq(a.mul(4)));

        System.out.println("\n== gradient descent on 2*x0^2 + 4*x1^2");
        double lr = settings.lr();
        Tensor p = Tensor.of(settings.startX0(), settings.startX1()).requiresGrad_();
        Double last = null;
        for (int i = 0; i < 1000; i++) {
            Tensor loss = p.get(0).pow(2).mul(2).add(p.get(1).pow(2).mul(4));
            loss.backward();
            if (last != null && loss.item() >= last) {
                break;
            }
            last = loss.item();
            System.out.println(loss + " " + i + " " + p.grad());
            try (GradMode.Scope s = GradMode.noGrad()) {
                p.sub_(p.grad().mul(lr));
            }
            p.grad().zero_();
        }
    }

    private static Tensor fn(Tensor x) {
        return x.pow(3).mul(3).add(x.pow(2).mul(4)).add(6);
    }
}
