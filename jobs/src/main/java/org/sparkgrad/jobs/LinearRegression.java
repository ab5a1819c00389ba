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

    /** Settings, with the seed's values as defaults. */
    record Settings(int samples, int batch, int epochs, double lr, double noise, long seed, Path out) {
        static Settings parse(String[] args) {
            Options o = Options.parse(args, "samples", "1000", "batch", "10", "epochs", "3", "lr", "0.03",
                    "noise", "0.01", "seed", "0", "out", "out/linear-regression");
            return new Settings(o.getInt("samples"), o.getInt("batch"), o.getInt("epochs"), o.getDouble("lr"),
                    o.getDouble("noise"), (long) o.getDouble("seed"), Path.of(o.get("out")));
        }
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
            SafeTensors.saveModule(net, model);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the model to " + model, e);
        }
        return new Result(losses, w, b, model);
    }

    /**
     * Runs data-parallel on Spark ({@link SparkLinearRegression}, its options) unless {@code --no-spark}, which
     * runs the in-process loop with options --samples 1000 --batch 10 --epochs 3 --lr 0.03 --noise 0.01
     * --seed 0 --out out/linear-regression.
     */
    public static void main(String[] args) {
        SparkJobSupport.Flag noSpark = SparkJobSupport.flag(args, "no-spark");
        if (!noSpark.present()) {
            SparkLinearRegression.main(args);
            return;
        }
        Result r = run(Settings.parse(noSpark.rest()), true);
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
