package org.sparkgrad.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/** {@link SyntheticData#linear}: shapes, reproducibility, and that the data encodes the true w and b. */
class SyntheticDataTest {
    /** Least squares [X 1] beta = y by the normal equations (Gaussian elimination, double precision). */
    private static double[] leastSquares(double[] x, double[] y, int n, int d) {
        int p = d + 1;
        double[][] a = new double[p][p + 1];
        for (int i = 0; i < n; i++) {
            double[] row = new double[p];
            System.arraycopy(x, i * d, row, 0, d);
            row[d] = 1;
            for (int r = 0; r < p; r++) {
                for (int c = 0; c < p; c++) {
                    a[r][c] += row[r] * row[c];
                }
                a[r][p] += row[r] * y[i];
            }
        }
        for (int col = 0; col < p; col++) {
            for (int r = col + 1; r < p; r++) {
                double f = a[r][col] / a[col][col];
                for (int c = col; c <= p; c++) {
                    a[r][c] -= f * a[col][c];
                }
            }
        }
        double[] beta = new double[p];
        for (int r = p - 1; r >= 0; r--) {
            double s = a[r][p];
            for (int c = r + 1; c < p; c++) {
                s -= a[r][c] * beta[c];
            }
            beta[r] = s / a[r][r];
        }
        return beta;
    }

    @Test
    void d2lSetupRecoversTheTrueParameters() {
        // d2l 3.2: true_w = [2, -3.4], true_b = 4.2, 1000 examples, noise std 0.01.
        Tensor w = Tensor.of(2, -3.4);
        Tensor[] data = SyntheticData.linear(w, 4.2, 1000, 0.01, 42);
        Tensor x = data[0];
        Tensor y = data[1];
        assertArrayEquals(new int[] {1000, 2}, x.shape());
        assertArrayEquals(new int[] {1000, 1}, y.shape());
        assertEquals(DType.FLOAT32, x.dtype());
        assertEquals(DType.FLOAT32, y.dtype());
        assertFalse(y.requiresGrad());

        double[] beta = leastSquares(x.toArray(), y.toArray(), 1000, 2);
        // The estimate's standard error is about 0.01 / sqrt(1000) = 3e-4.
        assertEquals(2.0, beta[0], 2e-3);
        assertEquals(-3.4, beta[1], 2e-3);
        assertEquals(4.2, beta[2], 2e-3);

        // Residuals are the noise: mean ~0, std ~0.01.
        double[] xv = x.toArray();
        double[] yv = y.toArray();
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < 1000; i++) {
            double r = yv[i] - (2 * xv[2 * i] - 3.4 * xv[2 * i + 1] + 4.2);
            sum += r;
            sq += r * r;
        }
        double mean = sum / 1000;
        double std = Math.sqrt(sq / 1000 - mean * mean);
        assertEquals(0, mean, 2e-3);
        assertEquals(0.01, std, 1.5e-3);
    }

    @Test
    void featuresAreStandardNormal() {
        Tensor x = SyntheticData.linear(Tensor.of(1, 1, 1), 0, 4000, 0.1, 3)[0];
        double[] v = x.toArray();
        double sum = 0;
        double sq = 0;
        for (double a : v) {
            sum += a;
            sq += a * a;
        }
        double mean = sum / v.length;
        double var = sq / v.length - mean * mean;
        assertEquals(0, mean, 0.05); // sd of the mean: 1 / sqrt(12000) ~ 0.009
        assertEquals(1, var, 0.05); // sd of the variance: sqrt(2 / 12000) ~ 0.013
    }

    @Test
    void sameSeedSameDataOtherSeedOtherData() {
        Tensor w = Tensor.of(0.5, -1);
        Tensor[] a = SyntheticData.linear(w, 1, 50, 0.1, 9);
        Tensor[] b = SyntheticData.linear(w, 1, 50, 0.1, 9);
        Tensor[] c = SyntheticData.linear(w, 1, 50, 0.1, 10);
        assertArrayEquals(a[0].toFloatArray(), b[0].toFloatArray());
        assertArrayEquals(a[1].toFloatArray(), b[1].toFloatArray());
        assertFalse(Arrays.equals(a[0].toFloatArray(), c[0].toFloatArray()));
    }

    @Test
    void withoutNoiseLabelsAreExactlyLinear() {
        Tensor w = Tensor.of(2, -3.4);
        Tensor[] data = SyntheticData.linear(w, 4.2, 20, 0, 1);
        assertTrue(data[0].matmul(w).add(4.2).reshape(20, 1).equal(data[1]));
    }

    @Test
    void float64WeightsGiveFloat64Data() {
        Tensor w = Tensor.tensor(new double[] {1.5}, DType.FLOAT64, 1);
        Tensor[] data = SyntheticData.linear(w, -1, 5, 0, 2);
        assertEquals(DType.FLOAT64, data[0].dtype());
        assertEquals(DType.FLOAT64, data[1].dtype());
        double[] x = data[0].toArray();
        double[] y = data[1].toArray();
        for (int i = 0; i < 5; i++) {
            assertEquals(1.5 * x[i] - 1, y[i], 1e-15);
        }
        // float64 data is not rounded through float32.
        assertTrue(Arrays.stream(x).anyMatch(v -> (float) v != v));
    }

    @Test
    void weightsThatRequireGradGiveDataThatDoesNot() {
        Tensor[] data = SyntheticData.linear(Tensor.of(1, 2).requiresGrad_(), 0, 3, 0.1, 0);
        assertFalse(data[0].requiresGrad());
        assertFalse(data[1].requiresGrad());
    }

    @Test
    void argumentChecks() {
        assertEquals("w must be 1-d (the true weights), got shape [2, 1]",
                assertThrows(IllegalArgumentException.class,
                        () -> SyntheticData.linear(Tensor.zeros(2, 1), 0, 3, 0, 0)).getMessage());
        assertEquals("w must be a floating tensor, got int64",
                assertThrows(IllegalArgumentException.class,
                        () -> SyntheticData.linear(Tensor.ofLongs(1), 0, 3, 0, 0)).getMessage());
        assertEquals("the number of examples must be >= 0, got -1",
                assertThrows(IllegalArgumentException.class,
                        () -> SyntheticData.linear(Tensor.of(1), 0, -1, 0, 0)).getMessage());
        assertEquals("noiseStd must be >= 0, got NaN",
                assertThrows(IllegalArgumentException.class,
                        () -> SyntheticData.linear(Tensor.of(1), 0, 3, Double.NaN, 0)).getMessage());
        Tensor[] none = SyntheticData.linear(Tensor.of(1, 2), 0, 0, 0.01, 0);
        assertArrayEquals(new int[] {0, 2}, none[0].shape());
        assertArrayEquals(new int[] {0, 1}, none[1].shape());
    }
}
