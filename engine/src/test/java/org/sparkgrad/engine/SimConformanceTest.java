package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The backend conformance suite on the test-only "sim" device (CPU kernels behind storages of its own), and a
 * control that the suite's comparison does reject differences beyond its tolerance.
 */
class SimConformanceTest extends BackendConformance {
    @Override
    protected Device device() {
        return Device.of("sim", 0);
    }

    @Test
    void theComparisonRejectsWhatIsBeyondItsTolerance() {
        Tensor expected = Tensor.tensor(new double[] {2, -1, 0}, DType.FLOAT64, 3);
        // atol = rtol * max|expected| = 2e-5: element 1 may differ by 1e-5 + 2e-5.
        assertClose("within", expected, Tensor.tensor(new double[] {2, -1 + 2.9e-5, 1.9e-5}, DType.FLOAT64, 3), 1e-5);
        AssertionError e = assertThrows(AssertionError.class, () -> assertClose("beyond", expected,
                Tensor.tensor(new double[] {2, -1 + 3.1e-5, 0}, DType.FLOAT64, 3), 1e-5));
        assertTrue(e.getMessage().startsWith("beyond: element 1 expected -1.0 (cpu)"), e.getMessage());
        assertThrows(AssertionError.class, () -> assertClose("nan", expected,
                Tensor.tensor(new double[] {2, Double.NaN, 0}, DType.FLOAT64, 3), 1e-5));
        assertThrows(AssertionError.class, () -> assertClose("dtype", expected, expected.toFloat(), 1e-5));
        assertThrows(AssertionError.class, () -> assertClose("shape", expected, expected.reshape(1, 3), 1e-5));
    }
}
