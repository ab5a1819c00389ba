package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The one-machine seed programs produce what the seeds show. */
class SeedProgramsTest {
    @Test
    void polynomialValueAndGradients() {
        Polynomial.Result r = Polynomial.run(1);
        assertEquals(13.0, r.value().item(), 0);
        assertEquals(17.0, r.grad().item(), 0);
        assertArrayEquals(new double[] {4.25, 13, 26.25, 44}, r.matrixGrad().toArray(), 1e-6);
    }

    @Test
    void descentFollowsTheSeedAndStopsWhenTheLossStopsFalling() {
        Descent.Result r = Descent.run(0.1, 11, 2, 1000, false);
        List<Double> l = r.losses();
        assertEquals(258.0, l.get(0), 1e-4);
        assertEquals(87.76, l.get(1), 1e-4);
        assertEquals(31.3888, l.get(2), 1e-4);
        assertEquals(11.2918, l.get(3), 1e-4);
        for (int i = 1; i < l.size(); i++) {
            assertTrue(l.get(i) < l.get(i - 1), "loss falls at step " + i);
        }
        // Recorded from the same loop in torch 1.13 (float32): it stops after 108 steps.
        assertEquals(108, l.size());
    }

    @Test
    void manualBackpropAgreesWithAutogradAndBothLossesFall() {
        ManualVsAutograd.Result r = ManualVsAutograd.run(16, 50, 20, 5, 60, 1e-2, 3, 10, false);
        assertTrue(r.firstStepRelDiff() <= 1e-4, "first-step gradients differ by " + r.firstStepRelDiff());
        List<Double> m = r.manualLosses();
        List<Double> a = r.autogradLosses();
        assertEquals(60, m.size());
        assertTrue(m.get(59) < m.get(0) / 10, "manual loss falls: " + m.get(0) + " -> " + m.get(59));
        for (int i = 0; i < m.size(); i++) {
            assertEquals(m.get(i), a.get(i), 1e-4 * Math.abs(m.get(i)), "epoch " + (i + 1));
        }
    }

}
