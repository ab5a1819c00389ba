package org.sparkgrad.jobs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.spark.DataParallelTrainer;
import org.sparkgrad.spark.LinearRowGenerator;
import org.sparkgrad.spark.SerializableSupplier;
import org.sparkgrad.spark.StepListener;
import org.sparkgrad.spark.TrainingData;
import org.sparkgrad.spark.TrainingResult;

/**
 * Seed 003 (d2l's concise linear regression) data-parallel on Spark: the rows y = Xw + b + noise
 * (w = [2, -3.4], b = 4.2) are made on the executors by a {@link LinearRowGenerator};
 * {@code Sequential(Linear(2, 1))} with weight ~ N(0, 0.01) and bias 0 (seeded, the same on driver and
 * executors) is trained by a {@link DataParallelTrainer} with MSE and SGD in global batches. Prints
 * {@code epoch k, loss ...} after each epoch, the loss over all rows as the seed prints it (computed on the
 * executors by a {@link GeneratedRowsLoss}, so it is right after a resume too), then w and b like the one-machine
 * {@link LinearRegression}, and writes model.safetensors, loss.csv and loss.png into --out.
 */
final class SparkLinearRegression {
    /** The true weights. */
    static final float[] TRUE_W = {2f, -3.4f};
    /** The true bias. */
    static final float TRUE_B = 4.2f;

    private SparkLinearRegression() {
    }

    /** Settings, with the seed's values as defaults; master {@code auto} keeps spark-submit's or uses local[*]. */
    record Settings(long samples, int batch, int epochs, double lr, double noise, long seed, int partitions,
            String master, String device, String stepMode, String checkpointDir, int checkpointEvery, boolean resume,
            boolean startOver, boolean verifyGradients, Path out, String initWeights) {
        /** The seed's values ({@link LinearRegression.Settings#DEFAULTS}) and the Spark run's own. */
        static final Settings DEFAULTS = defaults(LinearRegression.Settings.DEFAULTS);

        private static Settings defaults(LinearRegression.Settings seed) {
            return new Settings(seed.samples(), seed.batch(), seed.epochs(), seed.lr(), seed.noise(), seed.seed(), 4,
                    "auto", "auto", "auto", null, 100, false, false, false, seed.out(), seed.initWeights());
        }

        /** The Spark run's options, with {@link #DEFAULTS}, for a program whose usage line is usage. */
        static Options.Spec options(String usage) {
            Settings d = DEFAULTS;
            return new Options.Spec(usage)
                    .integer("samples", d.samples(), 1, "rows of generated data")
                    .intOption("batch", d.batch(), 1, "rows of each global batch")
                    .intOption("epochs", d.epochs(), 1, "passes over the data")
                    .number("lr", d.lr(), Options.Range.POSITIVE, "SGD's learning rate")
                    .number("noise", d.noise(), Options.Range.NON_NEGATIVE, "standard deviation of the labels' noise")
                    .integer("seed", d.seed(), Long.MIN_VALUE, "seed of the data, the initial weights and the batch order")
                    .intOption("partitions", d.partitions(), 1, "Spark partitions of the data")
                    .text("master", d.master(), "Spark master; auto: spark-submit's, else local[*]")
                    .device("device", d.device(), true, "where executor tasks compute")
                    .choice("step-mode", d.stepMode(), SparkJobSupport.STEP_MODE_HELP, "auto", "barrier",
                    "jobs")
                    .text("checkpoint-dir", "", "folder (any Hadoop path) of the checkpoints")
                    .intOption("checkpoint-every", d.checkpointEvery(), 1, "steps between checkpoints")
                    .flag("resume", "continue from the newest valid checkpoint in --checkpoint-dir")
                    .flag("start-over", "move checkpoints that can't be continued (another run's, or damaged) into"
                            + " --checkpoint-dir/superseded-<time>/ and start from step 0")
                    .flag("verify-gradients", "check the distributed gradients against a one-process run")
                    .text("out", d.out().toString(), "folder of the model, loss CSV and chart")
                    .text("init-weights", "", SparkJobSupport.initWeightsHelp("0.weight [1, 2] and 0.bias [1]")
                            + " (the seed's N(0, 0.01) and 0)");
        }

        /** The settings from linear-regression's options. */
        static Settings from(Options o) {
            String ckpt = o.text("checkpoint-dir");
            for (String flag : new String[] {"resume", "start-over"}) {
                if (o.flag(flag) && ckpt.isEmpty()) {
                    throw new Options.BadOption("--" + flag + " needs --checkpoint-dir (the folder of the checkpoints)");
                }
            }
            return new Settings(o.integer("samples"), o.intValue("batch"), o.intValue("epochs"), o.number("lr"),
                    o.number("noise"), o.integer("seed"), o.intValue("partitions"), o.text("master"), o.text("device"),
                    o.text("step-mode"), ckpt.isEmpty() ? null : ckpt, o.intValue("checkpoint-every"), o.flag("resume"),
                    o.flag("start-over"), o.flag("verify-gradients"), Path.of(o.text("out")),
                    SparkJobSupport.initWeights(o));
        }

        /** Parses a command line of linear-regression's options (tests). */
        static Settings parse(String... args) {
            return from(LinearRegression.OPTIONS.parse(args));
        }
    }

