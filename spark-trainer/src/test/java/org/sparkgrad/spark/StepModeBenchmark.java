package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.nn.CrossEntropyLoss;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.nn.Sigmoid;
import org.sparkgrad.engine.optim.SGD;

/**
 * A benchmark, not a test (asserts nothing, surefire does not run it): per-step time of the barrier step loop next to
 * per-step jobs in the same run, on local[2] with 2 partitions, and a plain broadcast + treeAggregate loop of a
 * float[N] over 2 cached partitions (what MLlib's GradientDescent does per iteration) at the same sizes.
 *
 * <ul>
 *   <li>{@code step N}: {@code Linear(32, H) -> Linear(H, 1)} of about N parameters, 1 row per partition per step:
 *       the step's overhead (exchange, load, driver update), per-step jobs, barrier stages with the star exchange
 *       and with the sharded one.</li>
 *   <li>{@code mlp B=256}: the synthetic MLP 32-64-64-10 (sigmoid, cross entropy, SGD), global batch 256.</li>
 * </ul>
 * Run: {@code java <Spark's --add-opens> -cp <spark-trainer test class path> org.sparkgrad.spark.StepModeBenchmark
 * [steps-scale]}.
 */
public final class StepModeBenchmark {
    private StepModeBenchmark() {
    }

    public static void main(String[] args) {
        double scale = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        Logger.getLogger("org.sparkgrad").setLevel(Level.WARNING);
        SparkSession spark = SparkTestSupport.session("local[2]");
        spark.sparkContext().setLogLevel("WARN");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> table = new ArrayList<>();
        try {
            for (int hidden : new int[] {2940, 29_400, 294_000}) {
                long n = 32L * hidden + hidden + hidden + 1;
                int timed = (int) Math.max(5, scale * (hidden < 100_000 ? 60 : hidden < 1_000_000 ? 20 : 8));
                double jobs = overhead(sc, hidden, "jobs", timed, Long.MAX_VALUE);
                double star = overhead(sc, hidden, "barrier", timed, Long.MAX_VALUE);
                double sharded = overhead(sc, hidden, "barrier", timed, 1);
                double plain = plainLoop(sc, (int) n, timed);
                table.add(String.format(Locale.ROOT, "step %-6s  jobs %8.2f ms  barrier star %8.2f ms  barrier sharded"
                        + " %8.2f ms  plain loop %8.2f ms  star/jobs %.2f  star/plain %.2f  sharded/plain %.2f  (%d params,"
                        + " median of %d)", human(n), jobs, star, sharded, plain, star / jobs, star / plain, sharded / plain,
                        n, timed));
            }
            int timed = (int) Math.max(10, scale * 100);
            double jobs = mlp(sc, "jobs", timed);
            double barrier = mlp(sc, "barrier", timed);
            table.add(String.format(Locale.ROOT, "mlp B=256    jobs %8.2f ms  barrier %8.2f ms  barrier/jobs %.2f  = %.0f vs"
                    + " %.0f samples/s (median of %d)", jobs, barrier, barrier / jobs, 256e3 / jobs, 256e3 / barrier, timed));
        } finally {
            spark.stop();
        }
        System.out.println();
        System.out.println("step time by step mode, local[2], 2 partitions, " + Runtime.getRuntime().availableProcessors()
                + " cores");
        table.forEach(System.out::println);
    }

    /** Median ms per step of the Linear(32, H) -> Linear(H, 1) model at 1 row per partition. */
    private static double overhead(JavaSparkContext sc, int hidden, String mode, int timed, long shardAbove) {
        float[] w = new float[32];
        Arrays.fill(w, 0.1f);
        try (TrainingData data = TrainingData.synthetic(sc, new LinearRowGenerator(w, 0f, 0.0), 2, 2, 7)) {
            data.rows();
            List<Long> ends = new ArrayList<>();
            int warmup = 3;
            new DataParallelTrainer(() -> new Sequential(new Linear(32, hidden, true, new Generator(0)),
                    new Linear(hidden, 1, true, new Generator(1))), () -> new MSELoss(Reduction.SUM), p -> new SGD(p, 1e-9))
                    .batchSize(2).seed(0).logEvery(0).stepMode(mode).shardAbove(shardAbove).steps(warmup + 1 + timed)
                    .listener((s, e, l, m) -> ends.add(System.nanoTime())).fit(data);
            return medianInterval(ends, warmup);
        }
    }

    /** Median ms per step of the synthetic MLP at B = 256 on 8192 rows. */
    private static double mlp(JavaSparkContext sc, String mode, int timed) {
        float[] w = new float[32];
        Arrays.fill(w, 0.1f);
        // class labels 0..9 from a linear score of the generated features
        RowGenerator classes = new RowGenerator() {
            private final LinearRowGenerator linear = new LinearRowGenerator(w, 0f, 0.0);

            @Override
            public int featureDim() {
                return 32;
            }

            @Override
            public int labelDim() {
                return 1;
            }

            @Override
            public void generate(long seed, int partition, long firstRow, int count, float[] features, float[] labels) {
                linear.generate(seed, partition, firstRow, count, features, labels);
                for (int i = 0; i < count; i++) {
                    labels[i] = (float) Math.floorMod((long) Math.floor(labels[i] * 4), 10);
                }
            }
        };
        try (TrainingData data = TrainingData.synthetic(sc, classes, 8192, 2, 7)) {
            data.rows();
            List<Long> ends = new ArrayList<>();
            int warmup = 10;
            new DataParallelTrainer(() -> {
                Generator g = new Generator(0);
                return new Sequential(new Linear(32, 64, true, g), new Sigmoid(), new Linear(64, 64, true, g), new Sigmoid(),
                        new Linear(64, 10, true, g));
            }, () -> new CrossEntropyLoss(Reduction.SUM), p -> new SGD(p, 0.03)).classLabels(true).batchSize(256)
                    .seed(0).logEvery(0).stepMode(mode).steps(warmup + 1 + timed)
                    .listener((s, e, l, m) -> ends.add(System.nanoTime())).fit(data);
            return medianInterval(ends, warmup);
        }
    }

    /**
     * Median ms per iteration of MLlib's loop shape on a float[n]: broadcast the weights, treeAggregate over 2 cached
     * partitions a per-partition "gradient" (the weights scaled by the partition's row) and add it on the driver.
     */
    private static double plainLoop(JavaSparkContext sc, int n, int timed) {
        JavaRDD<float[]> rows = sc.parallelize(List.of(new float[] {1f}, new float[] {2f}), 2).cache();
        rows.count();
        float[] weights = new float[n];
        int warmup = 3;
        double[] ms = new double[timed];
        for (int i = -warmup; i < timed; i++) {
            long t = System.nanoTime();
            Broadcast<float[]> bc = sc.broadcast(weights);
            float[] g = rows.treeAggregate(new float[n], (acc, row) -> {
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
        rows.unpersist();
        return median(ms);
    }

    private static double medianInterval(List<Long> ends, int warmup) {
        double[] d = new double[ends.size() - 1 - warmup];
        for (int i = 0; i < d.length; i++) {
            d[i] = (ends.get(warmup + i + 1) - ends.get(warmup + i)) / 1e6;
        }
        return median(d);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String human(long n) {
        return n >= 1_000_000 ? String.format(Locale.ROOT, "%.1fM", n / 1e6) : String.format(Locale.ROOT, "%.0fk", n / 1e3);
    }
}
