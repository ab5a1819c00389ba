package org.sparkgrad.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** x ** p for one float exponent ({@link Simd#powScalar}) against {@link Math#pow}, special values included. */
class PowScalarTest {
    private static final float[] SPECIAL = {0f, -0f, 1f, -1f, 2f, -2.5f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.NaN, Float.MIN_VALUE, Float.MAX_VALUE, 1e-30f, 1e30f, 0.5f};

    @Test
    void matchesMathPowWithinAnUlpForEveryExponentKindAndTail() {
        Random r = new Random(11);
        float[] exponents = {1.5f, -1.5f, 0.25f, 3.7f, -0.5f, 3f, -2f, 0f, 1f, Float.NaN, Float.POSITIVE_INFINITY};
        for (int n : new int[] {1, 3, 4, 5, 17, 1003}) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = i < SPECIAL.length ? SPECIAL[i] : (float) Math.exp(r.nextGaussian() * 5) * (r.nextInt(5) == 0 ? -1 : 1);
            }
            for (float p : exponents) {
                float[] o = new float[n + 2];
                Simd.powScalar(a, 0, p, o, 1, n);
                for (int i = 0; i < n; i++) {
                    float want = (float) Math.pow(a[i], p);
                    String what = a[i] + " ** " + p + " (n " + n + ")";
                    if (Float.isNaN(want) || Float.isInfinite(want) || want == 0) {
                        assertEquals(want, o[i + 1], what);
                    } else {
                        assertEquals(want, o[i + 1], Math.ulp(want), what);
                    }
                }
                assertEquals(0f, o[0], "nothing written before the run");
                assertEquals(0f, o[n + 1], "nothing written after the run");
            }
        }
    }
}
