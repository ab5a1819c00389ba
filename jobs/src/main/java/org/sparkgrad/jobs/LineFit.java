package org.sparkgrad.jobs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.optim.Adam;
import org.sparkgrad.engine.optim.CosineAnnealingLR;
import org.sparkgrad.engine.optim.ExponentialLR;
import org.sparkgrad.engine.optim.LRScheduler;
import org.sparkgrad.engine.optim.Optimizer;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.engine.optim.StepLR;
import org.sparkgrad.spark.InitialWeights;

/**
 * Seed 004: fits a line y = a x + b to noisy points by gradient descent on the mean squared perpendicular
 * distance, mean((a x - y + b)^2 / (a^2 + 1)). By default it runs the seed's own loop ({@link Settings#SEED}):
 * 1000 full-batch steps of plain gradient descent at lr 1e-9 that never zero the gradients, so each step
 * descends along the sum of all gradients so far (which is SGD with momentum 1); an optimizer and a
 * learning-rate schedule are options ({@link Settings#ADAM} is the variant that reaches the optimum).
 *
 * <p>The points are the seed's: x = linspace(0, 100, 100) and y = 2.5 x + 1, each with N(0, noise^2) added
 * (to x and y alike, drawn alternately point by point from a seeded {@link Generator}). a and b start at 0.
 *
 * <p>The problem is badly conditioned: x runs to 100, so the loss is some 10^4 times more sensitive to a
 * than to b, and the seed's plain descent (lr 1e-9) barely moves b: it gets a close to the slope and then, as the
 * accumulated gradient keeps pushing, overshoots (its loss rises again towards the end of the 1000 steps).
 * Plain or momentum SGD with zeroed gradients stalls for the same reason. Adam scales each parameter's step by its own gradient history, which fixes the scales; but
 * the first gradients in a are ~10^4 times those near the optimum, and with Adam's default beta2 = 0.999
 * its denominator remembers them for ~1000 steps, so the defaults use beta2 = 0.9 (it forgets within ~10).
 * With a constant rate Adam then circles the optimum at a distance set by the rate; the schedule's decay
 * (cosine annealing) is what lets it settle, which is the seed's lesson. {@link Settings#ADAM} (Adam,
 * lr 0.3, beta2 0.9, cosine annealing over 400 epochs, gradients zeroed each epoch) reaches the exact
 * least-perpendicular-distance line.
 *
 * <p>Like the seed it keeps the best loss seen and the a, b it records with it: the seed takes them after the
 * update of the step whose loss (that of the parameters before the update) was lowest, and so does this. It
 * prints progress, the best result, and writes two charts (loss curve, points with the fitted line).
 */
public final class LineFit {
    /** The seed's true slope. */
    static final double TRUE_A = 2.5;
    /** The seed's true intercept. */
    static final double TRUE_B = 1.0;
    /** The seed's number of points. */
    static final int POINTS = 100;

    private LineFit() {
    }

    /** The noisy points, float32 vectors of equal length. */
    record Points(Tensor x, Tensor y) {
    }

    /**
     * How to train: optimizer ({@code sgd|adam}), its settings, the schedule ({@code none|step|exp|cosine}), the
     * epochs, and whether each epoch zeroes the gradients before its backward pass (the seed does not).
     */
    record Settings(String optimizer, double lr, double momentum, double beta2, String schedule, int epochs,
            boolean zeroGrad) {
        /** The seed's loop: plain gradient descent at lr 1e-9 for 1000 epochs, gradients never zeroed. */
        static final Settings SEED = new Settings("sgd", 1e-9, 0, 0.9, "none", 1000, false);
        /** The variant that reaches the optimum: Adam, lr 0.3, beta2 0.9, cosine annealing over 400 epochs. */
        static final Settings ADAM = new Settings("adam", 0.3, 0, 0.9, "cosine", 400, true);
    }

