package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
            TrainingRun.divide(v, count);
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(v[i]),
                        "count " + count + ", element " + i);
            }
        }
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
