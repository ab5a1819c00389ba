package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.BatchContext;
import org.sparkgrad.engine.nn.BatchNorm2d;
import org.sparkgrad.engine.nn.Conv2d;
import org.sparkgrad.engine.nn.Dropout;
import org.sparkgrad.engine.nn.F;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.optim.Optimizer;
import org.sparkgrad.engine.optim.SGD;

/**
 * Batch norm and dropout trained data-parallel: with 1, 2 and 3 partitions (uneven, several blocks, a micro-batch size
 * the trainer must not apply) the parameters and running statistics after every step equal a one-process loop over
 * the same global batches in one {@link BatchContext} scope with the same keys (the rows' global indices).
 */
class BatchNormDropoutTest {
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[3]");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /**
     * [m, 1, 4, 4] images: Conv2d(1, 3, 3x3, padding 1, no bias: batch norm cancels it), BatchNorm2d(3), ReLU,
     * Dropout(0.3), flatten, Linear(48, 3).
     */
    static final class BnNet extends Module {
        private final Conv2d conv;
        private final BatchNorm2d norm;
        private final Dropout drop;
        private final Linear head;

        BnNet() {
            Generator g = new Generator(17);
            conv = registerModule("conv", new Conv2d(1, 3, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1},
                    new int[] {1, 1}, 1, false, g));
            norm = registerModule("norm", new BatchNorm2d(3));
            drop = registerModule("drop", new Dropout(0.3, g));
            head = registerModule("head", new Linear(48, 3, true, g));
        }

