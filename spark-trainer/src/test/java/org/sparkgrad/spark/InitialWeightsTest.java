package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.nn.Tanh;
import org.sparkgrad.engine.optim.SGD;

/** DataParallelTrainer.initialWeights: a run continues from another run's model file; a file that does not fit fails. */
class InitialWeightsTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    private static final SerializableSupplier<Module> MLP = () -> {
        Generator g = new Generator(7);
        return new Sequential(new Linear(3, 4, true, g), new Tanh(), new Linear(4, 1, true, g));
    };
    private static final SerializableSupplier<Loss> SUM_MSE = () -> new MSELoss(Reduction.SUM);

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

    private static TrainingData data() {
        float[][] rows = DataParallelTrainerTest.regressionRows(96, 5);
        return TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1);
    }

    @Test
    void aRunStartsFromTheModelFileAnotherRunWrote(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.safetensors");
        Map<String, float[]> trained;
        Map<String, float[]> factory = SparkTestSupport.snapshot(MLP.get());
        List<Double> firstLosses = new ArrayList<>();
        try (TrainingData d = data()) {
            TrainingResult a = new DataParallelTrainer(MLP, SUM_MSE, p -> new SGD(p, 0.05)).batchSize(16).epochs(2)
                    .logEvery(0).fit(d);
            SafeTensors.saveModule(a.model(), file);
            trained = SparkTestSupport.snapshot(a.model());
            // lr 0: the second run's parameters stay where they started, so they show what it started from.
            TrainingResult b = new DataParallelTrainer(MLP, SUM_MSE, p -> new SGD(p, 0.0)).batchSize(16).steps(2)
                    .logEvery(0).initialWeights(file.toUri().toString()).fit(d);
            Map<String, float[]> started = SparkTestSupport.snapshot(b.model());
            assertEquals(trained.keySet(), started.keySet());
            trained.forEach((k, v) -> assertArrayEquals(v, started.get(k), 0f, k));
            assertFalse(Arrays.equals(factory.get("0.weight"), trained.get("0.weight")), "training moved the weights");
            // Its losses are those of the trained parameters: below the factory's first loss.
            firstLosses.add(a.lossHistory().get(0));
            firstLosses.add(b.lossHistory().get(0));
            // A plain path (no scheme) works too.
            TrainingResult c = new DataParallelTrainer(MLP, SUM_MSE, p -> new SGD(p, 0.0)).batchSize(16).steps(1)
                    .logEvery(0).initialWeights(file.toString()).fit(d);
            trained.forEach((k, v) -> assertArrayEquals(v, SparkTestSupport.snapshot(c.model()).get(k), 0f, k));
        }
        assertTrue(firstLosses.get(1) < firstLosses.get(0), "first losses " + firstLosses);
    }

    @Test
    void aFileThatDoesNotFitNamesEachTensorWithBothShapes(@TempDir Path dir) throws Exception {
        Map<String, Tensor> bad = new LinkedHashMap<>();
        bad.put("0.weight", Tensor.zeros(4, 2));   // the model's is [4, 3]
        bad.put("0.bias", Tensor.zeros(4));
        bad.put("2.weight", Tensor.zeros(1, 4));
        bad.put("head.weight", Tensor.zeros(2));   // not a parameter; 2.bias is missing
        Path file = dir.resolve("bad.safetensors");
        SafeTensors.save(bad, file);
        try (TrainingData d = data()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DataParallelTrainer(MLP,
                    SUM_MSE, p -> new SGD(p, 0.05)).batchSize(16).initialWeights(file.toString()).fit(d));
            assertEquals("the initial weights " + file + " do not fit the model (0.weight [4, 3], 0.bias [4], 2.weight "
                    + "[1, 4], 2.bias [1]): 0.weight: expected shape [4, 3], found [4, 2]; 2.bias: expected shape [1], found "
                    + "no tensor of that name; head.weight: found shape [2], which is not a parameter of the model",
                    e.getMessage());
            UncheckedIOException missing = assertThrows(UncheckedIOException.class, () -> new DataParallelTrainer(MLP,
                    SUM_MSE, p -> new SGD(p, 0.05)).batchSize(16).initialWeights(dir.resolve("none.safetensors").toString())
                    .fit(d));
            assertTrue(missing.getMessage().startsWith("could not read the initial weights " + dir.resolve("none.safetensors")
                    + ": "), missing.getMessage());
        }
    }
}
