package org.sparkgrad.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused dense rows of softmax / log-softmax ({@link Simd#expShifted}, {@link Simd#subTwice}): the
 * step-by-step vector composition they replace (to the last bit but for the JIT's two exps) (subtract, exp, sum, divide or subtract twice), and close to a
 * double reference, on lengths with and without a tail, from an offset, with infinite and NaN rows.
 */
class SoftmaxRowTest {
    /** The former composition of one dense float row, step by step through Simd's loops. */
    private static float[] composed(boolean log, float[] x, int ix, int n) {
        float[] o = new float[n];
        float max = Simd.extreme(true, x, ix, n);
        float[] shift = {Float.isFinite(max) ? max : 0f};
        Simd.binary(BinaryOp.SUB, x, ix, 1, shift, 0, 0, o, 0, n);
        Simd.unary(UnaryOp.EXP, o, 0, o, 0, n);
        float sum = (float) Simd.sum(o, 0, n, new float[Simd.floatLanes()]);
        if (log) {
            float[] lse = {(float) Math.log(sum)};
            Simd.binary(BinaryOp.SUB, x, ix, 1, shift, 0, 0, o, 0, n);
            Simd.binary(BinaryOp.SUB, o, 0, 1, lse, 0, 0, o, 0, n);
        } else {
            Simd.binary(BinaryOp.DIV, o, 0, 1, new float[] {sum}, 0, 0, o, 0, n);
        }
        return o;
    }

    private static float[] fused(boolean log, float[] x, int ix, int n) {
        float[] o = new float[n + 3];
        SoftmaxKernels.forward(log, x, ix, 1, o, 3, 1, n);
        return java.util.Arrays.copyOfRange(o, 3, n + 3);
    }

    /**
     * Equal up to 2 units in the last place: the Vector API's exp gives different last bits interpreted (its Java
     * fallback) and compiled (the SVML intrinsic), and the two paths here may run in different states of the JIT.
     * A wrong shift, sum or tail is many units off.
     */
    private static void assertWithinUlps(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.isNaN(want[i]) || Float.isInfinite(want[i]) || want[i] == got[i]) {
                assertEquals(want[i], got[i], what + " element " + i);
            } else {
                assertEquals(want[i], got[i], 2 * Math.ulp(want[i]), what + " element " + i);
            }
        }
    }

    @Test
    void fusedRowsEqualTheComposedStepsWithinUlpsAndTheDoubleReferenceClosely() {
        if (!VectorApi.AVAILABLE) {
            return; // the dense path is the vector one; without it forward takes the scalar loop
        }
        Random r = new Random(9);
        for (int n : new int[] {1, 5, 8, 13, 64, 100, 1000}) {
            float[] x = new float[n + 2];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * 4);
            }
            for (boolean log : new boolean[] {false, true}) {
                float[] got = fused(log, x, 2, n);
                assertWithinUlps(composed(log, x, 2, n), got, log + " n=" + n);
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) {
                    max = Math.max(max, x[2 + i]);
                }
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += Math.exp(x[2 + i] - max);
                }
                for (int i = 0; i < n; i++) {
                    double want = log ? x[2 + i] - max - Math.log(sum) : Math.exp(x[2 + i] - max) / sum;
                    assertEquals(want, got[i], 1e-5 * Math.max(1, Math.abs(want)), log + " n=" + n + " element " + i);
                }
            }
        }
    }

    @Test
    void infiniteAndNaNRowsFollowTheComposition() {
        if (!VectorApi.AVAILABLE) {
            return;
        }
        float inf = Float.POSITIVE_INFINITY;
        float[][] rows = {
            {1, inf, 2, 3, 4, 5, 6, 7, 8, 9},
            {-inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf},
            {0, 1, Float.NaN, 2, 3, 4, 5, 6, 7, 8, 9},
            {-inf, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}};
        for (float[] x : rows) {
            for (boolean log : new boolean[] {false, true}) {
                assertWithinUlps(composed(log, x, 0, x.length), fused(log, x, 0, x.length),
                        log + " " + java.util.Arrays.toString(x));
            }
        }
        float[] lsm = fused(true, rows[3], 0, rows[3].length);
        assertEquals(Float.NEGATIVE_INFINITY, lsm[0]);
        float[] sm = fused(false, rows[3], 0, rows[3].length);
        assertEquals(0f, sm[0]);
    }
}
