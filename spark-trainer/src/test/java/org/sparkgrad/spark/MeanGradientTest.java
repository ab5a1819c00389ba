package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The driver's mean gradient: sums divided by the sample count, and the first non-finite value. */
class MeanGradientTest {
    @Test
    void floatDivisionGivesBitwiseTheDoubleDivisionRoundedToFloat() {
        SplittableRandom r = new SplittableRandom(11);
        float[] v = new float[1 << 16];
        float[] expected = new float[v.length];
        for (double count : new double[] {1, 3, 7, 10, 256, 1000, 65_537, (1 << 24) - 1, 1 << 24, 3e7 + 1}) {
            for (int i = 0; i < v.length; i++) {
                // every exponent range, subnormals and signed zeros included
                v[i] = i % 97 == 0 ? -0f : Float.intBitsToFloat(r.nextInt());
                if (!Float.isFinite(v[i])) {
                    v[i] = 1.5f;
                }
                expected[i] = (float) (v[i] / count);
            }
            assertTrue(TrainingRun.divide(v, count), "finite quotients, count " + count);
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(v[i]),
                        "count " + count + ", element " + i);
            }
        }
    }

    @Test
    void divisionReportsANaNOrInfinityAnywhere() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.intBitsToFloat(0xffc00001)}) {
            for (double count : new double[] {3, 3e7 + 1}) {
                for (int at : new int[] {0, 17, 1000}) {
                    float[] v = new float[1001];
                    java.util.Arrays.fill(v, Float.MAX_VALUE);
                    v[at] = bad;
                    assertFalse(TrainingRun.divide(v, count), bad + " at " + at + ", count " + count);
                    assertEquals(at, TrainingRun.firstNonFinite(v));
                }
            }
        }
        float[] extremes = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -0f};
        assertTrue(TrainingRun.divide(extremes, 1));
        assertEquals(Float.MAX_VALUE, extremes[0]);
    }

    @Test
    void theFirstNaNOrInfinityIsFound() {
        float[] v = {0f, -1f, Float.MIN_VALUE, Float.MAX_VALUE};
        assertEquals(-1, TrainingRun.firstNonFinite(v));
        v[2] = Float.NEGATIVE_INFINITY;
        v[3] = Float.NaN;
        assertEquals(2, TrainingRun.firstNonFinite(v));
        assertEquals(0, TrainingRun.firstNonFinite(new float[] {Float.NaN}));
    }
}
