package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/** The loss chart's axes say what was plotted. */
class ChartsTest {
    @Test
    void aLossCurveIsTitledWithWhatItsPointsAre() {
        // linear-regression's loss.png: 300 steps (3 epochs of 100), so the x axis is "step", from 1 to 300.
        List<Double> perStep = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            perStep.add(3.0 / (i + 1));
        }
        perStep.set(7, Double.NaN);
        XYChart chart = Charts.lossChart(perStep, "step");
        assertEquals("step", chart.getXAxisTitle());
        assertEquals("loss", chart.getYAxisTitle());
        XYSeries s = chart.getSeriesMap().get("loss");
        double[] x = s.getXData();
        assertEquals(299, x.length, "the NaN is left out");
        assertEquals(1, x[0], 0);
        assertEquals(300, x[x.length - 1], 0);
        assertEquals(9, x[7], 0);
        assertTrue(chart.getStyler().isYAxisLogarithmic(), "losses spanning 300x are drawn on a log axis");
        XYChart epochs = Charts.lossChart(List.of(4.0, 2.0, 1.0), "epoch");
        assertEquals("epoch", epochs.getXAxisTitle());
        assertArrayEquals(new double[] {1, 2, 3}, epochs.getSeriesMap().get("loss").getXData(), 0);
    }
}
