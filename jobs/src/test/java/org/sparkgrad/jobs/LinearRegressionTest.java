package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;

/** The d2l seed's linear regression reaches the seed's accuracy and writes a loadable model. */
class LinearRegressionTest {
    @Test
    void learnsTheTrueParametersInThreeEpochs(@TempDir Path dir) throws Exception {
        LinearRegression.Result r = LinearRegression.run(
                new LinearRegression.Settings(1000, 10, 3, 0.03, 0.01, 0, dir, null), false);
        assertEquals(3, r.epochLosses().size());
        assertTrue(r.epochLosses().get(2) < 2e-4, "final loss " + r.epochLosses().get(2));
        assertTrue(r.epochLosses().get(0) >= r.epochLosses().get(2), "loss does not grow");
        assertEquals(2.0, r.w()[0], 0.01);
        assertEquals(-3.4, r.w()[1], 0.01);
        assertEquals(4.2, r.b(), 0.01);
        Map<String, Tensor> saved = SafeTensors.load(r.model());
        assertEquals(2, saved.size());
        assertArrayEquals(new int[] {1, 2}, saved.get("0.weight").shape());
        assertArrayEquals(r.w(), saved.get("0.weight").toArray(), 0);
        assertEquals(r.b(), saved.get("0.bias").item(), 0);
    }

    /** A safetensors file of linear-regression's two parameters. */
    static Path weights(Path file, float[] w, int[] wShape, float b) throws IOException {
        Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        m.put("0.weight", Tensor.tensor(w, wShape));
        m.put("0.bias", Tensor.tensor(new float[] {b}, 1));
        SafeTensors.save(m, file);
        return file;
    }

    @Test
    void initWeightsStartsFromTheFilesValues(@TempDir Path dir) throws Exception {
        Path file = weights(dir.resolve("true.safetensors"), new float[] {2f, -3.4f}, new int[] {1, 2}, 4.2f);
        LinearRegression.Settings s = LinearRegression.Settings.from(LinearRegression.OPTIONS.parse("--no-spark",
                "--init-weights", file.toString(), "--lr", "1e-12", "--epochs", "1", "--out", dir.toString()));
        assertEquals(file.toString(), s.initWeights());
        LinearRegression.Result r = LinearRegression.run(s, false);
        // At lr 1e-12 an epoch leaves the true parameters where the file put them, and the loss at the noise floor.
        assertArrayEquals(new double[] {2, -3.4}, r.w(), 1e-6);
        assertEquals(4.2, r.b(), 1e-6);
        assertTrue(r.epochLosses().get(0) < 1.2e-4, "loss " + r.epochLosses().get(0));
    }

    @Test
    void initWeightsThatDoNotFitTheModelStopWithTheKeysAtFault(@TempDir Path dir) throws Exception {
        Path file = weights(dir.resolve("wide.safetensors"), new float[] {1, 2, 3, 4}, new int[] {2, 2}, 0f);
        LinearRegression.Settings s = new LinearRegression.Settings(10, 5, 1, 0.03, 0.01, 0, dir, file.toString());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LinearRegression.run(s, false));
        assertEquals("the initial weights " + file + " do not fit the model (0.weight [1, 2], 0.bias [1]): 0.weight: "
                + "expected shape [1, 2], found [2, 2]", e.getMessage());
        Path only = dir.resolve("only-weight.safetensors");
        SafeTensors.save(Map.of("0.weight", Tensor.tensor(new float[] {1, 2}, 1, 2)), only);
        IllegalArgumentException missing = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LinearRegression.run(new LinearRegression.Settings(10, 5, 1, 0.03, 0.01, 0, dir, only.toString()),
                        false));
        assertTrue(missing.getMessage().endsWith("0.bias: expected shape [1], found no tensor of that name"),
                missing.getMessage());
    }

    @Test
    void aDivergingLearningRateStopsWithAClearError(@TempDir Path dir) {
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> LinearRegression.run(new LinearRegression.Settings(1000, 10, 3, 1e6, 0.01, 0, dir, null), false));
        assertTrue(e.getMessage().contains("lower --lr"), e.getMessage());
    }
}
