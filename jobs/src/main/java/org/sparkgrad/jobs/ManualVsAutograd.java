package org.sparkgrad.jobs;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/**
 * Seed 000's two-layer network (M x input -> hidden -> output, ReLU, summed squared error) trained twice
 * from the same initial weights: with the seed's hand-written backpropagation and with autograd.
 *
 * <p>The seed's hand-written gradients (d_y_pred = (y_pred - y) / m, then another 1/m on every weight and
 * bias gradient) are the exact gradients of sum((y_pred - y)^2) / (2 m^2), so that is what autograd
 * differentiates here; both runs print the seed's loss, sum((y_pred - y)^2), and follow the same path.
 */
public final class ManualVsAutograd {
    private ManualVsAutograd() {
    }

    /** Settings: the network's sizes (m rows, input -> hidden -> output), training, and print interval. */
    record Settings(int m, int input, int hidden, int output, int epochs, double lr, long seed, int every) {
        /** The seed's values. */
        static final Settings DEFAULTS = new Settings(64, 1000, 100, 10, 400, 1e-2, 0, 50);
        static final Options.Spec OPTIONS = new Options.Spec("bin/run manual-vs-autograd")
                .intOption("m", DEFAULTS.m(), 1, "rows of the random batch")
                .intOption("input", DEFAULTS.input(), 1, "input features")
                .intOption("hidden", DEFAULTS.hidden(), 1, "hidden units")
                .intOption("output", DEFAULTS.output(), 1, "outputs")
                .intOption("epochs", DEFAULTS.epochs(), 1, "training steps of each run")
                .number("lr", DEFAULTS.lr(), Options.Range.POSITIVE, "the learning rate")
                .integer("seed", DEFAULTS.seed(), Long.MIN_VALUE, "the seed of the data and the initial weights")
                .intOption("every", DEFAULTS.every(), 1, "print the losses every this many epochs");

        static Settings from(Options o) {
            return new Settings(o.intValue("m"), o.intValue("input"), o.intValue("hidden"), o.intValue("output"),
                    o.intValue("epochs"), o.number("lr"), o.integer("seed"), o.intValue("every"));
        }
    }

    /** Loss histories of both runs and the largest relative gradient difference at the first step. */
    record Result(List<Double> manualLosses, List<Double> autogradLosses, double firstStepRelDiff) {
    }

    static Result run(int m, int in, int hidden, int out, int epochs, double lr, long seed, int every, boolean print) {
        Generator gen = new Generator(seed);
        Tensor x = Tensor.randn(gen, m, in);
        Tensor y = Tensor.randn(gen, m, out);
        Tensor[] init = {Tensor.randn(gen, in, hidden), Tensor.randn(gen, 1, hidden), Tensor.randn(gen, hidden, out),
            Tensor.randn(gen, 1, out)};
        Tensor[] manual = copies(init, false);
        Tensor[] auto = copies(init, true);
        List<Double> manualLosses = new ArrayList<>();
        List<Double> autoLosses = new ArrayList<>();
        double firstDiff = Double.NaN;
        for (int t = 0; t < epochs; t++) {
            Tensor[] gm = manualStep(x, y, manual, m, manualLosses);
            Tensor[] ga = autogradStep(x, y, auto, m, autoLosses);
            if (t == 0) {
                firstDiff = maxRelativeDifference(gm, ga);
            }
            try (GradMode.Scope s = GradMode.noGrad()) {
                for (int i = 0; i < 4; i++) {
                    manual[i].add_(gm[i], -lr);
                    auto[i].add_(ga[i], -lr);
                    auto[i].setGrad(null);
                }
            }
            if (print && (t + 1) % every == 0) {
                System.out.printf(Locale.ROOT, "epoch %4d  manual loss %.6e  autograd loss %.6e%n", t + 1,
                        manualLosses.get(t), autoLosses.get(t));
            }
        }
        return new Result(manualLosses, autoLosses, firstDiff);
    }

    private static Tensor[] copies(Tensor[] init, boolean requiresGrad) {
        Tensor[] out = new Tensor[init.length];
        for (int i = 0; i < init.length; i++) {
            out[i] = init[i].clone();
            if (requiresGrad) {
                out[i].requiresGrad_();
            }
        }
        return out;
    }

    /** The seed's backpropogation(): returns d_w1, d_b1, d_w2, d_b2. */
    private static Tensor[] manualStep(Tensor x, Tensor y, Tensor[] p, int m, List<Double> losses) {
        Tensor z1 = x.mm(p[0]).add(p[1]);
        Tensor a1 = z1.clampMin(0);
        Tensor yPred = a1.mm(p[2]).add(p[3]);
        losses.add(yPred.sub(y).pow(2).sum().item());
        Tensor dYPred = yPred.sub(y).mul(1.0 / m);
        Tensor dW2 = a1.t().mm(dYPred).mul(1.0 / m);
        Tensor dB2 = dYPred.sum(0, true).mul(1.0 / m);
        Tensor dA1 = dYPred.mm(p[2].t());
        Tensor dZ1 = dA1.maskedFill(z1.lt(0), 0);
        Tensor dW1 = x.t().mm(dZ1).mul(1.0 / m);
        Tensor dB1 = dZ1.sum(0, true).mul(1.0 / m);
        return new Tensor[] {dW1, dB1, dW2, dB2};
    }

    private static Tensor[] autogradStep(Tensor x, Tensor y, Tensor[] p, int m, List<Double> losses) {
        Tensor yPred = x.mm(p[0]).add(p[1]).clamp(0.0, null).mm(p[2]).add(p[3]);
        Tensor sq = yPred.sub(y).pow(2).sum();
        losses.add(sq.item());
        sq.div(2.0 * m * m).backward();
        return new Tensor[] {p[0].grad(), p[1].grad(), p[2].grad(), p[3].grad()};
    }

    /** max over tensors of max|a - b| / max|b|. */
    static double maxRelativeDifference(Tensor[] a, Tensor[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            double diff = a[i].sub(b[i]).abs().max().item();
            double scale = Math.max(b[i].abs().max().item(), Double.MIN_NORMAL);
            worst = Math.max(worst, diff / scale);
        }
        return worst;
    }

    /** Runs with the options of {@link Settings#OPTIONS} ({@code bin/run manual-vs-autograd --help}). */
    public static void main(String[] args) {
        Settings s = Settings.from(Settings.OPTIONS.parse(args));
        Result r = run(s.m(), s.input(), s.hidden(), s.output(), s.epochs(), s.lr(), s.seed(), s.every(), true);
        boolean agree = r.firstStepRelDiff() <= 1e-4;
        System.out.printf(Locale.ROOT, "first-step gradients, hand-written vs autograd: max relative difference %.3e (%s)%n",
                r.firstStepRelDiff(), agree ? "agree within 1e-4" : "DISAGREE");
        if (!agree) {
            System.exit(1);
        }
    }
}
