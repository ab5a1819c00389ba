package org.sparkgrad.jobs.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.CrossEntropyLoss;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.nn.Sigmoid;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.jobs.Options;
import org.sparkgrad.jobs.TeacherRowGenerator;
import org.sparkgrad.spark.DataParallelTrainer;
import org.sparkgrad.spark.LinearRowGenerator;
import org.sparkgrad.spark.StepListener;
import org.sparkgrad.spark.TrainingData;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Benchmarks {@link DataParallelTrainer} on a local Spark ({@code local[N]}) and on a standalone Master + Worker
 * on 127.0.0.1 ({@link LocalStandaloneCluster}, unless {@code --cluster none}), printing one table. A benchmark,
 * not a test: it asserts nothing about speed.
 *
 * <ol>
 *   <li>{@code allreduce}: per-step overhead of the parameter exchange (parameters out, gradient sums back,
 *       driver step) for models of about 100k, 1M and 10M parameters ({@code Linear(32, H) -> Linear(H, 1)}) with
 *       1 row per partition and step, 2 partitions, local[2], in both step modes: per-step jobs (a broadcast and
 *       one job) and barrier stages (sharded at 10M); in the MLlib column, a plain broadcast + treeAggregate loop
 *       of a float[N] over 2 cached partitions at the same N (what MLlib's GradientDescent does per iteration);
 *       next to it, an empty Spark job of 2 tasks (the scheduling floor).</li>
 *   <li>{@code throughput}: samples/s of a synthetic MLP classifier, 32 -> 64 -> 64 -> 10 (sigmoid hidden
 *       layers, cross entropy, SGD), global batch 256, rows made on the executors by synthetic-mlp's {@link TeacherRowGenerator},
 *       2 partitions, with local[1] and local[2] (per-step jobs and barrier stages, in the same run), each
 *       session after an untimed barrier fit of {@link #WARMUP_STEPS} steps that lets the JIT compile the step.</li>
 *   <li>{@code mllib}: the same model and rows (a cached DataFrame with a vector features column and a
 *       double label column) trained by MLlib's {@code MultilayerPerceptronClassifier} (solver gd, blockSize
 *       256, tol 0) for warmup + K full-batch iterations, against ours for the same warmup + K full-batch
 *       steps (B = N) reading the same cached DataFrame through {@link TrainingData#fromDataset}: the median
 *       of the K timed iterations each (MLlib's: between the ends of consecutive GradientDescent
 *       treeAggregate jobs, seen by a SparkListener, so its data stacking and caching in the first iteration
 *       is outside). Next to it, the engine alone: the same full-batch forward/backward and SGD step on the
 *       same N rows in this JVM on one thread, so the Spark share of our iteration shows; and one epoch of
 *       B = 256 steps against one MLlib iteration.</li>
 *   <li>{@code standalone}: the all-reduce and local[2] throughput rows again against a Master and a Worker
 *       (2 cores; 2 executors of 1 core, 1 GB) started on 127.0.0.1 from the build's Spark jars, the job jar
 *       shipped through spark.jars; each row is printed beside its local[2] row.</li>
 * </ol>
 *
 * Arguments (all optional): {@link Settings#OPTIONS}, with the defaults of {@link Settings#DEFAULTS}
 * ({@code --help} lists them). Run with Spark's {@code --add-opens}
 * options (conf/spark-defaults.conf); see bench/run-spark-bench.sh.
 */
public final class SparkBenchmark {
    static final int FEATURES = 32;
    static final int HIDDEN = 64;
    static final int CLASSES = 10;
    static final int BATCH = 256;
    static final double LR = 0.03;
    static final long DATA_SEED = 7;
    /** The trainer's default shardAbove: barrier stages exchange sharded from this many parameters. */
    static final long SHARD_ABOVE = 1L << 22;
    /** Steps of the untimed fit before a session's throughput rows (see {@link #warmUp}). */
    static final int WARMUP_STEPS = 2000;
    /** Rows per forward/backward in the full-batch steps (ours and the engine-alone row). */
    static final int MICRO_BATCH = 4096;
    /** Full-batch iterations before the timed ones (MLlib stacks and caches its blocks in the first). */
    static final int FULL_BATCH_WARMUP = 2;
    static final String STANDALONE = "standalone";

    /**
     * What to measure: data rows, timed steps of each part, partitions, and the standalone cluster's inputs (the
     * Spark class-path file and the job jar of the jobs build, and conf/spark-defaults.conf for the JVM options).
     */
    record Settings(int rows, int steps, int smallSteps, int midSteps, int largeSteps, int mllibIters, int partitions,
            String cluster, Path sparkClassPath, Path jobJar, Path sparkDefaults, java.util.Set<String> parts) {
        /** The benchmark's parts, in the order they run. */
        static final List<String> PARTS = List.of("throughput", "allreduce", "mllib");
        static final Settings DEFAULTS = new Settings(65536, 100, 40, 20, 8, 10, 2, STANDALONE,
                Path.of("jobs/target/spark-classpath.txt"), Path.of("jobs/target/sparkgrad-jobs.jar"),
                Path.of("conf/spark-defaults.conf"), new java.util.LinkedHashSet<>(PARTS));
        static final Options.Spec OPTIONS = new Options.Spec("SparkBenchmark")
                .intOption("rows", DEFAULTS.rows(), 1, "rows of the throughput and MLlib data")
                .intOption("steps", DEFAULTS.steps(), 1, "timed throughput steps")
                .intOption("small-steps", DEFAULTS.smallSteps(), 1, "timed all-reduce steps of the small model")
                .intOption("mid-steps", DEFAULTS.midSteps(), 1, "timed all-reduce steps of the 1M-parameter model")
                .intOption("large-steps", DEFAULTS.largeSteps(), 1, "timed all-reduce steps of the large model")
                .intOption("mllib-iters", DEFAULTS.mllibIters(), 1, "timed full-batch iterations (MLlib, ours and the engine"
                        + " alone), after " + FULL_BATCH_WARMUP + " untimed ones")
                .intOption("partitions", DEFAULTS.partitions(), 1, "partitions of the throughput and MLlib data")
                .choice("cluster", DEFAULTS.cluster(), "also run the all-reduce and local[2] throughput rows on a standalone"
                        + " Master + Worker on 127.0.0.1, or not", STANDALONE, "none")
                .text("spark-classpath", DEFAULTS.sparkClassPath().toString(), "Spark's jars for the standalone cluster"
                        + " (the file the jobs build writes)")
                .text("job-jar", DEFAULTS.jobJar().toString(), "the shaded jobs jar, shipped to the standalone executors")
                .text("spark-defaults", DEFAULTS.sparkDefaults().toString(), "conf/spark-defaults.conf (the Spark JVM options)")
                .text("parts", String.join(",", PARTS), "the parts to run, comma-separated, of " + String.join(", ", PARTS));

        static Settings parse(String... args) {
            Options o = OPTIONS.parse(args);
            return new Settings(o.intValue("rows"), o.intValue("steps"), o.intValue("small-steps"), o.intValue("mid-steps"),
                    o.intValue("large-steps"), o.intValue("mllib-iters"), o.intValue("partitions"), o.text("cluster"),
                    Path.of(o.text("spark-classpath")), Path.of(o.text("job-jar")), Path.of(o.text("spark-defaults")),
                    parts(o.text("parts")));
        }

        private static java.util.Set<String> parts(String list) {
            java.util.Set<String> parts = new java.util.LinkedHashSet<>();
            for (String p : list.split(",")) {
                if (!PARTS.contains(p.trim())) {
                    throw new IllegalArgumentException("--parts: unknown part '" + p.trim() + "', expected some of "
                            + String.join(", ", PARTS));
                }
                parts.add(p.trim());
            }
            return parts;
        }
    }

    /** The table's rows by group (a group's rows print together: a standalone row beside its local one). */
    private final Map<String, List<String[]>> table = new LinkedHashMap<>();
    /** Samples/s of each throughput run, by "master mode". */
    private final Map<String, Double> throughputs = new LinkedHashMap<>();
    private final Settings settings;
    private final int rows;
    private final int steps;
    private final int smallSteps;
    private final int midSteps;
    private final int largeSteps;
    private final int mllibIters;
    private final int partitions;

    private SparkBenchmark(Settings s) {
        settings = s;
        rows = s.rows();
        steps = s.steps();
        smallSteps = s.smallSteps();
        midSteps = s.midSteps();
        largeSteps = s.largeSteps();
        mllibIters = s.mllibIters();
        partitions = s.partitions();
    }

    /** Runs the benchmarks and prints the table ({@code --help}: the options). */
    public static void main(String[] args) throws IOException, InterruptedException, TimeoutException {
        Settings s;
        try {
            s = Settings.parse(args);
        } catch (Options.HelpRequested help) {
            System.out.print(help.getMessage());
            return;
        }
        Logger.getLogger("org.sparkgrad").setLevel(Level.WARNING);
        new SparkBenchmark(s).run();
    }

    private void run() throws IOException, InterruptedException, TimeoutException {
        System.out.printf(Locale.ROOT, "spark benchmark: %d cores, rows=%d, partitions=%d, batch=%d, model %d-%d-%d-%d "
                + "(sigmoid, cross entropy, SGD lr %.2f)%n", Runtime.getRuntime().availableProcessors(), rows, partitions,
                BATCH, FEATURES, HIDDEN, HIDDEN, CLASSES, LR);
        java.util.Set<String> parts = settings.parts();
        if (parts.contains("throughput")) {
            SparkSession one = session(conf("local[1]"));
            try {
                throughputRows(one, "local[1]");
            } finally {
                one.stop();
            }
        }
        SparkSession two = session(conf("local[2]"));
        try {
            if (parts.contains("throughput")) {
                throughputRows(two, "local[2]");
                for (String mode : List.of("jobs", "barrier")) {
                    row("scaling", "scaling local[1] -> local[2] " + mode, String.format(Locale.ROOT, "%.2fx",
                            throughputs.get("local[2] " + mode) / throughputs.get("local[1] " + mode)), "-", "-",
                            "throughput of local[2] over local[1], same data and steps");
                }
            }
            if (parts.contains("allreduce")) {
                allReduce(two, "local[2]");
            }
            if (parts.contains("mllib")) {
                mllib(two);
            }
        } finally {
            two.stop();
        }
        if (settings.cluster().equals(STANDALONE)) {
            standalone();
        }
        print();
    }

    /**
     * The throughput and all-reduce rows on a Master and a Worker (2 cores) started on 127.0.0.1, with 2 executors of
     * 1 core; the cluster is stopped at the end (its logs stay in a temporary folder, named on the console).
     */
    private void standalone() throws IOException, InterruptedException, TimeoutException {
        Path dir = Files.createTempDirectory("sparkgrad-bench-cluster");
        System.out.println("starting a standalone Master + Worker (2 cores) on 127.0.0.1; logs in " + dir);
        List<String> jvm = LocalStandaloneCluster.jvmOptions(settings.sparkDefaults());
        try (LocalStandaloneCluster cluster = new LocalStandaloneCluster(
                LocalStandaloneCluster.sparkClassPath(settings.sparkClassPath()), jvm, dir, 2, List.of())) {
            SparkConf conf = conf(cluster.masterUrl())
                    .set("spark.jars", settings.jobJar().toAbsolutePath().toString())
                    // the executors' engine on 1 thread like this JVM's (bench/run-spark-bench.sh): Spark refuses
                    // -Dsparkgrad.threads here (it takes any -Dspark... for a Spark setting), so the JVM sees 1 CPU
                    .set("spark.executor.extraJavaOptions", String.join(" ", jvm) + " -XX:ActiveProcessorCount=1")
                    .set("spark.executorEnv.OPENBLAS_NUM_THREADS", "1")
                    .set("spark.executor.memory", "1g").set("spark.executor.cores", "1").set("spark.cores.max", "2")
                    // the session starts once both executors have registered (Spark's own wait), so that the first
                    // barrier stage finds its 2 slots
                    .set("spark.scheduler.minRegisteredResourcesRatio", "1.0")
                    .set("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s");
            SparkSession spark = session(conf);
            try {
                if (settings.parts().contains("throughput")) {
                    throughputRows(spark, STANDALONE);
                }
                if (settings.parts().contains("allreduce")) {
                    allReduce(spark, STANDALONE);
                }
            } finally {
                spark.stop();
            }
        }
    }

    /** A session of conf, its log level WARN. */
    static SparkSession session(SparkConf conf) {
        SparkSession s = SparkSession.builder().config(conf).getOrCreate();
        s.sparkContext().setLogLevel("WARN");
        return s;
    }

    /** The settings of every benchmark session: the Kryo settings of conf/spark-defaults.conf, the driver on 127.0.0.1. */
    static SparkConf conf(String master) {
        return new SparkConf().setMaster(master).setAppName("sparkgrad-spark-benchmark")
                .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .set("spark.kryo.registrator", "org.sparkgrad.spark.SparkgradKryoRegistrator")
                .set("spark.kryo.registrationRequired", "true")
                .set("spark.kryoserializer.buffer.max", "512m")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.sql.shuffle.partitions", "2")
                .set("spark.ui.showConsoleProgress", "false");
    }

    /** Adds a row to group (rows print group by group, in the order the groups first came). */
    private void row(String group, String... cells) {
        table.computeIfAbsent(group, g -> new ArrayList<>()).add(cells);
    }

    /** The cluster in words, for the settings column. */
    private static String where(String master) {
        return master.equals(STANDALONE) ? "standalone Master + Worker on 127.0.0.1, 2 executors x 1 core" : master;
    }

    /** Records when every step ends. */
    static final class StepClock {
        final List<Long> ends = new ArrayList<>();

        void mark() {
            ends.add(System.nanoTime());
        }

        /** The step intervals (ms) after the first {@code warmup} steps. */
        double[] intervals(int warmup) {
            double[] d = new double[ends.size() - 1 - warmup];
            for (int i = 0; i < d.length; i++) {
                d[i] = (ends.get(warmup + i + 1) - ends.get(warmup + i)) / 1e6;
            }
            return d;
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    static DataParallelTrainer mlpTrainer() {
        return new DataParallelTrainer(SparkBenchmark::mlp, () -> new CrossEntropyLoss(Reduction.SUM), p -> new SGD(p, LR))
                .classLabels(true).seed(0).logEvery(0);
    }

    static Sequential mlp() {
        Generator g = new Generator(0);
        return new Sequential(new Linear(FEATURES, HIDDEN, true, g), new Sigmoid(), new Linear(HIDDEN, HIDDEN, true, g),
                new Sigmoid(), new Linear(HIDDEN, CLASSES, true, g));
    }

    // ---- 2. throughput -------------------------------------------------------------------------------

    /**
     * An untimed barrier fit of {@link #WARMUP_STEPS} steps before a session's throughput rows: the JIT
     * compiles the step's SIMD loops only after a second or more of steps (in every executor JVM), and the
     * 10 warmup steps of a timed row are a few milliseconds; timed before that, a row measures C1 code. Then
     * the per-step-jobs row and the barrier row, all three on the same cached rows.
     */
    private void throughputRows(SparkSession spark, String master) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        try (TrainingData data = TrainingData.synthetic(sc, teacherRows(), rows, partitions, DATA_SEED)) {
            data.rows();
            mlpTrainer().batchSize(BATCH).stepMode("barrier").steps(WARMUP_STEPS).fit(data);
            throughput(data, master, "jobs");
            throughput(data, master, "barrier");
        }
    }

    private void throughput(TrainingData data, String master, String mode) {
        int warmup = 10;
        StepClock clock = new StepClock();
        mlpTrainer().batchSize(BATCH).stepMode(mode).steps(warmup + 1 + steps)
                .listener(StepListener.withoutSparkJobs((s, e, l, m) -> clock.mark())).fit(data);
        double[] ms = clock.intervals(warmup);
        double sum = Arrays.stream(ms).sum();
        double perSec = ms.length * (double) BATCH / (sum / 1e3);
        throughputs.put(master + " " + mode, perSec);
        row("throughput " + mode, "throughput " + master + " " + mode, String.format(Locale.ROOT, "%.0f samples/s", perSec),
                "-", "-", String.format(Locale.ROOT, "B=%d, %d partitions, %d steps timed, median %.2f ms/step; %s",
                BATCH, partitions, ms.length, median(ms), where(master)));
    }

    // ---- 1. all-reduce overhead ----------------------------------------------------------------------

    private void allReduce(SparkSession spark, String master) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        double[] empty = new double[30];
        List<Integer> two = List.of(0, 1);
        for (int i = -5; i < empty.length; i++) {
            long t = System.nanoTime();
            sc.parallelize(two, 2).count();
            if (i >= 0) {
                empty[i] = (System.nanoTime() - t) / 1e6;
            }
        }
        row("empty job", "empty Spark job (2 tasks) " + master, String.format(Locale.ROOT, "%.2f ms/job", median(empty)),
                "-", "-", "sc.parallelize(2 items, 2).count(), median of 30; " + where(master));
        allReduceCase(sc, master, 2940, smallSteps);
        allReduceCase(sc, master, 29_400, midSteps);
        allReduceCase(sc, master, 294_000, largeSteps);
    }

    /** Both step modes at one model size, each next to the plain loop's time at the same size. */
    private void allReduceCase(JavaSparkContext sc, String master, int hidden, int timed) {
        long parameters = (long) FEATURES * hidden + hidden + hidden + 1;
        double plain = plainLoop(sc, (int) parameters, timed);
        allReduceCase(sc, master, hidden, timed, "jobs", plain, false);
        if (parameters >= SHARD_ABOVE) {
            allReduceCase(sc, master, hidden, timed, "barrier", plain, true); // the star exchange beside the sharded
        }
        allReduceCase(sc, master, hidden, timed, "barrier", plain, false);
    }

    /** One row: mode at a model size; star forces the barrier mode's star exchange above the shard threshold. */
    private void allReduceCase(JavaSparkContext sc, String master, int hidden, int timed, String mode, double plain,
            boolean star) {
        int warmup = 3;
        float[] w = new float[FEATURES];
        Arrays.fill(w, 0.1f);
        long parameters = (long) FEATURES * hidden + hidden + hidden + 1;
        try (TrainingData data = TrainingData.synthetic(sc, new LinearRowGenerator(w, 0f, 0.0), 2, 2, DATA_SEED)) {
            data.rows();
            StepClock clock = new StepClock();
            new DataParallelTrainer(() -> new Sequential(new Linear(FEATURES, hidden, true, new Generator(0)),
                    new Linear(hidden, 1, true, new Generator(1))), () -> new MSELoss(Reduction.SUM), p -> new SGD(p, 1e-9))
                    .batchSize(2).seed(0).logEvery(0).stepMode(mode).steps(warmup + 1 + timed)
                    .shardAbove(star ? Long.MAX_VALUE : SHARD_ABOVE)
                    .listener(StepListener.withoutSparkJobs((s, e, l, m) -> clock.mark())).fit(data);
            double[] ms = clock.intervals(warmup);
            boolean sharded = mode.equals("barrier") && parameters >= SHARD_ABOVE && !star;
            String how = sharded ? "barrier sharded" : star ? "barrier star" : mode;
            row("all-reduce " + parameters + " " + how, String.format(Locale.ROOT, "all-reduce %s params %s %s",
                    human(parameters), master, how), String.format(Locale.ROOT, "%.2f ms/step", median(ms)),
                    String.format(Locale.ROOT, "%.2f ms/step", plain), String.format(Locale.ROOT, "%.2f", median(ms) / plain),
                    String.format(Locale.ROOT, "%d params (%.1f MB float32), Linear(32,%d)->Linear(%d,1), 1 row/partition, "
                            + "2 partitions, %s, median of %d (mean %.2f); MLlib column: plain broadcast + treeAggregate"
                            + " of float[%d] on the same cluster, median of %d", parameters, parameters * 4 / 1e6, hidden,
                            hidden, where(master), ms.length, mean(ms), parameters, timed));
        }
    }

    /**
     * Median ms per iteration of MLlib's GradientDescent loop shape on a float[n]: broadcast the weights,
     * treeAggregate over 2 cached partitions a per-partition vector (the weights scaled by the partition's one value,
     * an O(n) pass like a gradient) and update the weights on the driver.
     */
    private static double plainLoop(JavaSparkContext sc, int n, int timed) {
        JavaRDD<float[]> parts = sc.parallelize(List.of(new float[] {1f}, new float[] {2f}), 2).cache();
        parts.count();
        float[] weights = new float[n];
        int warmup = 3;
        double[] ms = new double[timed];
        for (int i = -warmup; i < timed; i++) {
            long t = System.nanoTime();
            org.apache.spark.broadcast.Broadcast<float[]> bc = sc.broadcast(weights);
            float[] g = parts.treeAggregate(new float[n], (acc, row) -> {
                float[] v = bc.value();
                for (int j = 0; j < acc.length; j++) {
                    acc[j] += row[0] * v[j] + 1e-9f;
                }
                return acc;
            }, (a, b) -> {
                for (int j = 0; j < a.length; j++) {
                    a[j] += b[j];
                }
                return a;
            }, 2);
            for (int j = 0; j < n; j++) {
                weights[j] -= 1e-9f * g[j];
            }
            bc.destroy();
            if (i >= 0) {
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
        }
        parts.unpersist();
        return median(ms);
    }

    private static String human(long n) {
        return n >= 950_000 ? String.format(Locale.ROOT, "%.1fM", n / 1e6) : String.format(Locale.ROOT, "%.0fk", n / 1e3);
    }

    // ---- 3. MLlib comparison -------------------------------------------------------------------------

    private void mllib(SparkSession spark) throws InterruptedException, TimeoutException {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Dataset<Row> df = teacherFrame(spark, sc).cache();
        long n = df.count();
        int iterations = FULL_BATCH_WARMUP + mllibIters;
        try (TrainingData data = TrainingData.fromDataset(df, "features", "label")) {
            data.rows();
            // Ours, full batch: one step over all N rows = one MLlib gd iteration.
            StepClock full = new StepClock();
            mlpTrainer().batchSize((int) n).microBatchSize(MICRO_BATCH).steps(iterations)
                    .listener(StepListener.withoutSparkJobs((s, e, l, m) -> full.mark())).fit(data);
            double oursFull = median(full.intervals(FULL_BATCH_WARMUP - 1));
            // Ours, B = 256: one epoch of N / 256 steps, timed on a stretch of steps after a warmup.
            StepClock small = new StepClock();
            int timed = Math.min(steps, (int) (n / BATCH));
            mlpTrainer().batchSize(BATCH).steps(10 + 1 + timed).listener(StepListener.withoutSparkJobs((s, e, l, m) -> small.mark())).fit(data);
            double perStep = mean(small.intervals(10));
            long stepsPerEpoch = (n + BATCH - 1) / BATCH;
            double oursEpoch = perStep * stepsPerEpoch;
            double mllibIter = median(mllibIterations(spark, df, iterations));
            double engine = median(engineFullBatch());
            String settings = String.format(Locale.ROOT, "N=%d cached DataFrame (features vector, label double), %d partitions, "
                    + "local[2], %d-%d-%d-%d sigmoid, SGD lr %.2f; %d warmup + %d timed iterations each, medians", n,
                    df.rdd().getNumPartitions(), FEATURES, HIDDEN, HIDDEN, CLASSES, LR, FULL_BATCH_WARMUP, mllibIters);
            row("full batch", "full-batch GD iteration", ms(oursFull), ms(mllibIter),
                    String.format(Locale.ROOT, "%.2f", oursFull / mllibIter), settings + "; ours B=N, micro-batches of "
                    + MICRO_BATCH + ", step mode auto; MLlib solver gd blockSize " + BATCH + ", tol 0, per iteration "
                    + "between the ends of its GradientDescent treeAggregate jobs");
            double ideal = engine / partitions;
            row("full batch", "  of which engine (1 thread)", ms(engine), "-", "-", String.format(Locale.ROOT,
                    "the same N rows' forward/backward + SGD step on the driver, one thread, micro-batches of %d; over %d "
                    + "partitions on as many cores ideally %.1f ms = %.0f%% of ours, the other %.1f ms (%.0f%%) Spark, "
                    + "exchange and waiting", MICRO_BATCH, partitions, ideal, 100 * ideal / oursFull, oursFull - ideal,
                    100 * (oursFull - ideal) / oursFull));
            row("full batch", "epoch B=256 vs MLlib iteration", ms(oursEpoch), ms(mllibIter),
                    String.format(Locale.ROOT, "%.2f", oursEpoch / mllibIter), String.format(Locale.ROOT,
                    "ours %d steps x %.2f ms (mean of %d) = 1 epoch of %d rows; MLlib one full-batch iteration", stepsPerEpoch,
                    perStep, timed, n));
        } finally {
            df.unpersist();
        }
    }

    private static String ms(double v) {
        return String.format(Locale.ROOT, "%.1f ms", v);
    }

    /**
     * Fits MLlib's MLP for the given number of gd iterations and returns the ms of each iteration after the first
     * {@link #FULL_BATCH_WARMUP}: the times between the ends of consecutive GradientDescent iteration jobs (one
     * treeAggregate job each, seen by a SparkListener; the time includes the driver's update and broadcast in between).
     */
    private double[] mllibIterations(SparkSession spark, Dataset<Row> df, int iterations)
            throws InterruptedException, TimeoutException {
        Set<Integer> gradientJobs = ConcurrentHashMap.newKeySet();
        List<Long> ends = new CopyOnWriteArrayList<>();
        List<String> otherJobs = new CopyOnWriteArrayList<>();
        CountDownLatch all = new CountDownLatch(iterations);
        SparkListener listener = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                for (StageInfo stage : CollectionConverters.asJava(start.stageInfos())) {
                    if (stage.name().startsWith("treeAggregate at GradientDescent")) {
                        gradientJobs.add(start.jobId());
                        return;
                    }
                }
                CollectionConverters.asJava(start.stageInfos()).forEach(stage -> otherJobs.add(stage.name()));
            }

            @Override
            public void onJobEnd(SparkListenerJobEnd end) {
                if (gradientJobs.contains(end.jobId())) {
                    ends.add(end.time());
                    all.countDown();
                }
            }
        };
        spark.sparkContext().addSparkListener(listener);
        try {
            new MultilayerPerceptronClassifier().setLayers(new int[] {FEATURES, HIDDEN, HIDDEN, CLASSES}).setSolver("gd")
                    .setBlockSize(BATCH).setStepSize(LR).setTol(0).setMaxIter(iterations).setSeed(0).fit(df);
            // the listener bus delivers the last job ends after fit returns
            if (!all.await(60, TimeUnit.SECONDS)) {
                throw new TimeoutException("expected " + iterations + " MLlib iteration jobs (treeAggregate at "
                        + "GradientDescent), saw " + ends.size() + "; the other jobs' stages: " + otherJobs);
            }
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        double[] ms = new double[iterations - FULL_BATCH_WARMUP];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = ends.get(FULL_BATCH_WARMUP + i) - ends.get(FULL_BATCH_WARMUP + i - 1);
        }
        return ms;
    }

    /**
     * The engine alone on this thread: ms of each timed full-batch iteration (forward and backward of all rows in
     * micro-batches of {@link #MICRO_BATCH}, the gradient averaged by the learning rate over N, one SGD step) on
     * the rows of {@link #teacherFrame}.
     */
    private double[] engineFullBatch() {
        float[] x = new float[rows * FEATURES];
        float[] y = new float[rows];
        TeacherRowGenerator gen = teacherRows();
        for (int p = 0; p < partitions; p++) {
            int first = (int) ((long) rows * p / partitions);
            int count = (int) ((long) rows * (p + 1) / partitions) - first;
            float[] px = new float[count * FEATURES];
            float[] py = new float[count];
            gen.generate(DATA_SEED, p, first, count, px, py);
            System.arraycopy(px, 0, x, first * FEATURES, px.length);
            System.arraycopy(py, 0, y, first, count);
        }
        Sequential model = mlp();
        CrossEntropyLoss loss = new CrossEntropyLoss(Reduction.SUM);
        SGD opt = new SGD(model.parameters(), LR / rows);
        double[] ms = new double[mllibIters];
        for (int it = -FULL_BATCH_WARMUP; it < mllibIters; it++) {
            long t = System.nanoTime();
            opt.zeroGrad();
            for (int start = 0; start < rows; start += MICRO_BATCH) {
                int m = Math.min(MICRO_BATCH, rows - start);
                double[] labels = new double[m];
                for (int i = 0; i < m; i++) {
                    labels[i] = y[start + i];
                }
                Tensor out = model.call(Tensor.tensor(Arrays.copyOfRange(x, start * FEATURES, (start + m) * FEATURES), m,
                        FEATURES));
                loss.forward(out, Tensor.tensor(labels, DType.INT64, m)).backward();
            }
            opt.step();
            if (it >= 0) {
                ms[it] = (System.nanoTime() - t) / 1e6;
            }
        }
        return ms;
    }

    /** synthetic-mlp's classification rows: a fixed teacher MLP of the student's shape labels them by arg-max. */
    private static TeacherRowGenerator teacherRows() {
        return new TeacherRowGenerator(FEATURES, new int[] {HIDDEN, HIDDEN}, CLASSES, true, DATA_SEED + 1000);
    }

    /** The teacher rows as a DataFrame (features: ML vector, label: double), made on the executors. */
    private Dataset<Row> teacherFrame(SparkSession spark, JavaSparkContext sc) {
        TeacherRowGenerator gen = teacherRows();
        List<Integer> ids = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            ids.add(p);
        }
        long n = rows;
        int parts = partitions;
        JavaRDD<Row> rdd = sc.parallelize(ids, parts).mapPartitionsWithIndex((p, it) -> {
            long first = n * p / parts;
            int count = (int) (n * (p + 1) / parts - first);
            float[] x = new float[count * FEATURES];
            float[] y = new float[count];
            gen.generate(DATA_SEED, p, first, count, x, y);
            List<Row> out = new ArrayList<>(count);
            for (int r = 0; r < count; r++) {
                double[] f = new double[FEATURES];
                for (int j = 0; j < FEATURES; j++) {
                    f[j] = x[r * FEATURES + j];
                }
                out.add(RowFactory.create(Vectors.dense(f), (double) y[r]));
            }
            Iterator<Row> rowsOut = out.iterator();
            return rowsOut;
        }, true);
        StructType schema = new StructType(new StructField[] {
            new StructField("features", new VectorUDT(), false, Metadata.empty()),
            new StructField("label", DataTypes.DoubleType, false, Metadata.empty())});
        return spark.createDataFrame(rdd, schema);
    }

    // ---- output --------------------------------------------------------------------------------------

    private void print() {
        List<String[]> rowsOut = table.values().stream().flatMap(List::stream).toList();
        String[] head = {"case", "ours", "MLlib", "ours/MLlib", "settings"};
        int[] width = new int[4];
        for (int c = 0; c < 4; c++) {
            width[c] = head[c].length();
            for (String[] r : rowsOut) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        String fmt = "%-" + width[0] + "s  %" + width[1] + "s  %" + width[2] + "s  %" + width[3] + "s  %s%n";
        System.out.println();
        System.out.printf(Locale.ROOT, fmt, (Object[]) head);
        for (String[] r : rowsOut) {
            System.out.printf(Locale.ROOT, fmt, (Object[]) r);
        }
    }
}
