package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The singular value decomposition (Svd), svdvals and the norms built on it, against values derived by hand.
 * PyTorch's values (random, batched, ill-conditioned and repeated-singular-value inputs) are in the OpInfo
 * corpus; finite differences in GradcheckOpCases.
 */
class SvdTest {
    private static Tensor f64(double[] v, int... shape) {
        return Tensor.tensor(v, DType.FLOAT64, shape);
    }

    private static void assertClose(double[] want, double[] got, double tol) {
        assertEquals(want.length, got.length, "length");
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], tol, "element " + i);
        }
    }

    /** U diag(S) V^T rebuilt, U^T U = I and V^T V = I, S descending and non-negative. */
    private static void assertDecomposes(double[] a, int m, int n, double tol) {
        Svd.Result r = Svd.of(a, m, n);
        int k = Math.min(m, n);
        assertEquals(k, r.k());
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int c = 0; c < k; c++) {
                    sum += r.u()[i * k + c] * r.s()[c] * r.v()[j * k + c];
                }
                assertEquals(a[i * n + j], sum, tol, "A[" + i + "][" + j + "] rebuilt");
            }
        }
        assertOrthonormalColumns(r.u(), m, k, tol);
        assertOrthonormalColumns(r.v(), n, k, tol);
        for (int c = 0; c < k; c++) {
            assertTrue(r.s()[c] >= 0 && (c == 0 || r.s()[c] <= r.s()[c - 1]), "S descending: " + java.util.Arrays.toString(r.s()));
        }
    }

    private static void assertOrthonormalColumns(double[] q, int rows, int k, double tol) {
        for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++) {
                double d = 0;
                for (int i = 0; i < rows; i++) {
                    d += q[i * k + a] * q[i * k + b];
                }
                assertEquals(a == b ? 1 : 0, d, tol, "column " + a + " . column " + b);
            }
        }
    }

    @Test
    void randomTallWideAndSquareMatricesDecompose() {
        Generator g = new Generator(7);
        for (int[] mn : new int[][] {{5, 3}, {3, 5}, {4, 4}, {1, 6}, {6, 1}, {1, 1}}) {
            double[] a = new double[mn[0] * mn[1]];
            for (int i = 0; i < a.length; i++) {
                a[i] = g.nextNormal();
            }
            assertDecomposes(a, mn[0], mn[1], 1e-13);
        }
    }

    @Test
    void rankDeficientMatricesGetAnOrthonormalCompletion() {
        // a b^T (rank 1) and the zero matrix: U and V still have orthonormal columns.
        double[] a = {1, 2, 2};
        double[] b = {3, 4};
        double[] ab = new double[6];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 2; j++) {
                ab[i * 2 + j] = a[i] * b[j];
            }
        }
        assertDecomposes(ab, 3, 2, 1e-13);
        assertClose(new double[] {15, 0}, Svd.of(ab, 3, 2).s(), 1e-13);   // |a| |b| = 3 * 5
        assertDecomposes(new double[9], 3, 3, 0);
    }

    @Test
    void hilbertMatrixKeepsItsSmallSingularValues() {
        // 1/(i + j + 1), 8 x 8: condition number 1.5e10; singular values of a symmetric positive definite
        // matrix are its eigenvalues, whose product is the determinant, known in closed form.
        int n = 8;
        double[] h = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                h[i * n + j] = 1.0 / (i + j + 1);
            }
        }
        assertDecomposes(h, n, n, 1e-14);
        double logDet = 0;
        for (double s : Svd.of(h, n, n).s()) {
            logDet += Math.log(s);
        }
        // det H_n = c_n^4 / c_2n with c_n = prod_{i<n} i!; for n = 8 it is 2.737050113791513e-33 (gen: exact fractions).
        assertEquals(Math.log(2.737050113791513e-33), logDet, 1e-6);
    }

    @Test
    void normsOfADiagonalMatrixAndTheirGradients() {
        // A = diag(3, -4): singular values 4, 3 with u1 = e2, v1 = -e2, u2 = e1, v2 = e1.
        Tensor a = f64(new double[] {3, 0, 0, -4}, 2, 2).requiresGrad_();
        assertClose(new double[] {4, 3}, a.svdvals().toArray(), 1e-15);
        Tensor nuc = a.matrixNorm("nuc", new int[] {-2, -1}, false);
        assertEquals(7, nuc.item(), 1e-15);
        nuc.backward();
        assertClose(new double[] {1, 0, 0, -1}, a.grad().toArray(), 1e-15);   // U V^T
        a.grad().zero_();
        a.matrixNorm(2, new int[] {-2, -1}, false).backward();
        assertClose(new double[] {0, 0, 0, -1}, a.grad().toArray(), 1e-15);   // u1 v1^T
        a.grad().zero_();
        a.matrixNorm(-2, new int[] {-2, -1}, false).backward();
        assertClose(new double[] {1, 0, 0, 0}, a.grad().toArray(), 1e-15);    // u2 v2^T
    }

    @Test
    void theSpectralNormOfARankOneMatrixPointsAlongIt() {
        // A = a b^T: ||A||_2 = |a| |b| and its gradient a b^T / (|a| |b|) = A / ||A||_2; ||A||_* is the same.
        double[] v = {3, 4, 6, 8, 0, 0};   // (1, 2, 0)^T (3, 4): 5 * sqrt(5)
        Tensor a = f64(v, 3, 2).requiresGrad_();
        Tensor two = a.matrixNorm(2, new int[] {0, 1}, false);
        assertEquals(5 * Math.sqrt(5), two.item(), 1e-13);
        two.backward();
        double[] want = new double[6];
        for (int i = 0; i < 6; i++) {
            want[i] = v[i] / (5 * Math.sqrt(5));
        }
        assertClose(want, a.grad().toArray(), 1e-14);
        assertEquals(5 * Math.sqrt(5), a.norm("nuc", null, false).item(), 1e-13);
    }

    @Test
    void repeatedSingularValuesShareTheGradientAsInPyTorch() {
        // 2 I: every singular value is 2; amax / amin give each a third of the gradient: A.grad = I / 3.
        for (double ord : new double[] {2, -2}) {
            Tensor a = f64(new double[] {2, 0, 0, 0, 2, 0, 0, 0, 2}, 3, 3).requiresGrad_();
            a.matrixNorm(ord, new int[] {-2, -1}, false).backward();
            assertClose(new double[] {1 / 3.0, 0, 0, 0, 1 / 3.0, 0, 0, 0, 1 / 3.0}, a.grad().toArray(), 1e-15);
        }
    }

    @Test
    void batchedNormsKeepTheirDims() {
        // Two diagonal blocks diag(1, 2) and diag(5, 3) stacked on dim 1 of a (2, 2, 2) tensor, reduced over dims 0, 2.
        Tensor x = f64(new double[] {1, 0, 5, 0, 0, 2, 0, 3}, 2, 2, 2);
        Tensor two = x.matrixNorm(2, new int[] {0, 2}, true);
        assertArrayEquals(new int[] {1, 2, 1}, two.shape());
        assertClose(new double[] {2, 5}, two.toArray(), 1e-15);
        assertClose(new double[] {3, 8}, x.matrixNorm("nuc", new int[] {0, 2}, false).toArray(), 1e-15);
        assertClose(new double[] {1, 3}, x.matrixNorm(-2, new int[] {0, 2}, false).toArray(), 1e-15);
        Tensor f32 = Tensor.tensor(new float[] {3, 0, 0, -4}, 2, 2);
        assertEquals(DType.FLOAT32, f32.matrixNorm("nuc", new int[] {0, 1}, false).dtype());
    }

    @Test
    void badInputsAreRefused() {
        assertEquals("linalg.svd: The input tensor A must have at least 2 dimensions.",
                assertThrows(IllegalArgumentException.class, () -> Tensor.of(1, 2).svdvals()).getMessage());
        assertEquals("linalg.svd: Expected a floating point or complex tensor as input. Got int64",
                assertThrows(IllegalArgumentException.class, () -> Tensor.ofLongs(1, 2, 3, 4).reshape(2, 2).svdvals())
                        .getMessage());
    }
}
