package org.sparkgrad.jobs;

import java.util.ArrayList;
import java.util.List;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/** Seed 002: gradient descent on y = 2*x0^2 + 4*x1^2 from [11, 2] until the loss stops falling. */
public final class Descent {
    private Descent() {
    }

    /** Settings: the step size, the starting point and the most steps taken. */
    record Settings(double lr, double x0, double x1, int maxIters) {
        /** The seed's values. */
        static final Settings DEFAULTS = new Settings(0.1, 11, 2, 1000);
        static final Options.Spec OPTIONS = new Options.Spec("bin/run descent")
                .number("lr", DEFAULTS.lr(), Options.Range.POSITIVE, "the step size")
                .number("x0", DEFAULTS.x0(), Options.Range.FINITE, "the starting x0")
                .number("x1", DEFAULTS.x1(), Options.Range.FINITE, "the starting x1")
                .intOption("max-iters", DEFAULTS.maxIters(), 1, "the most steps taken");

        static Settings from(Options o) {
            return new Settings(o.number("lr"), o.number("x0"), o.number("x1"), o.intValue("max-iters"));
        }
    }

    /** The losses of the steps taken and the final point. */
    record Result(List<Double> losses, Tensor x) {
    }

    static Result run(double lr, double x0, double x1, int maxIters, boolean print) {
        Tensor x = Tensor.of(x0, x1).requiresGrad_();
        List<Double> losses = new ArrayList<>();
        for (int i = 0; i < maxIters; i++) {
            Tensor y = x.get(0).pow(2).mul(2).add(x.get(1).pow(2).mul(4));
            y.backward();
            double loss = y.item();
            if (!losses.isEmpty() && loss >= losses.get(losses.size() - 1)) {
                break;
            }
            losses.add(loss);
            if (print) {
                System.out.println(y + " " + i + " " + x.grad());
            }
            try (GradMode.Scope s = GradMode.noGrad()) {
                x.sub_(x.grad().mul(lr));
            }
            x.grad().zero_();
        }
        return new Result(losses, x.detach());
    }

    /** Runs with the options of {@link Settings#OPTIONS} ({@code bin/run descent --help}). */
    public static void main(String[] args) {
        Settings s = Settings.from(Settings.OPTIONS.parse(args));
        Result r = run(s.lr(), s.x0(), s.x1(), s.maxIters(), true);
        System.out.println("stopped after " + r.losses().size() + " steps at x = " + r.x());
    }
}
