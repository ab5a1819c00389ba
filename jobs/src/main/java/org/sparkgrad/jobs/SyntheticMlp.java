package org.sparkgrad.jobs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.CrossEntropyLoss;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.ReLU;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.optim.Adam;
import org.sparkgrad.engine.optim.Optimizer;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.spark.DataParallelTrainer;
import org.sparkgrad.spark.SerializableFunction;
import org.sparkgrad.spark.SerializableSupplier;
import org.sparkgrad.spark.StepListener;
import org.sparkgrad.spark.TrainingData;
import org.sparkgrad.spark.TrainingResult;

/**
 * The large synthetic-data experiment: a fixed random teacher MLP ({@link TeacherRowGenerator}) labels N
 * rows generated on the executors (so the data never passes through the driver), for regression or, with
 * {@code --classify}, for classification by the teacher's arg-max; a student MLP
 * ({@code Linear -> ReLU -> ... -> Linear}) is trained data-parallel for a number of steps. At the end it
 * evaluates the student on a held-out sample (rows N ... N + heldout - 1 of the same generator, made on the
 * driver): mean squared error against the labels' variance, or accuracy against the majority class's share.
 */
final class SyntheticMlp {
    private SyntheticMlp() {
    }

    /** Settings; lr is the optimizer's (adam's, or sgd's with momentum 0.9), by default {@link #defaultLr}. */
    record Settings(long rows, int features, int[] hidden, int classes, boolean classify, int partitions, int batch,
            long steps, double lr, String optimizer, long seed, int heldout, int logEvery, String master, String device,
            String stepMode, Path out, String initWeights) {
        /** The program's defaults. */
        static final Settings DEFAULTS = new Settings(100_000, 32, new int[] {64, 64}, 10, false, 4, 256, 200,
                defaultLr("adam"), "adam", 0, 2000, 20, "auto", "auto", "auto", Path.of("out/synthetic-mlp"), null);
        static final Options.Spec OPTIONS = new Options.Spec("bin/run synthetic-mlp")
                .integer("rows", DEFAULTS.rows(), 1, "rows the teacher labels (made on the executors)")
                .intOption("features", DEFAULTS.features(), 1, "features per row")
                .intList("hidden", Arrays.stream(DEFAULTS.hidden()).mapToObj(Integer::toString)
                        .collect(java.util.stream.Collectors.joining(",")), 1, "hidden layer sizes of teacher and student")
                .intOption("classes", DEFAULTS.classes(), 1, "classes of --classify, at least 2 there")
                .flag("classify", "classify by the teacher's arg-max instead of regression")
                .intOption("partitions", DEFAULTS.partitions(), 1, "Spark partitions of the data")
                .intOption("batch", DEFAULTS.batch(), 1, "rows of each global batch")
                .integer("steps", DEFAULTS.steps(), 1, "optimizer steps")
                .numberOrAuto("lr", Options.Range.POSITIVE, "adam " + Options.plain(defaultLr("adam")) + ", sgd "
                        + Options.plain(defaultLr("sgd")), "the learning rate")
                .choice("optimizer", DEFAULTS.optimizer(), "the optimizer; sgd has momentum 0.9", "adam", "sgd")
                .integer("seed", DEFAULTS.seed(), Long.MIN_VALUE, "seed of the data, the teacher, the student and the batch order")
                .intOption("heldout", DEFAULTS.heldout(), 1, "held-out rows evaluated at the end")
                .intOption("log-every", DEFAULTS.logEvery(), 0, "print the loss every this many steps, 0: never")
                .text("master", DEFAULTS.master(), "Spark master; auto: spark-submit's, else local[*]")
                .device("device", DEFAULTS.device(), true, "where executor tasks compute")
                .choice("step-mode", DEFAULTS.stepMode(), SparkJobSupport.STEP_MODE_HELP, "auto", "barrier",
                    "jobs")
                .text("out", DEFAULTS.out().toString(), "folder of the model, loss CSV and chart")
                .text("init-weights", "", SparkJobSupport.initWeightsHelp("the student's (0.weight, 0.bias, 2.weight, ...)"));

        static Settings from(Options o) {
            String opt = o.text("optimizer");
            double lr = o.isAuto("lr") ? defaultLr(opt) : o.number("lr");
            boolean classify = o.flag("classify");
            int classes = o.intValue("classes");
            if (classify && classes < 2) {
                throw new Options.BadOption("Option --classes expects an integer >= 2 with --classify, got '" + classes + "'");
            }
            return new Settings(o.integer("rows"), o.intValue("features"), o.ints("hidden"), classes, classify,
                    o.intValue("partitions"), o.intValue("batch"), o.integer("steps"), lr, opt, o.integer("seed"),
                    o.intValue("heldout"), o.intValue("log-every"), o.text("master"), o.text("device"),
                    o.text("step-mode"), Path.of(o.text("out")), SparkJobSupport.initWeights(o));
        }

        /** Parses a command line of synthetic-mlp's options. */
        static Settings parse(String... args) {
            return from(OPTIONS.parse(args));
        }
    }