    /**
     * What a run learned: the loss over all rows after each epoch this run finished (after a resume, those
     * from the resumed one on), w, b, the trainer's result and the files.
     */
    record Result(List<Double> epochLosses, double[] w, double b, TrainingResult training, SparkJobSupport.Outputs files) {
    }

    /** The seed's model: Linear(2, 1) with weight ~ N(0, 0.01) from Generator(seed + 1) and bias 0. */
    static SerializableSupplier<Module> model(long seed) {
        return () -> {
            Sequential net = new Sequential(new Linear(2, 1));
            Linear layer = net.get(0, Linear.class);
            try (GradMode.Scope g = GradMode.noGrad()) {
                layer.weight().data().normal_(0, 0.01, new Generator(seed + 1));
                layer.bias().data().fill_(0);
            }
            return net;
        };
    }

    /** Trains on the active Spark session (or a new one on s.master, stopped at the end). */
    static Result run(Settings s, boolean print) {
        return run(s, print, null);
    }

    /** {@link #run(Settings, boolean)}, calling also after (when not null) after every step (tests stop runs with it). */
    static Result run(Settings s, boolean print, StepListener after) {
        SparkJobSupport.checkWritable(s.out());
        try (SparkJobSupport.Session session = SparkJobSupport.open(s.master(), "sparkgrad linear-regression")) {
            long stepsPerEpoch = (s.samples() + s.batch() - 1) / s.batch();
            LinearRowGenerator rows = new LinearRowGenerator(TRUE_W, TRUE_B, s.noise());
            GeneratedRowsLoss allRows = new GeneratedRowsLoss(session.sc(), rows, s.samples(), s.partitions(), s.seed(),
                    model(s.seed()), () -> new MSELoss(Reduction.SUM));
            List<Double> epochLosses = new ArrayList<>();
            double lr = s.lr();
            DataParallelTrainer trainer = new DataParallelTrainer(model(s.seed()), () -> new MSELoss(Reduction.SUM),
                    p -> new SGD(p, lr))
                    .initialWeights(s.initWeights()).batchSize(s.batch()).epochs(s.epochs()).seed(s.seed()).device(s.device()).stepMode(s.stepMode())
                    .logEvery(print ? 100 : 0)
                    .listener((step, epoch, loss, m) -> {
                        if (step % stepsPerEpoch == 0) {
                            session.sc().setJobDescription("loss over all rows after epoch " + (epoch + 1));
                            double l = allRows.mean(m);
                            epochLosses.add(l);
                            if (print) {
                                System.out.printf(Locale.ROOT, "epoch %d, loss %f%n", epoch + 1, l);
                            }
                        }
                        if (after != null) {
                            after.afterStep(step, epoch, loss, m);
                        }
                    });
            if (s.checkpointDir() != null) {
                trainer.checkpoint(s.checkpointDir(), s.checkpointEvery()).resume(s.resume()).startOver(s.startOver());
            }
            if (s.verifyGradients()) {
                trainer.verifyGradients(1, stepsPerEpoch * s.epochs());
            }
            TrainingResult r;
            try (TrainingData data = TrainingData.synthetic(session.sc(), rows, s.samples(), s.partitions(), s.seed())) {
                r = trainer.fit(data);
            }
            double[] w = r.parameter("0.weight").toArray();
            double b = r.parameter("0.bias").item();
            return new Result(epochLosses, w, b, r, SparkJobSupport.write(r, s.out()));
        }
    }

    /** Runs with settings from {@link LinearRegression#OPTIONS} and prints what it learned and where the files are. */
    static void main(Settings s) {
        Result r = run(s, true);
        LinearRegression.printLearned(r.w(), r.b());
        System.out.printf(Locale.ROOT, "%d steps on %d rows in %.1f s%n", r.training().steps(), r.training().rows(),
                r.training().seconds());
        SparkJobSupport.printDevices(r.training());
        r.files().print();
    }
}
