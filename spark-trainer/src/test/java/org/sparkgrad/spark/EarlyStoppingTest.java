package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.optim.Optimizer;
import org.sparkgrad.engine.optim.SGD;

/**
 * Validation loss and early stopping on local Spark. The model y = w x + b starts at w = b = 0 and trains on
 * y = 2x; the validation rows come from another distribution, y = x, so the validation loss (w - 1)^2 E[x^2] + ...
 * falls while w climbs towards 1 and rises once w passes it: the run must stop {@code patience} epochs after the best.
 */
class EarlyStoppingTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    private static final SerializableSupplier<Module> ZERO_LINE = () -> {
        Sequential m = new Sequential(new Linear(1, 1, true, new Generator(0)));
        try (GradMode.Scope s = GradMode.noGrad()) {
            m.namedParameters().values().forEach(Parameter::zero_);
        }
        return m;
    };
    private static final SerializableSupplier<Loss> SUM_MSE = () -> new MSELoss(Reduction.SUM);
    private static final SerializableFunction<Map<String, Parameter>, Optimizer> SGD_05 = p -> new SGD(p, 0.05);

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

    /** n rows (x, slope * x), x ~ N(0, 1). */
    private static float[][] line(int n, double slope, long seed) {
        Generator g = new Generator(seed);
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) {
            float x = (float) g.nextNormal();
            rows[i] = new float[] {x, (float) (slope * x)};
        }
        return rows;
    }

    private static TrainingData data(float[][] rows) {
        return TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 1, 1);
    }

    /** The mean squared error of (w, b) over rows, in double: what the validation loss must be. */
    private static double mse(float[] wb, float[][] rows) {
        double sum = 0;
        for (float[] r : rows) {
            double d = (double) wb[0] * r[0] + wb[1] - r[1];
            sum += d * d;
        }
        return sum / rows.length;
    }

    private static float[] wb(Module m) {
        return new float[] {m.namedParameters().get("0.weight").toFloatArray()[0],
                m.namedParameters().get("0.bias").toFloatArray()[0]};
    }

    /** A trainer that also records (w, b) at the end of every epoch (16 steps of batch 16 over 64 rows: 4 per epoch). */
    private static DataParallelTrainer trainer(List<float[]> atEpochEnds) {
        return new DataParallelTrainer(ZERO_LINE, SUM_MSE, SGD_05).batchSize(16).epochs(20).seed(3).logEvery(0)
                .listener((step, epoch, loss, model) -> {
                    if (step % 4 == 0) {
                        atEpochEnds.add(wb(model));
                    }
                });
    }

    @Test
    void stopsPatienceEpochsAfterTheBestAndKeepsTheLastParameters() {
        float[][] train = line(64, 2, 1);
        float[][] val = line(48, 1, 2);
        List<float[]> epochEnds = new ArrayList<>();
        TrainingResult r;
        try (TrainingData t = data(train); TrainingData v = data(val)) {
            r = trainer(epochEnds).validation(v).earlyStopping(2, 0).fit(t);
        }
        // w after each epoch: about 0.69, 1.14, 1.43, 1.63: (w - 1)^2 is lowest after epoch 2, so epochs 3 and 4 do
        // not improve and patience 2 stops the run after epoch 4 of 20.
        assertEquals(4, r.validationLoss().size(), "validation losses " + r.validationLoss());
        assertEquals(2, r.bestEpoch());
        assertTrue(r.stoppedEarly());
        assertEquals(16, r.steps());
        assertEquals(16, r.lossHistory().size());
        assertEquals(4, epochEnds.size());
        for (int e = 0; e < 4; e++) {
            assertEquals(mse(epochEnds.get(e), val), r.validationLoss().get(e), 1e-5 * r.validationLoss().get(e),
                    "validation loss after epoch " + (e + 1));
        }
        List<Double> vl = r.validationLoss();
        assertTrue(vl.get(1) < vl.get(0) && vl.get(2) > vl.get(1) && vl.get(3) > vl.get(1), "falls then rises: " + vl);
        // Lightning's default: the parameters are the last epoch's, not the best one's.
        assertArrayEquals(epochEnds.get(3), wb(r.model()), 0f);
        assertArrayEquals(epochEnds.get(3), new float[] {r.parameter("0.weight").toFloatArray()[0],
                r.parameter("0.bias").toFloatArray()[0]}, 0f);
    }

    @Test
    void restoreBestEndsWithTheBestEpochsParameters() {
        float[][] train = line(64, 2, 1);
        float[][] val = line(48, 1, 2);
        List<float[]> epochEnds = new ArrayList<>();
        TrainingResult r;
        try (TrainingData t = data(train); TrainingData v = data(val)) {
            r = trainer(epochEnds).validation(v).earlyStopping(3, 0, true).fit(t);
        }
        assertEquals(2, r.bestEpoch());
        assertEquals(5, r.validationLoss().size());
        assertArrayEquals(epochEnds.get(1), wb(r.model()), 0f);
        assertArrayEquals(epochEnds.get(1), new float[] {r.parameter("0.weight").toFloatArray()[0],
                r.parameter("0.bias").toFloatArray()[0]}, 0f);
        assertEquals(r.validationLoss().get(1), mse(wb(r.model()), val), 1e-5 * r.validationLoss().get(1));
    }

    @Test
    void minDeltaCountsSmallImprovementsAsNone() {
        // After epoch 1 the loss falls by less than 1.0 (it starts below 0.2): no later epoch improves enough.
        List<float[]> epochEnds = new ArrayList<>();
        TrainingResult r;
        try (TrainingData t = data(line(64, 2, 1)); TrainingData v = data(line(48, 1, 2))) {
            r = trainer(epochEnds).validation(v).earlyStopping(2, 1.0).fit(t);
        }
        assertEquals(1, r.bestEpoch());
        assertEquals(3, r.validationLoss().size());
        assertEquals(12, r.steps());
        assertTrue(r.validationLoss().get(1) < r.validationLoss().get(0), "epoch 2 is lower, by less than minDelta: "
                + r.validationLoss());
    }

    @Test
    void validationAloneRecordsEveryEpochAndNeverStops() {
        List<float[]> epochEnds = new ArrayList<>();
        float[][] val = line(48, 1, 2);
        TrainingResult r;
        try (TrainingData t = data(line(64, 2, 1)); TrainingData v = data(val)) {
            r = trainer(epochEnds).epochs(5).validation(v).fit(t);
        }
        assertFalse(r.stoppedEarly());
        assertEquals(20, r.steps());
        assertEquals(5, r.validationLoss().size());
        assertEquals(2, r.bestEpoch());
        for (int e = 0; e < 5; e++) {
            assertEquals(mse(epochEnds.get(e), val), r.validationLoss().get(e), 1e-5 * r.validationLoss().get(e));
        }
    }

    @Test
    void badSettingsSayWhatIsWrong() {
        DataParallelTrainer t = trainer(new ArrayList<>());
        assertEquals("patience must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> t.earlyStopping(0, 0)).getMessage());
        assertEquals("minDelta must be a finite number >= 0, got -0.1",
                assertThrows(IllegalArgumentException.class, () -> t.earlyStopping(2, -0.1)).getMessage());
        try (TrainingData train = data(line(64, 2, 1));
             TrainingData wide = TrainingData.fromRdd(sc.parallelize(List.of(new float[] {1, 2, 3}), 1), 2, 1)) {
            assertEquals("earlyStopping needs validation data: call validation(TrainingData) before fit",
                    assertThrows(IllegalStateException.class, () -> trainer(new ArrayList<>()).earlyStopping(2, 0).fit(train))
                            .getMessage());
            assertEquals("the validation rows have 2 features and 1 label value(s), the training rows 1 and 1",
                    assertThrows(IllegalArgumentException.class, () -> trainer(new ArrayList<>()).validation(wide).fit(train))
                            .getMessage());
            assertEquals("the validation data is the training data; give held-out rows",
                    assertThrows(IllegalArgumentException.class, () -> trainer(new ArrayList<>()).validation(train).fit(train))
                            .getMessage());
        }
    }
}
