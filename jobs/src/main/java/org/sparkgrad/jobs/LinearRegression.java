package org.sparkgrad.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.data.DataLoader;
import org.sparkgrad.engine.data.SyntheticData;
import org.sparkgrad.engine.data.TensorDataset;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.spark.InitialWeights;

/**
 * Seed 003 (d2l's concise linear regression) on one machine: y = Xw + b + noise with w = [2, -3.4],
 * b = 4.2; {@code Sequential(Linear(2, 1))} with weight ~ N(0, 0.01) and bias 0, MSE, SGD, shuffled
 * mini-batches; prints {@code epoch k, loss ...} and the learned parameters, and saves the model. The
 * {@code linear-regression} program runs this loop with {@code --no-spark}; by default it runs
 * data-parallel on Spark ({@link SparkLinearRegression}).
 */
public final class LinearRegression {
    private LinearRegression() {
    }

    /** Settings of the one-machine loop. */
    record Settings(int samples, int batch, int epochs, double lr, double noise, long seed, Path out, String initWeights) {
        /** The seed's values (the Spark run's defaults too); no initial weights file (the seed's N(0, 0.01) and 0). */
        static final Settings DEFAULTS = new Settings(1000, 10, 3, 0.03, 0.01, 0, Path.of("out/linear-regression"), null);
        /** The options of {@code --no-spark}: the others apply to the Spark run only. */
        static final List<String> OPTION_NAMES = List.of("samples", "batch", "epochs", "lr", "noise", "seed", "out",
                "init-weights");

        /** The settings from linear-regression's options; an option of the Spark run only is an error. */
        static Settings from(Options o) {
            for (String name : OPTIONS.names()) {
                if (o.given(name) && !OPTION_NAMES.contains(name) && !name.equals("no-spark")) {
                    throw new Options.BadOption("Option --" + name + " applies to the Spark run only, not with --no-spark");
                }
            }
            long samples = o.integer("samples");
            if (samples > Integer.MAX_VALUE) {
                throw new Options.BadOption("Option --samples expects at most " + Integer.MAX_VALUE
                        + " with --no-spark, got '" + samples + "'");
            }
            return new Settings((int) samples, o.intValue("batch"), o.intValue("epochs"), o.number("lr"),
                    o.number("noise"), o.integer("seed"), Path.of(o.text("out")), SparkJobSupport.initWeights(o));
        }
    }

    /** linear-regression's options: the Spark run's and {@code --no-spark}. */
    static final Options.Spec OPTIONS = SparkLinearRegression.Settings.options("bin/run linear-regression")
            .flag("no-spark", "run the one-machine loop instead of Spark (it takes --"
                    + String.join(" --", Settings.OPTION_NAMES) + " only)");

    /** The settings the options select: the one-machine loop's with --no-spark, else the Spark run's. */
    static Object settings(Options o) {
        return o.flag("no-spark") ? Settings.from(o) : SparkLinearRegression.Settings.from(o);
    }

    /** What a run learned: per-epoch losses over the whole data, w, b and the saved model file. */
    record Result(List<Double> epochLosses, double[] w, double b, Path model) {
    }

    static Result run(Settings s, boolean print) {
        Tensor trueW = Tensor.of(2, -3.4);
        double trueB = 4.2;
        Tensor[] data = SyntheticData.linear(trueW, trueB, s.samples(), s.noise(), s.seed());
        Tensor features = data[0].requireFinite("features");
        Tensor labels = data[1].requireFinite("labels");
        DataLoader loader = new DataLoader(new TensorDataset(features, labels), s.batch(), true, s.seed());

        Generator gen = new Generator(s.seed() + 1);
        Sequential net = new Sequential(new Linear(2, 1));
        Linear layer = net.get(0, Linear.class);
        try (GradMode.Scope g = GradMode.noGrad()) {
            layer.weight().data().normal_(0, 0.01, gen);
            layer.bias().data().fill_(0);
        }
        if (s.initWeights() != null) {
            InitialWeights.loadInto(net, s.initWeights());
        }
        MSELoss loss = new MSELoss();
        SGD trainer = new SGD(net.parameters(), s.lr());

        List<Double> losses = new ArrayList<>();
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            for (Tensor[] batch : loader) {
                Tensor l = loss.forward(net.forward(batch[0]), batch[1]);
                trainer.zeroGrad();
                l.backward();
                trainer.step();
            }
            double l;
            try (GradMode.Scope g = GradMode.noGrad()) {
                l = loss.forward(net.forward(features), labels).item();
            }
            if (!Double.isFinite(l)) {
                throw new IllegalStateException("loss became " + l + " in epoch " + (epoch + 1)
                        + "; lower --lr (now " + s.lr() + ")");
            }
            losses.add(l);
            if (print) {
                System.out.printf(Locale.ROOT, "epoch %d, loss %f%n", epoch + 1, l);
            }
        }
        double[] w = layer.weight().toArray();
        double b = layer.bias().item();
        Path model = s.out().resolve("model.safetensors");
        try {
            Files.createDirectories(s.out());
            SparkJobSupport.writeAtomically(model, file -> SafeTensors.saveModule(net, file));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the model to " + model, e);
        }
        return new Result(losses, w, b, model);
    }

    /**
     * Runs data-parallel on Spark ({@link SparkLinearRegression}) unless {@code --no-spark}, which runs the
     * in-process loop; the options and their defaults are {@link #OPTIONS} ({@code bin/run linear-regression --help}).
     */
    public static void main(String[] args) {
        Options o = OPTIONS.parse(args);
        if (!o.flag("no-spark")) {
            SparkLinearRegression.main(SparkLinearRegression.Settings.from(o));
            return;
        }
        Result r = run(Settings.from(o), true);
        printLearned(r.w(), r.b());
        System.out.println("model written to " + r.model());
    }

    /** The two result lines (a cluster test parses them): {@code w = [2.0001, -3.3991]  (true ...)} and {@code b = ...}. */
    static void printLearned(double[] w, double b) {
        System.out.printf(Locale.ROOT, "w = [%.4f, %.4f]  (true [2, -3.4], error [%.2e, %.2e])%n", w[0], w[1],
                2 - w[0], -3.4 - w[1]);
        System.out.printf(Locale.ROOT, "b = %.4f  (true 4.2, error %.2e)%n", b, 4.2 - b);
    }
}