    /** The default learning rate of an optimizer: adam 0.003, sgd 0.05. */
    static double defaultLr(String optimizer) {
        return switch (optimizer) {
            case "adam" -> 0.003;
            case "sgd" -> 0.05;
            default -> throw new IllegalArgumentException("--optimizer must be one of sgd|adam, got '" + optimizer + "'");
        };
    }

    /**
     * What a run gave: the trainer's result, the held-out loss (MSE or mean cross entropy), the held-out
     * accuracy and majority-class share (NaN for regression), the held-out labels' variance (NaN when
     * classifying), and the files written.
     */
    record Result(TrainingResult training, double heldoutLoss, double accuracy, double majorityShare,
            double labelVariance, SparkJobSupport.Outputs files) {
    }

    /** The student: Linear -> ReLU per hidden size, then Linear to outputs; initialised from Generator(seed + 1). */
    static SerializableSupplier<Module> student(int features, int[] hidden, int outputs, long seed) {
        int[] sizes = hidden.clone();
        return () -> {
            Generator g = new Generator(seed + 1);
            Sequential net = new Sequential();
            int in = features;
            for (int h : sizes) {
                net.add(new Linear(in, h, true, g)).add(new ReLU());
                in = h;
            }
            return net.add(new Linear(in, outputs, true, g));
        };
    }

