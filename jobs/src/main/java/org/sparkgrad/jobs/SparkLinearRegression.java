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
import org.sparkgrad.spark.TrainingData;
import org.sparkgrad.spark.TrainingResult;

/**
 * Seed 003 (d2l's concise linear regression) data-parallel on Spark: the rows y = Xw + b + noise
 * (w = [2, -3.4], b = 4.2) are made on the executors by a {@link LinearRowGenerator};
 * {@code Sequential(Linear(2, 1))} with weight ~ N(0, 0.01) and bias 0 (seeded, the same on driver and
 * executors) is trained by a {@link DataParallelTrainer} with MSE and SGD in global batches. Prints
 * {@code epoch k, loss ...} (the mean loss of the epoch's batches), then w and b like the one-machine
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
            String master, String device, String checkpointDir, int checkpointEvery, boolean resume,
            boolean verifyGradients, Path out) {
        static Settings parse(String[] args) {
            SparkJobSupport.Flag resume = SparkJobSupport.flag(args, "resume");
            SparkJobSupport.Flag verify = SparkJobSupport.flag(resume.rest(), "verify-gradients");
            Options o = Options.parse(verify.rest(), "samples", "1000", "batch", "10", "epochs", "3", "lr", "0.03",
                    "noise", "0.01", "seed", "0", "partitions", "4", "master", "auto", "device", "auto", "checkpoint-dir", "",
                    "checkpoint-every", "100", "out", "out/linear-regression");
            String ckpt = o.get("checkpoint-dir");
            if (resume.present() && ckpt.isEmpty()) {
                throw new IllegalArgumentException("--resume needs --checkpoint-dir (the folder of the checkpoints)");
            }
            return new Settings(Long.parseLong(o.get("samples")), o.getInt("batch"), o.getInt("epochs"),
                    o.getDouble("lr"), o.getDouble("noise"), (long) o.getDouble("seed"), o.getInt("partitions"),
                    o.get("master"), o.get("device"), ckpt.isEmpty() ? null : ckpt, o.getInt("checkpoint-every"), resume.present(),
                    verify.present(), Path.of(o.get("out")));
        }
    }

    /** What a run learned: the mean batch loss of each epoch, w, b, the trainer's result and the files. */
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
        try (SparkJobSupport.Session session = SparkJobSupport.open(s.master(), "sparkgrad linear-regression")) {
            long stepsPerEpoch = (s.samples() + s.batch() - 1) / s.batch();
            List<Double> epochLosses = new ArrayList<>();
            double[] sum = new double[1];
            double lr = s.lr();
            DataParallelTrainer trainer = new DataParallelTrainer(model(s.seed()), () -> new MSELoss(Reduction.SUM),
                    p -> new SGD(p, lr))
                    .batchSize(s.batch()).epochs(s.epochs()).seed(s.seed()).device(s.device()).logEvery(print ? 100 : 0)
                    .listener((step, epoch, loss, m) -> {
                        sum[0] += loss;
                        if (step % stepsPerEpoch == 0) {
                            double mean = sum[0] / stepsPerEpoch;
                            sum[0] = 0;
                            epochLosses.add(mean);
                            if (print) {
                                System.out.printf(Locale.ROOT, "epoch %d, loss %f%n", epoch + 1, mean);
                            }
                        }
                    });
            if (s.checkpointDir() != null) {
                trainer.checkpoint(s.checkpointDir(), s.checkpointEvery()).resume(s.resume());
            }
            if (s.verifyGradients()) {
                trainer.verifyGradients(1, stepsPerEpoch * s.epochs());
            }
            LinearRowGenerator rows = new LinearRowGenerator(TRUE_W, TRUE_B, s.noise());
            TrainingResult r;
            try (TrainingData data = TrainingData.synthetic(session.sc(), rows, s.samples(), s.partitions(), s.seed())) {
                r = trainer.fit(data);
            }
            double[] w = r.parameter("0.weight").toArray();
            double b = r.parameter("0.bias").item();
            return new Result(epochLosses, w, b, r, SparkJobSupport.write(r, s.out()));
        }
    }

    /**
     * Options: --samples 1000 --batch 10 --epochs 3 --lr 0.03 --noise 0.01 --seed 0 --partitions 4
     * --master (spark-submit's, else local[*]) --device auto|cpu|cuda --checkpoint-dir URI --checkpoint-every 100 --resume
     * --verify-gradients --out out/linear-regression.
     */
    static void main(String[] args) {
        Settings s = Settings.parse(args);
        Result r = run(s, true);
        LinearRegression.printLearned(r.w(), r.b());
        System.out.printf(Locale.ROOT, "%d steps on %d rows in %.1f s%n", r.training().steps(), r.training().rows(),
                r.training().seconds());
        SparkJobSupport.printDevices(r.training());
        r.files().print();
    }
}