    /**
     * The line-fit program's settings: how to train, the points' seed and noise, the print interval, the
     * Spark run's partitions and master, the output folder, and whether to run without Spark.
     */
    record Job(Settings train, long seed, double noise, int printEvery, int partitions, String master, Path out,
            boolean noSpark, String initWeights) {
        /** The program's defaults: the seed's loop ({@link Settings#SEED}) on the seed's points. */
        static final Job DEFAULTS = new Job(Settings.SEED, 42, 2, 50, 4, "auto", Path.of("out/line-fit"), false, null);
        static final Options.Spec OPTIONS = new Options.Spec("bin/run line-fit")
                .intOption("epochs", DEFAULTS.train().epochs(), 1, "full-batch steps")
                .numberOrAuto("lr", Options.Range.POSITIVE, "adam " + Options.plain(defaultLr("adam")) + ", sgd "
                        + Options.plain(defaultLr("sgd")), "the learning rate")
                .choice("optimizer", DEFAULTS.train().optimizer(), "the optimizer", "adam", "sgd")
                .choice("schedule", DEFAULTS.train().schedule(), "the learning-rate schedule", "none", "step", "exp",
                        "cosine")
                .number("momentum", DEFAULTS.train().momentum(), Options.Range.NON_NEGATIVE, "SGD's momentum")
                .number("beta2", DEFAULTS.train().beta2(), Options.Range.UNIT_OPEN, "Adam's beta2")
                .flag("zero-grad", "zero the gradients each epoch (the seed lets them accumulate); the Adam variant: "
                        + "--optimizer adam --beta2 0.9 --schedule cosine --epochs 400 --zero-grad")
                .integer("seed", DEFAULTS.seed(), Long.MIN_VALUE, "seed of the points' noise")
                .number("noise", DEFAULTS.noise(), Options.Range.NON_NEGATIVE, "standard deviation of the noise on x and y")
                .intOption("print-every", DEFAULTS.printEvery(), 0, "print every this many epochs, 0: never")
                .intOption("partitions", DEFAULTS.partitions(), 1, "Spark partitions of the points")
                .text("master", DEFAULTS.master(), "Spark master; auto: spark-submit's, else local[*]")
                .text("out", DEFAULTS.out().toString(), "folder of the charts (and, on Spark, model and loss CSV)")
                .flag("no-spark", "run the one-machine loop instead of Spark")
                .text("init-weights", "", SparkJobSupport.initWeightsHelp("a [] and b [] (0-d)") + " (0 and 0)");

        static Job from(Options o) {
            String optimizer = o.text("optimizer");
            double lr = o.isAuto("lr") ? defaultLr(optimizer) : o.number("lr");
            Settings train = new Settings(optimizer, lr, o.number("momentum"), o.number("beta2"), o.text("schedule"),
                    o.intValue("epochs"), o.flag("zero-grad"));
            return new Job(train, o.integer("seed"), o.number("noise"), o.intValue("print-every"),
                    o.intValue("partitions"), o.text("master"), Path.of(o.text("out")), o.flag("no-spark"),
                    SparkJobSupport.initWeights(o));
        }
    }

    /**
     * The loss of every epoch (of the parameters before that epoch's step), the final a, b, and the best
     * loss with the a, b after its step (as the seed records them); trainNanos is the time of the training loop alone, firstEpochNanos
     * that of its first epoch (which includes the engine's one-time start-up in a fresh JVM).
     */
    record Result(List<Double> losses, double a, double b, double bestLoss, double bestA, double bestB,
            long trainNanos, long firstEpochNanos) {
    }

    /**
     * The seed's points: x = linspace(0, 100, n) and y = 2.5 x + 1, then for each point in turn a draw of
     * N(0, noise^2) added to x and another added to y.
     */
    static Points points(int n, double noise, long seed) {
        Generator gen = new Generator(seed);
        double[] x = new double[n];
        double[] y = new double[n];
        double step = n > 1 ? 100.0 / (n - 1) : 0;
        for (int i = 0; i < n; i++) {
            double xi = i * step;
            x[i] = xi + noise * gen.nextNormal();
            y[i] = TRUE_A * xi + TRUE_B + noise * gen.nextNormal();
        }
        return new Points(Tensor.tensor(x, DType.FLOAT32, n), Tensor.tensor(y, DType.FLOAT32, n));
    }

