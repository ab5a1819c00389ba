package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.F;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.optim.Adam;
import org.sparkgrad.engine.optim.Optimizer;
import org.sparkgrad.engine.optim.SGD;

/**
 * The general training step: {@link TrainStep}s over {@link TensorBatch}es of several named inputs, MEAN losses weighted
 * by their micro-batch rows, each compared with a one-process loop over the same global batches.
 */
class GeneralStepTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[3]");
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** A model of three inputs: a 1x3x3 image through a linear layer, two token ids through an embedding, a head. */
    static final class MultiInputNet extends Module {
        private final Linear image;
        private final Parameter embedding;
        private final Linear head;

        MultiInputNet() {
            Generator g = new Generator(3);
            image = registerModule("image", new Linear(9, 4, true, g));
            embedding = registerParameter("embedding", new Parameter(Tensor.randn(g, 5, 2)));
            head = registerModule("head", new Linear(8, 3, true, g));
        }

        Tensor forward(Tensor img, Tensor tokens) {
            int m = img.size(0);
            Tensor a = image.call(img.reshape(m, 9)).tanh();
            Tensor e = embedding.indexSelect(0, tokens.reshape(m * 2)).reshape(m, 4);
            return head.call(Tensor.cat(1, a, e));
        }

        @Override
        public Tensor forward(Tensor input) {
            throw new UnsupportedOperationException("MultiInputNet takes an image and tokens");
        }
    }

    /** Cross entropy of the three-input model, each row's loss weighted by its "weight" input, averaged. */
    private static final TrainStep WEIGHTED_CE = (model, b) -> {
        Tensor logits = ((MultiInputNet) model).forward(b.get("image"), b.get("tokens"));
        return F.crossEntropy(logits, b.get("label"), Reduction.NONE).mul(b.get("weight")).mean();
    };

    private static final SerializableFunction<Map<String, Parameter>, Optimizer> ADAM = p -> new Adam(p, 0.05);

    private static final StructType SCHEMA = new StructType()
            .add("pixels", DataTypes.createArrayType(DataTypes.FloatType))
            .add("w", DataTypes.DoubleType)
            .add("ids", DataTypes.createArrayType(DataTypes.IntegerType))
            .add("y", DataTypes.LongType);

    /** The three-input rows: 9 pixels ~ N(0, 1), a weight in [0.5, 1.5), two ids in [0, 5) and a class in [0, 3). */
    private static List<Row> multiInputRows(int n) {
        Generator g = new Generator(21);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] px = new float[9];
            for (int j = 0; j < 9; j++) {
                px[j] = (float) g.nextNormal();
            }
            double w = 0.5 + (i % 10) / 10.0;
            int y = (px[0] + px[4] > 0 ? 1 : 0) + (i % 4 == 0 ? 1 : 0);
            rows.add(RowFactory.create(px, w, new int[] {i % 5, (3 * i + 1) % 5}, (long) y));
        }
        return rows;
    }

    /** The one-process batch of the given rows, built as the executors build theirs. */
    private static TensorBatch multiInputBatch(List<Row> rows, long[] globalRows) {
        int b = globalRows.length;
        float[] px = new float[b * 9];
        float[] w = new float[b];
        double[] ids = new double[b * 2];
        double[] y = new double[b];
        for (int i = 0; i < b; i++) {
            Row r = rows.get((int) globalRows[i]);
            System.arraycopy((float[]) r.get(0), 0, px, i * 9, 9);
            w[i] = (float) r.getDouble(1);
            int[] t = (int[]) r.get(2);
            ids[2 * i] = t[0];
            ids[2 * i + 1] = t[1];
            y[i] = r.getLong(3);
        }
        return new TensorBatch(Map.of("image", Tensor.tensor(px, b, 1, 3, 3), "weight", Tensor.tensor(w, b),
                "tokens", Tensor.tensor(ids, DType.INT64, b, 2), "label", Tensor.tensor(y, DType.INT64, b)), b);
    }

    /**
     * The one-process loop: step s of epoch e takes positions [t*B, (t+1)*B) of KeyedPermutation(N, seed, e) as one
     * batch, runs the step (a SUM loss divided by the batch's rows, as the trainer divides), backward, and the optimizer.
     */
    static List<Map<String, float[]>> referenceSteps(SerializableSupplier<Module> modelFactory, TrainStep step,
            Reduction reduction, SerializableFunction<Map<String, Parameter>, Optimizer> optimizer,
            Function<long[], TensorBatch> batchOf, long rows, int batch, long steps, long seed) {
        Module m = modelFactory.get();
        Optimizer opt = optimizer.apply(m.namedParameters());
        BatchPlan plan = new BatchPlan(rows, batch, false);
        List<Map<String, float[]>> out = new ArrayList<>();
        for (long s = 0; s < steps; s++) {
            long epoch = s / plan.stepsPerEpoch();
            long t = s % plan.stepsPerEpoch();
            KeyedPermutation order = new KeyedPermutation(rows, seed, epoch);
            long[] global = new long[(int) (plan.end(t) - plan.start(t))];
            for (int i = 0; i < global.length; i++) {
                global[i] = order.indexAt(plan.start(t) + i);
            }
            opt.zeroGrad();
            Tensor loss = step.loss(m, batchOf.apply(global));
            (reduction == Reduction.SUM ? loss.div((double) global.length) : loss).backward();
            opt.step();
            try (GradMode.Scope g = GradMode.noGrad()) {
                out.add(SparkTestSupport.snapshot(m));
            }
        }
        return out;
    }

    static void assertSameSteps(List<Map<String, float[]>> expected, List<Map<String, float[]>> actual, double tol,
            String what) {
        assertEquals(expected.size(), actual.size(), what + ": steps");
        for (int s = 0; s < expected.size(); s++) {
            double d = SparkTestSupport.maxRelativeDifference(actual.get(s), expected.get(s), 1e-6);
            assertTrue(d <= tol, what + ": step " + (s + 1) + " differs from the one-process loop by " + d
                    + " (relative) at " + SparkTestSupport.worst(actual.get(s), expected.get(s), 1e-6));
        }
    }

    @Test
    void aStepOverSeveralNamedInputsEqualsTheOneProcessLoopWithOneTwoAndThreePartitions() {
        List<Row> rows = multiInputRows(45);
        BatchSpec spec = new BatchSpec().floats("image", "pixels", 1, 3, 3).floats("weight", "w").longs("tokens", "ids", 2)
                .classes("label", "y", 3);
        List<Map<String, float[]>> expected = referenceSteps(MultiInputNet::new, WEIGHTED_CE, Reduction.MEAN, ADAM,
                g -> multiInputBatch(rows, g), 45, 10, 10, 5);
        for (int partitions = 1; partitions <= 3; partitions++) {
            Dataset<Row> df = SparkTestSupport.ordered(spark, rows, SCHEMA, partitions);
            List<Map<String, float[]>> seen = new ArrayList<>();
            DataParallelTrainer trainer = DataParallelTrainer.forStep(MultiInputNet::new, WEIGHTED_CE, Reduction.MEAN, ADAM)
                    .batchSize(10).steps(10).seed(5).logEvery(0).microBatchSize(partitions == 3 ? 2 : 1024)
                    .stepMode(partitions == 2 ? "jobs" : "auto")
                    .listener((s, e, loss, model) -> seen.add(SparkTestSupport.snapshot(model)));
            try (TrainingData data = TrainingData.fromColumns(df, spec)) {
                if (partitions == 2) {
                    data.maxBlockRows(4);
                }
                TrainingResult r = trainer.fit(data);
                assertEquals(10, r.lossHistory().size());
                assertEquals(partitions, data.numPartitions());
            }
            assertSameSteps(expected, seen, 1e-5, partitions + " partition(s)");
        }
    }

    /** n rows of 3 features and y = 1.5 x0 - 2 x1 + 0.5 x2 + 0.3 + 0.1 noise. */
    private static float[][] regressionRows(int n) {
        return DataParallelTrainerTest.regressionRows(n, 4);
    }

    private static final SerializableSupplier<Module> MLP = () -> {
        Generator g = new Generator(7);
        return new org.sparkgrad.engine.nn.Sequential(new Linear(3, 5, true, g), new org.sparkgrad.engine.nn.Tanh(),
                new Linear(5, 1, true, g));
    };

    private List<Map<String, float[]>> fitMlp(DataParallelTrainer trainer, float[][] rows, List<Double> losses) {
        List<Map<String, float[]>> seen = new ArrayList<>();
        trainer.batchSize(8).epochs(2).seed(3).logEvery(0).microBatchSize(3)
                .listener((s, e, loss, model) -> seen.add(SparkTestSupport.snapshot(model)));
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            losses.addAll(trainer.fit(data).lossHistory());
        }
        return seen;
    }

    @Test
    void aMeanLossWeightedByMicroBatchRowsEqualsTheSumPathAndTheOneProcessMean() {
        float[][] rows = regressionRows(37); // uneven: micro-batches of 3 and the last batch of 5 rows
        SerializableFunction<Map<String, Parameter>, Optimizer> sgd = p -> new SGD(p, 0.05, 0.9);
        List<Double> sumLosses = new ArrayList<>();
        List<Double> meanLosses = new ArrayList<>();
        List<Double> stepLosses = new ArrayList<>();
        List<Map<String, float[]>> sum = fitMlp(new DataParallelTrainer(MLP, () -> new MSELoss(Reduction.SUM), sgd), rows,
                sumLosses);
        List<Map<String, float[]>> mean = fitMlp(new DataParallelTrainer(MLP, MSELoss::new, sgd), rows, meanLosses);
        // the same MEAN loss as a train step over the "features" and "labels" of an RDD source
        List<Map<String, float[]>> step = fitMlp(DataParallelTrainer.forStep(MLP,
                (m, b) -> F.mseLoss(m.call(b.get("features")), b.get("labels")), Reduction.MEAN, sgd), rows, stepLosses);
        List<Map<String, float[]>> reference = SparkTestSupport.reference(rows, 3, 1, false, MLP, new MSELoss(), sgd, 8,
                10, 3, false);
        assertSameSteps(sum, mean, 1e-5, "MEAN loss vs SUM loss");
        assertSameSteps(reference, mean, 1e-5, "MEAN loss vs one process");
        assertSameSteps(mean, step, 0, "MEAN train step vs MEAN loss module");
        assertEquals(10, sumLosses.size());
        for (int s = 0; s < sumLosses.size(); s++) {
            assertEquals(sumLosses.get(s), meanLosses.get(s), 1e-6 * Math.abs(sumLosses.get(s)), "loss of step " + (s + 1));
        }
        assertEquals(meanLosses, stepLosses);
    }

    @Test
    void aLossTrainerNeedsInputsNamedFeaturesAndLabels() {
        List<Row> rows = multiInputRows(6);
        try (TrainingData data = TrainingData.fromColumns(spark.createDataFrame(rows, SCHEMA),
                new BatchSpec().floats("image", "pixels", 9).classes("label", "y", 3))) {
            TrainingException e = assertThrows(TrainingException.class,
                    () -> new DataParallelTrainer(MLP, MSELoss::new, ADAM).batchSize(3).fit(data));
            assertEquals("a trainer built with a loss computes loss(model(features), labels), but the data's inputs are"
                    + " [image, label]: name them 'features' and 'labels', or train with DataParallelTrainer.forStep and a"
                    + " step that reads them", e.getMessage());
        }
        assertEquals("the loss must reduce each micro-batch to one number with Reduction.MEAN or Reduction.SUM (the"
                + " trainer weights micro-batch means by their rows and divides the sums by the global batch size), got"
                + " NONE; e.g. new MSELoss(Reduction.MEAN)", assertThrows(TrainingException.class,
                        () -> DataParallelTrainer.forStep(MLP, WEIGHTED_CE, Reduction.NONE, ADAM)).getMessage());
    }

    @Test
    void aStepThatDoesNotReduceToOneNumberFailsTheStepWithItsShape() {
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(regressionRows(6)), 1), 3, 1)) {
            TrainingException e = assertThrows(TrainingException.class, () -> DataParallelTrainer.forStep(MLP,
                    (m, b) -> F.mseLoss(m.call(b.get("features")), b.get("labels"), Reduction.NONE), Reduction.MEAN,
                    ADAM).batchSize(3).logEvery(0).fit(data));
            assertTrue(e.getMessage().endsWith("the loss must reduce to one number (Reduction.MEAN), got shape [3, 1]"),
                    e.getMessage());
        }
    }
}