        @Override
        public Tensor forward(Tensor x) {
            int m = x.size(0);
            Tensor c = conv.call(x); // [m, 3, 4, 4]
            Tensor h = drop.call(norm.call(c).relu());
            return head.call(h.reshape(m, 48));
        }
    }

    private static final TrainStep CE = (model, b) -> F.crossEntropy(model.call(b.get("image")), b.get("label"));
    private static final SerializableFunction<Map<String, Parameter>, Optimizer> SGD_M = p -> new SGD(p, 0.1, 0.9);
    private static final BatchSpec SPEC = new BatchSpec().floats("image", "pixels", 1, 4, 4).classes("label", "y", 3);
    private static final StructType SCHEMA = new StructType()
            .add("pixels", DataTypes.createArrayType(DataTypes.FloatType)).add("y", DataTypes.IntegerType);

    private static final int N = 37;

    private static float[][] images() {
        return images(8);
    }

    private static float[][] images(long seed) {
        Generator g = new Generator(seed);
        float[][] px = new float[N][16];
        for (float[] row : px) {
            for (int j = 0; j < 16; j++) {
                row[j] = (float) (g.nextNormal() + 0.5);
            }
        }
        return px;
    }

    private static int label(float[] px) {
        return px[0] + px[5] > 1.2 ? 2 : px[10] > 0.5 ? 1 : 0;
    }

    private static Dataset<Row> frame(float[][] px, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (float[] p : px) {
            rows.add(RowFactory.create(p, label(p)));
        }
        return SparkTestSupport.ordered(spark, rows, SCHEMA, partitions);
    }

    /** Parameters and buffers by name (copies). */
    private static Map<String, float[]> state(Module m) {
        Map<String, float[]> out = new LinkedHashMap<>(SparkTestSupport.snapshot(m));
        m.namedBuffers().forEach((k, v) -> out.put(k, v.to(DType.FLOAT32).toFloatArray()));
        return out;
    }

    /** The one-process loop: the global batch of each step in one forward/backward in one BatchContext scope. */
    private static List<Map<String, float[]>> reference(float[][] px, long steps) {
        Module m = new BnNet();
        Optimizer opt = SGD_M.apply(m.namedParameters());
        BatchPlan plan = new BatchPlan(N, 12, false);
        List<Map<String, float[]>> out = new ArrayList<>();
        for (long s = 0; s < steps; s++) {
            KeyedPermutation order = new KeyedPermutation(N, 2, s / plan.stepsPerEpoch());
            long t = s % plan.stepsPerEpoch();
            int b = (int) (plan.end(t) - plan.start(t));
            long[] keys = new long[b];
            float[] x = new float[b * 16];
            double[] y = new double[b];
            for (int i = 0; i < b; i++) {
                keys[i] = order.indexAt(plan.start(t) + i);
                System.arraycopy(px[(int) keys[i]], 0, x, i * 16, 16);
                y[i] = label(px[(int) keys[i]]);
            }
            TensorBatch batch = new TensorBatch(Map.of("image", Tensor.tensor(x, b, 1, 4, 4), "label",
                    Tensor.tensor(y, DType.INT64, b)), b);
            opt.zeroGrad();
            try (BatchContext.Scope scope = BatchContext.open(s, keys, local -> local)) {
                CE.loss(m, batch).backward();
            }
            opt.step();
            try (GradMode.Scope g = GradMode.noGrad()) {
                out.add(state(m));
            }
        }
        return out;
    }

    private static DataParallelTrainer trainer(List<Map<String, float[]>> seen) {
        return DataParallelTrainer.forStep(BnNet::new, CE, Reduction.MEAN, SGD_M).batchSize(12).steps(8).seed(2)
                .logEvery(0).microBatchSize(2).listener((s, e, loss, model) -> seen.add(state(model)));
    }

    @Test
    void batchNormAndDropoutEqualOneProcessWithOneTwoAndThreePartitions() {
        float[][] px = images();
        List<Map<String, float[]>> expected = reference(px, 8);
        for (int partitions = 1; partitions <= 3; partitions++) {
            List<Map<String, float[]>> seen = new ArrayList<>();
            try (TrainingData data = TrainingData.fromColumns(frame(px, partitions), SPEC)) {
                if (partitions == 3) {
                    data.maxBlockRows(5); // several blocks per partition, merged into one micro-batch per step
                }
                TrainingResult r = trainer(seen).verifyGradients(3).fit(data);
                assertEquals(8, r.lossHistory().size());
                assertEquals(8L, r.buffers().get("norm.num_batches_tracked").toLongArray()[0]);
                assertArrayEquals(expected.get(7).get("norm.running_var"),
                        r.buffers().get("norm.running_var").toFloatArray(), 1e-5f);
            }
            GeneralStepTest.assertSameSteps(expected, seen, 1e-5, partitions + " partition(s)");
        }
    }

    /** The mean cross entropy of model in eval mode over all rows px, in one process. */
    private static double evalLoss(Module model, float[][] px) {
        float[] x = new float[px.length * 16];
        double[] y = new double[px.length];
        for (int i = 0; i < px.length; i++) {
            System.arraycopy(px[i], 0, x, i * 16, 16);
            y[i] = label(px[i]);
        }
        model.eval();
        try (GradMode.Scope g = GradMode.noGrad()) {
            return CE.loss(model, new TensorBatch(Map.of("image", Tensor.tensor(x, px.length, 1, 4, 4), "label",
                    Tensor.tensor(y, DType.INT64, px.length)), px.length)).item();
        }
    }

    @Test
    void theValidationLossOfABatchNormModelUsesItsRunningStatistics() {
        float[][] held = images(9);
        try (TrainingData data = TrainingData.fromColumns(frame(images(), 2), SPEC);
                TrainingData validation = TrainingData.fromColumns(frame(held, 2), SPEC)) {
            TrainingResult r = DataParallelTrainer.forStep(BnNet::new, CE, Reduction.MEAN, SGD_M).batchSize(12)
                    .epochs(2).seed(2).logEvery(0).validation(validation).fit(data);
            Module trained = new BnNet();
            Map<String, Tensor> state = new LinkedHashMap<>(r.parameters());
            state.putAll(r.buffers());
            trained.loadStateDict(state, true);
            double expected = evalLoss(trained, held);
            assertEquals(2, r.validationLoss().size());
            assertEquals(expected, r.validationLoss().get(1), 1e-5 * Math.abs(expected));
            // the default running statistics (mean 0, variance 1) give another loss, so the check above has teeth
            Module defaults = new BnNet();
            defaults.loadStateDict(new LinkedHashMap<>(r.parameters()), false);
            assertTrue(Math.abs(evalLoss(defaults, held) - expected) > 1e-3 * Math.abs(expected),
                    "eval with default running statistics " + evalLoss(defaults, held) + " vs trained " + expected);
        }
    }

    @Test
    void dropoutMasksFollowTheSampleKeysNotThePartitioning() {
        // one-process runs with and without the scope differ (the scope's masks are keyed), so equality above is
        // not an accident of dropout being off
        Module a = new BnNet();
        Module b = new BnNet();
        Tensor x = Tensor.randn(new Generator(1), 6, 1, 4, 4);
        Tensor scoped;
        try (BatchContext.Scope s = BatchContext.open(0, new long[] {5, 1, 9, 2, 7, 3}, local -> local)) {
            scoped = a.call(x);
        }
        Tensor unscoped = b.call(x);
        assertNotEquals(java.util.Arrays.toString(scoped.toFloatArray()), java.util.Arrays.toString(unscoped.toFloatArray()));
    }

    @Test
    void perStepJobsRefuseABatchNormModelNamingTheBarrierMode() {
        try (TrainingData data = TrainingData.fromColumns(frame(images(), 2), SPEC)) {
            TrainingException e = assertThrows(TrainingException.class,
                    () -> trainer(new ArrayList<>()).stepMode("jobs").fit(data));
            assertEquals("stepMode(\"jobs\") cannot train this model: the model has batch norm, whose statistics are"
                    + " summed over all partitions within each step through the driver, which only barrier stages do; use"
                    + " stepMode(\"barrier\") (--step-mode barrier) or \"auto\"", e.getMessage());
        }
    }

    @Test
    void checkpointsHoldTheRunningStatisticsAndAResumeEndsLikeAnUninterruptedRun(@TempDir Path dir) {
        float[][] px = images();
        List<Map<String, float[]>> whole = new ArrayList<>();
        try (TrainingData data = TrainingData.fromColumns(frame(px, 2), SPEC)) {
            trainer(whole).fit(data);
            String uri = dir.toUri().toString();
            trainer(new ArrayList<>()).steps(5).checkpoint(uri, 5).fit(data);
            List<Map<String, float[]>> resumed = new ArrayList<>();
            TrainingResult r = trainer(resumed).checkpoint(uri, 5).resume(true).fit(data);
            assertEquals(5, r.resumedFromStep());
            assertEquals(3, resumed.size());
            for (Map.Entry<String, float[]> e : whole.get(7).entrySet()) {
                assertArrayEquals(e.getValue(), resumed.get(2).get(e.getKey()), e.getKey() + " after the resumed run");
            }
        }
    }
}