    /** The mean squared perpendicular distance of the points to y = a x + b: mean((a x - y + b)^2 / (a^2 + 1)). */
    static Tensor loss(Tensor a, Tensor b, Points p) {
        return perpendicular(a.mul(p.x()).add(b), p.y(), a).mean();
    }

    /** The squared perpendicular distances (fit - y)^2 / (a^2 + 1), unreduced, of points whose fitted values are fit = a x + b. */
    static Tensor perpendicular(Tensor fit, Tensor y, Tensor a) {
        return fit.sub(y).pow(2).div(a.pow(2).add(1));
    }

    /** The learning rate a run uses when none is given: {@link Settings#ADAM}'s for Adam, the seed's for SGD. */
    static double defaultLr(String optimizer) {
        return switch (optimizer) {
            case "adam" -> Settings.ADAM.lr();
            case "sgd" -> Settings.SEED.lr();
            default -> throw unknown("--optimizer", optimizer, "sgd|adam");
        };
    }

    /** The named optimizer over params. */
    static Optimizer optimizer(Settings s, List<Tensor> params) {
        return switch (s.optimizer()) {
            case "adam" -> new Adam(params, s.lr(), 0.9, s.beta2(), 1e-8, 0, false);
            case "sgd" -> new SGD(params, s.lr(), s.momentum());
            default -> throw unknown("--optimizer", s.optimizer(), "sgd|adam");
        };
    }

    /**
     * The named schedule over a run of epochs, or null for {@code none}: {@code step} multiplies the rate by
     * 0.3 every epochs/5 epochs, {@code exp} by 0.01^(1/epochs) each epoch (to 1% at the end), {@code cosine}
     * anneals it to 0 over the run.
     */
    static LRScheduler schedule(String name, Optimizer opt, int epochs) {
        return switch (name) {
            case "none" -> null;
            case "step" -> new StepLR(opt, Math.max(1, epochs / 5), 0.3);
            case "exp" -> new ExponentialLR(opt, Math.pow(0.01, 1.0 / epochs));
            case "cosine" -> new CosineAnnealingLR(opt, epochs);
            default -> throw unknown("--schedule", name, "none|step|exp|cosine");
        };
    }

    private static IllegalArgumentException unknown(String option, String got, String expected) {
        return new IllegalArgumentException(option + " must be one of " + expected + ", got '" + got + "'");
    }

    /** {@link #run(Points, Settings, int, double[])} from a = b = 0. */
    static Result run(Points p, Settings s, int printEvery) {
        return run(p, s, printEvery, new double[] {0, 0});
    }

    /**
     * The initial (a, b): those of the safetensors file at uri (checked as the trainer checks it: tensors a and b,
     * 0-d), or (0, 0) when uri is null.
     */
    static double[] start(String uri) {
        if (uri == null) {
            return new double[] {0, 0};
        }
        SparkLineFit.Line line = new SparkLineFit.Line();
        InitialWeights.loadInto(line, uri);
        return new double[] {line.namedParameters().get("a").item(), line.namedParameters().get("b").item()};
    }

