package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.serializer.SerializerInstance;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.backend.DeviceOutOfMemoryError;
import org.sparkgrad.engine.nn.CrossEntropyLoss;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.nn.Tanh;
import org.sparkgrad.engine.optim.Adam;
import org.sparkgrad.engine.optim.Optimizer;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.engine.optim.StepLR;
import scala.reflect.ClassTag$;

/** The data-parallel trainer on local[2] with Kryo (registrationRequired): equivalence, batching, errors, d2l. */
class DataParallelTrainerTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    private static final SerializableSupplier<Module> MLP = () -> {
        Generator g = new Generator(7);
        return new Sequential(new Linear(3, 5, true, g), new Tanh(), new Linear(5, 1, true, g));
    };
    private static final SerializableSupplier<Loss> SUM_MSE = () -> new MSELoss(Reduction.SUM);
    private static final SerializableFunction<Map<String, Parameter>, Optimizer> SGD_MOMENTUM = p -> new SGD(p, 0.05, 0.9);

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[2]");
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** n rows of 3 features ~ N(0, 1) and y = 1.5 x0 - 2 x1 + 0.5 x2 + 0.3 + 0.1 noise. */
    static float[][] regressionRows(int n, long seed) {
        Generator g = new Generator(seed);
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) {
            float a = (float) g.nextNormal();
            float b = (float) g.nextNormal();
            float c = (float) g.nextNormal();
            rows[i] = new float[] {a, b, c, (float) (1.5 * a - 2 * b + 0.5 * c + 0.3 + 0.1 * g.nextNormal())};
        }
        return rows;
    }

    private static DataParallelTrainer mlpTrainer(int batch, List<Map<String, float[]>> seen) {
        return new DataParallelTrainer(MLP, SUM_MSE, SGD_MOMENTUM).batchSize(batch).seed(11).logEvery(0)
                .listener((step, epoch, loss, model) -> seen.add(SparkTestSupport.snapshot(model)));
    }

    private static void assertSameSteps(List<Map<String, float[]>> expected, List<Map<String, float[]>> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": steps");
        for (int s = 0; s < expected.size(); s++) {
            double d = SparkTestSupport.maxRelativeDifference(actual.get(s), expected.get(s), 1e-6);
            assertTrue(d <= 1e-5, what + ": step " + (s + 1) + " differs from the engine run by " + d + " (relative) at "
                    + SparkTestSupport.worst(actual.get(s), expected.get(s), 1e-6));
        }
    }

    @Test
    void sameParametersAsOneProcessWithOneTwoAndThreePartitionsStepByStep() {
        float[][] rows = regressionRows(50, 1);
        List<Map<String, float[]>> expected = SparkTestSupport.reference(rows, 3, 1, false, MLP, new MSELoss(), SGD_MOMENTUM,
                8, 14, 11, false);
        for (int partitions = 1; partitions <= 3; partitions++) {
            List<Map<String, float[]>> seen = new ArrayList<>();
            DataParallelTrainer trainer = mlpTrainer(8, seen).epochs(2);
            if (partitions == 3) {
                trainer.microBatchSize(2);
            }
            try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), partitions), 3, 1)) {
                if (partitions == 2) {
                    data.maxBlockRows(6);
                }
                TrainingResult r = trainer.fit(data);
                assertEquals(14, r.steps());
                assertEquals(7, r.stepsPerEpoch());
                assertEquals(14, r.lossHistory().size());
                assertEquals(partitions, data.numPartitions());
                assertArrayEquals(seen.get(13).get("2.bias"), r.parameter("2.bias").toFloatArray());
            }
            assertSameSteps(expected, seen, partitions + " partition(s)");
        }
    }

    @Test
    void theModelsOwnForwardHooksRunOnTheExecutors() {
        // a forward hook on the model itself (not a child) that zeroes the output: the MSE gradient of every
        // parameter is then 0, so plain SGD leaves the initial parameters exactly as they were
        float[][] rows = regressionRows(20, 3);
        SerializableSupplier<Module> hooked = () -> {
            Module m = new Sequential(new Linear(3, 1, true, new Generator(7)));
            m.registerForwardHook((mod, in, out) -> out.mul(0.0));
            return m;
        };
        Map<String, float[]> initial = SparkTestSupport.snapshot(hooked.get());
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            TrainingResult r = new DataParallelTrainer(hooked, () -> new MSELoss(Reduction.SUM), p -> new SGD(p, 0.1))
                    .batchSize(5).epochs(1).seed(1).logEvery(0).fit(data);
            for (Map.Entry<String, float[]> e : initial.entrySet()) {
                assertArrayEquals(e.getValue(), r.parameters().get(e.getKey()).toFloatArray(), e.getKey());
            }
        }
    }

    @Test
    void sameParametersWhetherPartitionSumsAreAddedInOneJobOrByATreeOfStages() {
        float[][] rows = regressionRows(50, 1);
        List<Map<String, float[]>> expected = SparkTestSupport.reference(rows, 3, 1, false, MLP, new MSELoss(), SGD_MOMENTUM,
                8, 14, 11, false);
        // 9 partitions: depth 1 adds the sums in one job; depths 2 and 3 (scale 3: 9 > 3 + 9 / 3) add a tree level
        for (int depth = 1; depth <= 3; depth++) {
            List<Map<String, float[]>> seen = new ArrayList<>();
            try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 9), 3, 1)) {
                TrainingResult r = mlpTrainer(8, seen).epochs(2).treeDepth(depth).fit(data);
                assertEquals(14, r.steps());
                assertEquals(9, data.numPartitions());
            }
            assertSameSteps(expected, seen, "9 partitions, treeDepth " + depth);
        }
    }

    /** An RDD whose partitions hold the given numbers of consecutive rows. */
    private static JavaRDD<float[]> unevenPartitions(float[][] rows, int... sizes) {
        float[][][] parts = new float[sizes.length][][];
        int at = 0;
        List<Integer> ids = new ArrayList<>();
        for (int p = 0; p < sizes.length; p++) {
            parts[p] = Arrays.copyOfRange(rows, at, at + sizes[p]);
            at += sizes[p];
            ids.add(p);
        }
        return sc.parallelize(ids, sizes.length).mapPartitionsWithIndex(
                (Integer p, Iterator<Integer> it) -> Arrays.asList(parts[p]).iterator(), true);
    }

    @Test
    void anyBatchSizeWithUnevenPartitions() {
        float[][] rows = regressionRows(50, 2);
        for (boolean dropLast : new boolean[] {false, true}) {
            long steps = dropLast ? 14 : 16;
            List<Map<String, float[]>> expected = SparkTestSupport.reference(rows, 3, 1, false, MLP, new MSELoss(),
                    SGD_MOMENTUM, 7, steps, 11, dropLast);
            for (int[] sizes : new int[][] {{5, 31, 14}, {5, 0, 31, 14}}) {
                List<Map<String, float[]>> seen = new ArrayList<>();
                try (TrainingData data = TrainingData.fromRdd(unevenPartitions(rows, sizes), 3, 1)) {
                    TrainingResult r = mlpTrainer(7, seen).epochs(2).dropLast(dropLast).fit(data);
                    assertEquals(dropLast ? 7 : 8, r.stepsPerEpoch());
                    assertEquals(50, r.rows());
                }
                assertSameSteps(expected, seen, "batch 7 over partitions " + Arrays.toString(sizes) + ", dropLast " + dropLast);
            }
        }
    }

    @Test
    void classIndicesWithCrossEntropyAndAdamMatchTheEngine() {
        Generator g = new Generator(3);
        float[][] rows = new float[40][];
        for (int i = 0; i < rows.length; i++) {
            float a = (float) g.nextNormal();
            float b = (float) g.nextNormal();
            float c = (float) g.nextNormal();
            rows[i] = new float[] {a, b, c, a > 0.5 ? 2 : b > 0 ? 1 : 0};
        }
        SerializableFunction<Map<String, Parameter>, Optimizer> adam = p -> new Adam(p, 0.01);
        SerializableSupplier<Module> net = () -> new Sequential(new Linear(3, 3, true, new Generator(5)));
        List<Map<String, float[]>> expected = SparkTestSupport.reference(rows, 3, 1, true, net, new CrossEntropyLoss(), adam,
                16, 6, 4, false);
        List<Map<String, float[]>> seen = new ArrayList<>();
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            new DataParallelTrainer(net, () -> new CrossEntropyLoss(Reduction.SUM), adam).batchSize(16).epochs(2).seed(4)
                    .classLabels(true).logEvery(0).listener((s, e, l, m) -> seen.add(SparkTestSupport.snapshot(m)))
                    .fit(data);
        }
        assertSameSteps(expected, seen, "cross entropy with Adam");
    }

    @Test
    void executorsComputeOnTheChosenDeviceWithTheSameResultAsTheCpu() {
        float[][] rows = regressionRows(40, 8);
        List<List<Map<String, float[]>>> runs = new ArrayList<>();
        List<TrainingResult> results = new ArrayList<>();
        for (String device : new String[] {"cpu", "sim", "auto"}) {
            List<Map<String, float[]>> seen = new ArrayList<>();
            try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
                results.add(mlpTrainer(8, seen).epochs(2).device(device).fit(data));
            }
            runs.add(seen);
        }
        // sim computes with the CPU kernels behind its own storages: the same steps as the CPU
        assertSameSteps(runs.get(0), runs.get(1), "sim device");
        assertSameSteps(runs.get(0), runs.get(2), "auto without CUDA");
        assertEquals(List.of("cpu"), List.copyOf(results.get(0).devices()));
        assertEquals(List.of("sim:0"), List.copyOf(results.get(1).devices()));
        assertEquals(List.of("cpu, because cuda:0 is not usable: no BackendProvider for 'cuda' is on the class path "
                + "(add the gpu-worker module)"), List.copyOf(results.get(2).devices()));
    }

    @Test
    void aRequiredGpuThatExecutorsCannotUseFailsTheFirstStepWithTheReason() {
        float[][] rows = regressionRows(20, 9);
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            TrainingException e = assertThrows(TrainingException.class,
                    () -> mlpTrainer(10, new ArrayList<>()).epochs(1).device("cuda").fit(data));
            assertTrue(e.getMessage().startsWith("step 1/2 (epoch 1): partition "), e.getMessage());
            assertTrue(e.getMessage().contains("device 'cuda' was asked for, but cuda:0 is not usable: no BackendProvider"),
                    e.getMessage());
        }
    }

    @Test
    void changingTheTrainerDuringFitDoesNotChangeTheRun() {
        float[][] rows = regressionRows(40, 5);
        List<Map<String, float[]>> clean = new ArrayList<>();
        List<Map<String, float[]>> changed = new ArrayList<>();
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            trainerWithScheduler().listener((s, e, l, m) -> clean.add(SparkTestSupport.snapshot(m))).fit(data);
            DataParallelTrainer trainer = trainerWithScheduler();
            trainer.listener((s, e, l, m) -> {
                changed.add(SparkTestSupport.snapshot(m));
                // read during the loop before settings were frozen: the scheduler would step every step and
                // step 3's gradient check would fail at this tolerance
                trainer.schedulerPerStep(true).verifyGradients(3).gradientTolerance(Double.MIN_VALUE).listener(null);
            }).fit(data);
        }
        assertEquals(8, clean.size());
        assertEquals(clean.size(), changed.size(), "the listener stays the one fit started with");
        for (int s = 0; s < clean.size(); s++) {
            // two partition sums added in partition order on the driver: the same floats in both runs
            for (String name : clean.get(s).keySet()) {
                assertArrayEquals(clean.get(s).get(name), changed.get(s).get(name), "step " + (s + 1) + " " + name);
            }
        }
    }

    private static DataParallelTrainer trainerWithScheduler() {
        return new DataParallelTrainer(MLP, SUM_MSE, SGD_MOMENTUM).batchSize(10).epochs(2).seed(4).logEvery(0)
                .scheduler(o -> new StepLR(o, 1, 0.5));
    }

    @Test
    void nonFiniteLossStopsNamingTheStep() {
        float[][] rows = regressionRows(40, 3);
        SerializableSupplier<Module> linear = () -> new Sequential(new Linear(3, 1, true, new Generator(1)));
        List<Double> losses = new ArrayList<>();
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            TrainingException e = assertThrows(TrainingException.class, () -> new DataParallelTrainer(linear, SUM_MSE,
                    p -> new SGD(p, 1e30)).batchSize(10).epochs(1).logEvery(0)
                    .listener((s, ep, l, m) -> losses.add(l)).fit(data));
            assertTrue(e.getMessage().matches("(?s)the (loss|gradient).* is (NaN|-?Infinity) at step 2/4 \\(epoch 1\\);"
                    + " stopped before the update, so the parameters are those after step 1.*"), e.getMessage());
        }
        assertEquals(1, losses.size());
        assertTrue(Double.isFinite(losses.get(0)));
    }

    @Test
    void malformedRowsFailNamingTheRowOrAreCountedAndDropped() {
        List<float[]> rows = new ArrayList<>(Arrays.asList(regressionRows(10, 4)));
        rows.set(7, new float[] {1, 2, 3, 4, 5});
        rows.get(8)[1] = Float.NaN;
        TrainingException e = assertThrows(TrainingException.class,
                () -> TrainingData.fromRdd(sc.parallelize(rows, 2), 3, 1).rows());
        assertTrue(e.getMessage().contains("malformed input row 2 of partition 1: it has 5 values, not 4 (expected 3 finite"
                + " feature values and 1 label value; set dropMalformed to count and drop such rows)"), e.getMessage());

        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(rows, 2), 3, 1).dropMalformed(true)) {
            assertEquals(8, data.rows());
            assertEquals(2, data.droppedRows());
            TrainingResult r = mlpTrainer(4, new ArrayList<>()).fit(data);
            assertEquals(2, r.droppedRows());
            assertEquals(2, r.steps());
        }
    }

    @Test
    void malformedCsvRowsNameTheFile(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("train.csv");
        Files.writeString(csv, "x1,x2,y\n1,2,3\n4,5,6\n7,abc,9\n1,1,1\n");
        Dataset<Row> df = spark.read().option("header", "true").csv(csv.toString())
                .withColumn("features", functions.array(functions.col("x1"), functions.col("x2")));
        TrainingException e = assertThrows(TrainingException.class,
                () -> TrainingData.fromDataset(df, "features", "y").rows());
        assertTrue(e.getMessage().contains("malformed input row 2 of partition 0 (file file:"), e.getMessage());
        assertTrue(e.getMessage().contains("train.csv): features column 'features' value 1 is not a number: 'abc'"),
                e.getMessage());

        try (TrainingData data = TrainingData.fromDataset(df, "features", "y").dropMalformed(true)) {
            assertEquals(2, data.featureDim());
            assertEquals(1, data.labelDim());
            assertEquals(3, data.rows());
            assertEquals(1, data.droppedRows());
        }
    }

    @Test
    void datasetWithArrayFeaturesAndDoubleLabelsTrainsLikeTheRdd() {
        float[][] rows = regressionRows(30, 5);
        List<Row> list = new ArrayList<>();
        for (float[] r : rows) {
            list.add(org.apache.spark.sql.RowFactory.create(new double[] {r[0], r[1], r[2]}, (double) r[3]));
        }
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("features", org.apache.spark.sql.types.DataTypes.createArrayType(
                        org.apache.spark.sql.types.DataTypes.DoubleType))
                .add("label", org.apache.spark.sql.types.DataTypes.DoubleType);
        List<Row> javaRows = new ArrayList<>();
        for (Row r : list) {
            double[] f = (double[]) r.get(0);
            javaRows.add(org.apache.spark.sql.RowFactory.create(List.of(f[0], f[1], f[2]), r.get(1)));
        }
        Dataset<Row> df = spark.createDataFrame(javaRows, schema).repartition(1);
        List<Map<String, float[]>> expected = SparkTestSupport.reference(rows, 3, 1, false, MLP, new MSELoss(),
                SGD_MOMENTUM, 8, 4, 11, false);
        List<Map<String, float[]>> seen = new ArrayList<>();
        try (TrainingData data = TrainingData.fromDataset(df, "features", "label")) {
            mlpTrainer(8, seen).fit(data);
        }
        assertSameSteps(expected, seen, "Dataset source");
    }

    @Test
    void kryoWithRegistrationRequiredCarriesBlocksSumsAndRows() {
        assertEquals("true", sc.getConf().get("spark.kryo.registrationRequired"));
        SerializerInstance kryo = SparkEnv.get().serializer().newInstance();
        DataBlock block = new DataBlock(2, 5, 2, 3, 1, new float[] {1, 2, 3, 4, 5, 6}, new float[] {7, 8}, 1);
        DataBlock b2 = kryo.deserialize(kryo.serialize(block, ClassTag$.MODULE$.apply(DataBlock.class)),
                ClassTag$.MODULE$.apply(DataBlock.class));
        assertEquals(2, b2.partition);
        assertEquals(5, b2.firstRow);
        assertEquals(1, b2.dropped);
        assertArrayEquals(block.features, b2.features);
        assertArrayEquals(block.labels, b2.labels);
        GradientSum empty = kryo.deserialize(kryo.serialize(new GradientSum(), ClassTag$.MODULE$.apply(GradientSum.class)),
                ClassTag$.MODULE$.apply(GradientSum.class));
        assertEquals(null, empty.grad);
        GradientSum sum = new GradientSum();
        sum.addGradient(3, 0, new float[] {1.5f, -2, 3});
        sum.loss = 2.5;
        sum.count = 4;
        sum.addDevice("sim:1 (Spark GPU address 1)");
        sum.addDevice("cpu");
        sum.addDevice("cpu");
        GradientSum s2 = kryo.deserialize(kryo.serialize(sum, ClassTag$.MODULE$.apply(GradientSum.class)),
                ClassTag$.MODULE$.apply(GradientSum.class));
        assertArrayEquals(new float[] {1.5f, -2, 3}, s2.grad);
        assertEquals(2.5, s2.loss);
        assertEquals(4, s2.count);
        assertEquals(new java.util.TreeSet<>(List.of("cpu", "sim:1 (Spark GPU address 1)")), s2.deviceSet());

        // Serialized cache (blocks through Kryo) and 8 partitions (treeAggregate shuffles partial sums at depth 2).
        float[][] rows = regressionRows(48, 6);
        List<Map<String, float[]>> expected = SparkTestSupport.reference(rows, 3, 1, false, MLP, new MSELoss(), SGD_MOMENTUM,
                12, 4, 11, false);
        List<Map<String, float[]>> seen = new ArrayList<>();
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 8), 3, 1)
                .storageLevel(StorageLevel.MEMORY_AND_DISK_SER())) {
            mlpTrainer(12, seen).treeDepth(2).verifyGradients(1, 3).fit(data);
        }
        assertSameSteps(expected, seen, "serialized cache over 8 partitions");
    }

    @Test
    void d2lLinearRegressionOnExecutorGeneratedData() {
        SerializableSupplier<Module> net = () -> {
            Sequential s = new Sequential(new Linear(2, 1));
            try (GradMode.Scope g = GradMode.noGrad()) {
                s.get(0, Linear.class).weight().normal_(0, 0.01, new Generator(1));
                s.get(0, Linear.class).bias().fill_(0);
            }
            return s;
        };
        RowGenerator gen = new LinearRowGenerator(new float[] {2f, -3.4f}, 4.2f, 0.01);
        try (TrainingData data = TrainingData.synthetic(sc, gen, 1000, 4, 0)) {
            TrainingResult r = new DataParallelTrainer(net, SUM_MSE, p -> new SGD(p, 0.03)).batchSize(10).epochs(3).seed(0)
                    .verifyGradients(1, 150).logEvery(100).fit(data);
            assertEquals(1000, r.rows());
            assertEquals(300, r.steps());
            float[] w = r.parameter("0.weight").toFloatArray();
            float b = r.parameter("0.bias").toFloatArray()[0];
            assertTrue(Math.abs(w[0] - 2) < 0.01 && Math.abs(w[1] + 3.4) < 0.01, "w = " + Arrays.toString(w));
            assertTrue(Math.abs(b - 4.2) < 0.01, "b = " + b);
            assertTrue(r.lossHistory().get(299) < 1e-3 && r.lossHistory().get(0) > 1, r.lossHistory().toString());
            assertTrue(r.lossCsv().startsWith("step,epoch,loss\n1,1,"), r.lossCsv().substring(0, 40));
        }
        // Row i depends on (seed, i) only: the same rows with 1 and 3 partitions.
        try (TrainingData one = TrainingData.synthetic(sc, gen, 20, 1, 5);
                TrainingData three = TrainingData.synthetic(sc, gen, 20, 3, 5)) {
            assertArrayEquals(rowsOf(one), rowsOf(three));
            assertEquals(3, three.numPartitions());
        }
    }

    private static float[] rowsOf(TrainingData data) {
        List<DataBlock> blocks = data.packed().blocks().collect();
        int n = 0;
        for (DataBlock b : blocks) {
            n += b.features.length + b.labels.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (DataBlock b : blocks) {
            for (int r = 0; r < b.rows; r++) {
                System.arraycopy(b.features, r * b.featureDim, out, at, b.featureDim);
                at += b.featureDim;
                System.arraycopy(b.labels, r * b.labelDim, out, at, b.labelDim);
                at += b.labelDim;
            }
        }
        return out;
    }

    /** MSE (SUM) times 2: a loss that is wrong on purpose, used on executors only. */
    static final class DoubledMse extends Loss {
        DoubledMse() {
            super(Reduction.SUM);
        }

        @Override
        public Tensor forward(Tensor input, Tensor target) {
            return input.sub(target).pow(2).sum().mul(2);
        }
    }

    /**
     * Passes its input through, but runs out of memory on executors for micro-batches above a size: of the
     * Java heap, or (deviceMemory) of the device it computes on.
     */
    static final class OutOfMemoryAbove extends Module {
        private final int rows;
        private final boolean deviceMemory;

        OutOfMemoryAbove(int rows, boolean deviceMemory) {
            this.rows = rows;
            this.deviceMemory = deviceMemory;
        }

        @Override
        public Tensor forward(Tensor input) {
            if (TaskContext.get() != null && input.size(0) > rows) {
                if (deviceMemory) {
                    throw new DeviceOutOfMemoryError(input.device().toString(), 1L << 30, 1L << 20, 16L << 30, 0);
                }
                throw new OutOfMemoryError("Java heap space");
            }
            return input;
        }
    }

    @Test
    void anExecutorOutOfMemoryInAMicroBatchFailsTheStepNamingItAndTheRemedy() {
        float[][] rows = regressionRows(40, 12);
        SerializableSupplier<Module> hungry = () -> new Sequential(new Linear(3, 1, true, new Generator(2)),
                new OutOfMemoryAbove(4, false));
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            // the error stays in the task (an OutOfMemoryError escaping a task would stop the executor JVM)
            TrainingException e = assertThrows(TrainingException.class, () -> new DataParallelTrainer(hungry, SUM_MSE,
                    SGD_MOMENTUM).batchSize(20).microBatchSize(8).logEvery(0).fit(data));
            assertTrue(e.getMessage().matches("step 1/2 \\(epoch 1\\): partition [01]: out of memory in a micro-batch of 8 rows"
                    + " x 3 features \\(model of 4 parameters\\): lower the trainer's microBatchSize \\(now 8 or less\\) or"
                    + " raise spark.executor.memory \\(java.lang.OutOfMemoryError: Java heap space\\)"), e.getMessage());
            // the remedy works: micro-batches of 4 rows train, and the same Spark context keeps running
            TrainingResult r = new DataParallelTrainer(hungry, SUM_MSE, SGD_MOMENTUM).batchSize(20).microBatchSize(4)
                    .logEvery(0).fit(data);
            assertEquals(2, r.steps());
        }
    }

    @Test
    void aDeviceOutOfMemoryInAMicroBatchFailsTheStepNamingTheDeviceAndTheRemedy() {
        float[][] rows = regressionRows(40, 13);
        SerializableSupplier<Module> hungry = () -> new Sequential(new Linear(3, 1, true, new Generator(2)),
                new OutOfMemoryAbove(4, true));
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            TrainingException e = assertThrows(TrainingException.class, () -> new DataParallelTrainer(hungry, SUM_MSE,
                    SGD_MOMENTUM).batchSize(20).microBatchSize(8).device("sim").logEvery(0).fit(data));
            assertTrue(e.getMessage().startsWith("step 1/2 (epoch 1): partition "), e.getMessage());
            assertTrue(e.getMessage().contains(": out of sim:0 memory in a micro-batch of 8 rows x 3 features (model of 4"
                    + " parameters): lower the trainer's microBatchSize (now 8 or less). sim:0 out of memory on sim:0: tried"
                    + " to allocate 1073741824 bytes (1024.00 MiB); the device reports 1048576 bytes (1.00 MiB) free of"), e.getMessage());
            assertEquals(2, new DataParallelTrainer(hungry, SUM_MSE, SGD_MOMENTUM).batchSize(20).microBatchSize(4)
                    .device("sim").logEvery(0).fit(data).steps());
        }
    }

    @Test
    void verifyGradientsFailsWhenExecutorsComputeAnotherGradient() {
        float[][] rows = regressionRows(20, 7);
        SerializableSupplier<Loss> executorsDiffer = () -> TaskContext.get() != null ? new DoubledMse()
                : new MSELoss(Reduction.SUM);
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            TrainingException e = assertThrows(TrainingException.class, () -> new DataParallelTrainer(MLP, executorsDiffer,
                    SGD_MOMENTUM).batchSize(5).verifyGradients(2).logEvery(0).fit(data));
            assertTrue(e.getMessage().startsWith("verify-gradients at step 2/4 (epoch 1): largest relative difference 1.00"),
                    e.getMessage());
            assertTrue(e.getMessage().endsWith("over the same 5 rows; tolerance 0.000100"), e.getMessage());
        }
    }

    @Test
    void aModelThatDiffersOnExecutorsFailsAtTheFirstStepWithBothShapes() {
        float[][] rows = regressionRows(20, 8);
        SerializableSupplier<Module> wrong = () -> new Sequential(new Linear(3, TaskContext.get() != null ? 2 : 1));
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            TrainingException e = assertThrows(TrainingException.class,
                    () -> new DataParallelTrainer(wrong, SUM_MSE, SGD_MOMENTUM).batchSize(5).logEvery(0).fit(data));
            assertTrue(e.getMessage().matches("step 1/4 \\(epoch 1\\): partition \\d: the model built on the executor differs"
                    + " from the driver's \\(parameter 0: driver 0.weight \\[1, 3], executor 0.weight \\[2, 3]; parameter 1:"
                    + " driver 0.bias \\[1], executor 0.bias \\[2]\\); the model factory must build the same model on the"
                    + " driver and on every executor"), e.getMessage());
        }
    }

    @Test
    void aLossThatIsNotReducedToOneNumberIsRefusedBeforeTraining() {
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(regressionRows(10, 9)), 1), 3, 1)) {
            TrainingException e = assertThrows(TrainingException.class,
                    () -> new DataParallelTrainer(MLP, () -> new MSELoss(Reduction.NONE), SGD_MOMENTUM).batchSize(5).fit(data));
            assertTrue(e.getMessage().startsWith("the loss must reduce each micro-batch to one number with Reduction.MEAN"
                    + " or Reduction.SUM"), e.getMessage());
            assertTrue(e.getMessage().contains("got NONE"), e.getMessage());
        }
    }

    @Test
    void resumeFromACheckpointEndsWithTheParametersOfAnUninterruptedRun(@TempDir Path dir) {
        float[][] rows = regressionRows(30, 10);
        SerializableFunction<Optimizer, org.sparkgrad.engine.optim.LRScheduler> halfEachEpoch = o -> new StepLR(o, 1, 0.5);
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            TrainingResult whole = mlpTrainer(4, new ArrayList<>()).epochs(3).scheduler(halfEachEpoch).fit(data);
            String ckpt = dir.resolve("ckpt").toUri().toString();
            TrainingResult first = mlpTrainer(4, new ArrayList<>()).steps(10).scheduler(halfEachEpoch).checkpoint(ckpt, 4)
                    .fit(data);
            assertEquals(10, first.steps());
            TrainingResult resumed = mlpTrainer(4, new ArrayList<>()).epochs(3).scheduler(halfEachEpoch).checkpoint(ckpt, 4)
                    .resume(true).fit(data);
            assertEquals(10, resumed.resumedFromStep());
            assertEquals(24, resumed.steps());
            assertEquals(whole.lossHistory(), resumed.lossHistory());
            for (String name : whole.parameters().keySet()) {
                // Two partitions: the partial sums add in either order to the same floats, so the runs agree exactly.
                assertArrayEquals(whole.parameter(name).toFloatArray(), resumed.parameter(name).toFloatArray(), name);
            }
            assertNotEquals(whole.parameter("0.weight").toFloatArray()[0], first.parameter("0.weight").toFloatArray()[0]);
            // A different seed is refused.
            TrainingException e = assertThrows(TrainingException.class, () -> mlpTrainer(4, new ArrayList<>()).epochs(3)
                    .seed(12).checkpoint(ckpt, 4).resume(true).fit(data));
            assertTrue(e.getMessage().contains("belongs to another run: it differs in seed: checkpoint 11, this run 12"),
                    e.getMessage());
        }
    }
}
