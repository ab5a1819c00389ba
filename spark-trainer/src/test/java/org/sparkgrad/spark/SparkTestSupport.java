package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.optim.Optimizer;

/** A local Spark session with the Kryo settings the trainer requires, and the one-process reference loop. */
public final class SparkTestSupport {
    private SparkTestSupport() {
    }

    /** A session on master (e.g. local[2]) with Kryo, our registrator and registrationRequired. */
    public static SparkSession session(String master) {
        return session(master, Map.of());
    }

    /** {@link #session(String)} with more settings. */
    static SparkSession session(String master, Map<String, String> more) {
        SparkConf conf = new SparkConf().setMaster(master).setAppName("sparkgrad-test")
                .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .set("spark.kryo.registrator", "org.sparkgrad.spark.SparkgradKryoRegistrator")
                .set("spark.kryo.registrationRequired", "true")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.sql.shuffle.partitions", "4")
                .set("spark.ui.showConsoleProgress", "false");
        more.forEach(conf::set);
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /**
     * rows as a Dataset of the given partitions, in order (partition p holds a contiguous slice), so global row i is
     * rows[i]; the Row objects are made in the tasks (Kryo with registrationRequired does not ship them). Arrays in
     * rows must be Java arrays (float[], int[]), as Spark's row encoder takes them.
     */
    static org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> ordered(SparkSession spark,
            List<org.apache.spark.sql.Row> rows, org.apache.spark.sql.types.StructType schema, int partitions) {
        List<Integer> index = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            index.add(i);
        }
        List<org.apache.spark.sql.Row> copy = new ArrayList<>(rows);
        org.apache.spark.api.java.JavaSparkContext sc = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(
                spark.sparkContext());
        return spark.createDataFrame(sc.parallelize(index, partitions).map(copy::get), schema);
    }

    /** Parameter values by name (copies). */
    static Map<String, float[]> snapshot(Module m) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        m.namedParameters().forEach((k, v) -> out.put(k, v.detach().toFloatArray()));
        return out;
    }

    /**
     * The single-process engine run the distributed one must match: epoch e visits positions of
     * KeyedPermutation(N, seed, e) in global batches of B; the loss (MEAN reduction) of each batch is
     * back-propagated and the optimizer steps. Returns the parameters after every step.
     */
    static List<Map<String, float[]>> reference(float[][] rows, int featureDim, int labelDim, boolean classLabels,
            SerializableSupplier<Module> model, Loss meanLoss, SerializableFunction<Map<String, org.sparkgrad.engine.nn.Parameter>,
            Optimizer> optimizer, int batch, long steps, long seed, boolean dropLast) {
        Module m = model.get();
        Optimizer opt = optimizer.apply(m.namedParameters());
        BatchPlan plan = new BatchPlan(rows.length, batch, dropLast);
        List<Map<String, float[]>> out = new ArrayList<>();
        for (long s = 0; s < steps; s++) {
            long epoch = s / plan.stepsPerEpoch();
            long t = s % plan.stepsPerEpoch();
            KeyedPermutation order = new KeyedPermutation(rows.length, seed, epoch);
            int b = (int) (plan.end(t) - plan.start(t));
            float[] x = new float[b * featureDim];
            double[] y = new double[b * labelDim];
            for (int i = 0; i < b; i++) {
                float[] row = rows[(int) order.indexAt(plan.start(t) + i)];
                System.arraycopy(row, 0, x, i * featureDim, featureDim);
                for (int j = 0; j < labelDim; j++) {
                    y[i * labelDim + j] = row[featureDim + j];
                }
            }
            Tensor target = classLabels ? Tensor.tensor(y, org.sparkgrad.engine.DType.INT64, b)
                    : Tensor.tensor(y, org.sparkgrad.engine.DType.FLOAT32, b, labelDim);
            opt.zeroGrad();
            meanLoss.forward(m.forward(Tensor.tensor(x, b, featureDim)), target).backward();
            opt.step();
            try (GradMode.Scope g = GradMode.noGrad()) {
                out.add(snapshot(m));
            }
        }
        return out;
    }

    /**
     * The largest difference between a and b relative to each parameter tensor's scale: max over tensors of
     * {@code max_i |a_i - b_i| / max(max_i |b_i|, floor)}. Elementwise relative differences are meaningless
     * for elements that pass near zero (float sums in another order differ there by ~1e-7 of the tensor's
     * scale), so "1e-5 relative" is measured against the tensor's largest element.
     */
    static double maxRelativeDifference(Map<String, float[]> a, Map<String, float[]> b, double floor) {
        double worst = 0;
        for (Map.Entry<String, float[]> e : b.entrySet()) {
            worst = Math.max(worst, relative(a.get(e.getKey()), e.getValue(), floor));
        }
        return worst;
    }

    private static double relative(float[] x, float[] y, double floor) {
        double scale = floor;
        for (float v : y) {
            scale = Math.max(scale, Math.abs(v));
        }
        double d = 0;
        for (int i = 0; i < y.length; i++) {
            d = Math.max(d, Math.abs(x[i] - y[i]));
        }
        return d / scale;
    }

    /** The tensor with the largest relative difference, with both values (for failure messages). */
    static String worst(Map<String, float[]> a, Map<String, float[]> b, double floor) {
        double worst = -1;
        String at = "";
        for (Map.Entry<String, float[]> e : b.entrySet()) {
            double d = relative(a.get(e.getKey()), e.getValue(), floor);
            if (d > worst) {
                worst = d;
                at = e.getKey() + ": " + java.util.Arrays.toString(a.get(e.getKey())) + " vs "
                        + java.util.Arrays.toString(e.getValue());
            }
        }
        return at;
    }
}