    /** Trains on the active Spark session (or a new one on s.master, stopped at the end) and evaluates. */
    static Result run(Settings s, boolean print) {
        TeacherRowGenerator teacher = new TeacherRowGenerator(s.features(), s.hidden(), s.classes(), s.classify(),
                s.seed() + 1000);
        int outputs = s.classify() ? s.classes() : 1;
        boolean classify = s.classify();
        SerializableSupplier<Loss> loss = classify ? () -> new CrossEntropyLoss(Reduction.SUM)
                : () -> new MSELoss(Reduction.SUM);
        double lr = s.lr();
        SerializableFunction<Map<String, Parameter>, Optimizer> optimizer = switch (s.optimizer()) {
            case "adam" -> p -> new Adam(p, lr);
            case "sgd" -> p -> new SGD(p, lr, 0.9);
            default -> throw new IllegalArgumentException("--optimizer must be one of sgd|adam, got '" + s.optimizer() + "'");
        };
        if (print) {
            System.out.printf(Locale.ROOT, "synthetic-mlp: %d rows x %d features on %d partitions, teacher %s; student "
                    + "hidden %s, %s lr %s, batch %d, %d steps%n", s.rows(), s.features(), s.partitions(), teacher,
                    Arrays.toString(s.hidden()), s.optimizer(), lr, s.batch(), s.steps());
        }
        SparkJobSupport.checkWritable(s.out());
        try (SparkJobSupport.Session session = SparkJobSupport.open(s.master(), "sparkgrad synthetic-mlp")) {
            long every = s.logEvery();
            long total = s.steps();
            DataParallelTrainer trainer = new DataParallelTrainer(student(s.features(), s.hidden(), outputs, s.seed()),
                    loss, optimizer).initialWeights(s.initWeights()).batchSize(s.batch()).steps(s.steps()).seed(s.seed()).classLabels(classify)
                    .device(s.device()).stepMode(s.stepMode()).logEvery(0).listener(StepListener.withoutSparkJobs((step, epoch, l, m) -> {
                        if (print && every > 0 && (step == 1 || step % every == 0 || step == total)) {
                            System.out.printf(Locale.ROOT, "step %d/%d, epoch %d, loss %.6f%n", step, total, epoch + 1, l);
                        }
                    }));
            TrainingResult r;
            try (TrainingData data = TrainingData.synthetic(session.sc(), teacher, s.rows(), s.partitions(), s.seed())) {
                if (classify) {
                    data.classLabels(s.classes());
                }
                r = trainer.fit(data);
            }
            Result out = evaluate(r, teacher, s, SparkJobSupport.write(r, s.out()));
            if (print) {
                System.out.printf(Locale.ROOT, "%d steps in %.1f s (%.0f samples/s)%n", r.steps(), r.seconds(),
                        r.steps() * (double) s.batch() / r.seconds());
                SparkJobSupport.printDevices(r);
                List<Double> h = r.lossHistory();
                System.out.printf(Locale.ROOT, "final training loss %.6f (first step %.6f)%n", h.get(h.size() - 1), h.get(0));
                if (classify) {
                    System.out.printf(Locale.ROOT, "held-out: loss %.6f, accuracy %.4f on %d rows (majority class %.4f, "
                            + "chance %.4f)%n", out.heldoutLoss(), out.accuracy(), s.heldout(), out.majorityShare(),
                            1.0 / s.classes());
                } else {
                    System.out.printf(Locale.ROOT, "held-out: mse %.6f on %d rows (label variance %.6f)%n",
                            out.heldoutLoss(), s.heldout(), out.labelVariance());
                }
                out.files().print();
            }
            return out;
        }
    }

    /** Evaluates the trained student on rows N ... N + heldout - 1 of the teacher's data. */
    static Result evaluate(TrainingResult r, TeacherRowGenerator teacher, Settings s, SparkJobSupport.Outputs files) {
        int n = s.heldout();
        int f = s.features();
        float[] x = new float[n * f];
        float[] y = new float[n];
        teacher.generate(s.seed(), 0, s.rows(), n, x, y);
        double[] labels = new double[n];
        for (int i = 0; i < n; i++) {
            labels[i] = y[i];
        }
        Module model = r.model();
        try (GradMode.Scope g = GradMode.noGrad()) {
            Tensor out = model.forward(Tensor.tensor(x, n, f));
            if (!s.classify()) {
                Tensor target = Tensor.tensor(labels, DType.FLOAT32, n, 1);
                double mse = new MSELoss().forward(out, target).item();
                double mean = Arrays.stream(labels).average().orElse(0);
                double var = Arrays.stream(labels).map(v -> (v - mean) * (v - mean)).average().orElse(0);
                return new Result(r, mse, Double.NaN, Double.NaN, var, files);
            }
            Tensor target = Tensor.tensor(labels, DType.INT64, n);
            double ce = new CrossEntropyLoss().forward(out, target).item();
            double[] predicted = out.argmax(1).toArray();
            int[] counts = new int[s.classes()];
            int right = 0;
            for (int i = 0; i < n; i++) {
                counts[(int) labels[i]]++;
                if (predicted[i] == labels[i]) {
                    right++;
                }
            }
            int majority = Arrays.stream(counts).max().orElse(0);
            return new Result(r, ce, right / (double) n, majority / (double) n, Double.NaN, files);
        }
    }

    /** Runs with the options of {@link Settings#OPTIONS} ({@code bin/run synthetic-mlp --help}). */
    static void main(String[] args) {
        run(Settings.parse(args), true);
    }
}