    /**
     * Trains a and b (from start) on the points: per epoch (zeroing the gradients first when s.zeroGrad) one
     * full-batch loss, backward, optimizer step and scheduler step. Prints every {@code printEvery} epochs
     * when printEvery &gt; 0.
     */
    static Result run(Points p, Settings s, int printEvery, double[] start) {
        if (s.epochs() < 1) {
            throw new IllegalArgumentException("--epochs must be at least 1, got " + s.epochs());
        }
        Tensor a = Tensor.scalar(start[0]).requiresGrad_();
        Tensor b = Tensor.scalar(start[1]).requiresGrad_();
        Optimizer opt = optimizer(s, List.of(a, b));
        LRScheduler sched = schedule(s.schedule(), opt, s.epochs());
        List<Double> losses = new ArrayList<>(s.epochs());
        double bestLoss = Double.POSITIVE_INFINITY;
        double bestA = 0;
        double bestB = 0;
        long t0 = System.nanoTime();
        long firstEpoch = 0;
        for (int epoch = 1; epoch <= s.epochs(); epoch++) {
            if (s.zeroGrad()) {
                opt.zeroGrad();
            }
            Tensor l = loss(a, b, p);
            l.backward();
            double cur = l.item();
            losses.add(cur);
            if (printEvery > 0 && (epoch % printEvery == 0 || epoch == 1)) {
                System.out.printf(Locale.ROOT, "epoch %5d  loss %.6f  a %.5f  b %.5f  lr %.3g%n", epoch, cur, a.item(),
                        b.item(), opt.getLr());
            }
            opt.step();
            if (sched != null) {
                sched.step();
            }
            if (cur < bestLoss) {
                bestLoss = cur;
                bestA = a.item();
                bestB = b.item();
            }
            if (epoch == 1) {
                firstEpoch = System.nanoTime() - t0;
            }
        }
        long nanos = System.nanoTime() - t0;
        return new Result(losses, a.item(), b.item(), bestLoss, bestA, bestB, nanos, firstEpoch);
    }

    /** Writes the loss curve and the fitted line over the points into dir; returns both paths. */
    static Path[] charts(Points p, Result r, Path dir) {
        Path loss = Charts.lossCurve(r.losses(), "epoch", dir.resolve("loss.png"));
        String label = String.format(Locale.ROOT, "fit: y = %.4f x + %.4f", r.bestA(), r.bestB());
        Path fit = Charts.scatterWithLine("Line fit (perpendicular distance)", p.x().toArray(), p.y().toArray(),
                r.bestA(), r.bestB(), label, dir.resolve("fit.png"));
        return new Path[] {loss, fit};
    }

    /**
     * Runs data-parallel on Spark ({@link SparkLineFit}) by default, or the in-process loop with
     * {@code --no-spark}; the options and their defaults are {@link Job#OPTIONS} ({@code bin/run line-fit --help}).
     */
    public static void main(String[] args) {
        Job job = Job.from(Job.OPTIONS.parse(args));
        Settings s = job.train();
        Points p = points(POINTS, job.noise(), job.seed());
        System.out.printf(Locale.ROOT, "fitting y = a x + b to %d points (true a=%s, b=%s, noise %s) with %s lr %s, "
                + "schedule %s, %d epochs, gradients %s%n", POINTS, TRUE_A, TRUE_B, Options.plain(job.noise()),
                s.optimizer(), s.lr(), s.schedule(), s.epochs(), s.zeroGrad() ? "zeroed each epoch"
                        : "accumulated (never zeroed, as in the seed)");
        if (!job.noSpark()) {
            SparkLineFit.Result sr = SparkLineFit.run(p, s, job.partitions(), job.master(), job.printEvery(),
                    job.initWeights());
            Result r = sr.fit();
            System.out.printf(Locale.ROOT, "trained data-parallel in %.1f s (%d steps on %d partitions)%n",
                    sr.training().seconds(), sr.training().steps(), job.partitions());
            System.out.printf(Locale.ROOT, "best a=%.5f, b=%.5f, loss=%.6f%n", r.bestA(), r.bestB(), r.bestLoss());
            Path dir = job.out();
            SparkLineFit.write(p, sr, dir).print();
            System.out.println("fitted line: " + dir.resolve("fit.png"));
            return;
        }
        Result r = run(p, s, job.printEvery(), start(job.initWeights()));
        System.out.printf(Locale.ROOT, "trained in %.1f ms (first epoch %.1f ms, with the engine's start-up)%n",
                r.trainNanos() / 1e6, r.firstEpochNanos() / 1e6);
        System.out.printf(Locale.ROOT, "best a=%.5f, b=%.5f, loss=%.6f%n", r.bestA(), r.bestB(), r.bestLoss());
        Path[] files = charts(p, r, job.out());
        System.out.println("loss curve: " + files[0].toAbsolutePath());
        System.out.println("fitted line: " + files[1].toAbsolutePath());
    }
}
