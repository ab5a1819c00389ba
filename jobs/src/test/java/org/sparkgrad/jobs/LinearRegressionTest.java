package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
                new LinearRegression.Settings(1000, 10, 3, 0.03, 0.01, 0, dir), false);
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

    @Test
    void aDivergingLearningRateStopsWithAClearError(@TempDir Path dir) {
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> LinearRegression.run(new LinearRegression.Settings(1000, 10, 3, 1e6, 0.01, 0, dir), false));
        assertTrue(e.getMessage().contains("lower --lr"), e.getMessage());
    }
}
