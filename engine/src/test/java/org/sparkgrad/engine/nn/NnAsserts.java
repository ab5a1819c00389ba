package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.function.Executable;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/** Assertions shared by the nn tests. */
final class NnAsserts {
    /** Float32 results against float32 PyTorch values: a few ulps of values up to about 10. */
    static final double TOL = 1e-5;

    private NnAsserts() {
    }

    static void assertValues(Tensor t, double... expected) {
        assertArrayEquals(expected, t.toArray(), TOL, () -> "values of " + t);
    }

    static void assertShape(Tensor t, int... shape) {
        assertArrayEquals(shape, t.shape(), () -> "shape of " + t);
    }

    static <T extends Throwable> String message(Class<T> type, Executable e) {
        T ex = assertThrows(type, e);
        assertNotNull(ex.getMessage(), () -> "exception without a message: " + ex);
        return ex.getMessage();
    }

    static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "expected the message to contain <" + part + "> but was <" + message + ">");
        }
    }

    /** A float32 tensor of the given shape and row-major values. */
    static Tensor t(int[] shape, double... values) {
        return Tensor.tensor(values, DType.FLOAT32, shape);
    }

    static int[] shape(int... s) {
        return s;
    }

    /** A float64 leaf that requires grad, for Gradcheck. */
    static Tensor d(int[] shape, double... values) {
        return Tensor.tensor(values, DType.FLOAT64, shape).requiresGrad_();
    }

    /** Min, max, mean and standard deviation of t's elements. */
    static double[] stats(Tensor t) {
        double[] v = t.toArray();
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        double sum = 0;
        for (double x : v) {
            min = Math.min(min, x);
            max = Math.max(max, x);
            sum += x;
        }
        double mean = sum / v.length;
        double sq = 0;
        for (double x : v) {
            sq += (x - mean) * (x - mean);
        }
        return new double[] {min, max, mean, Math.sqrt(sq / (v.length - 1))};
    }

    /** Uniform on [-bound, bound]: inside it, reaching near both ends, mean near 0. */
    static void assertUniform(Tensor t, double bound) {
        double[] s = stats(t);
        assertTrue(s[0] >= -bound && s[1] <= bound, "range [" + s[0] + ", " + s[1] + "] within +-" + bound);
        assertTrue(s[0] < -0.99 * bound && s[1] > 0.99 * bound, "range [" + s[0] + ", " + s[1] + "] reaches +-" + bound);
        // Five standard errors of the mean: seeded, so deterministic, and far from flaky on a new seed.
        assertEquals(0, s[2], 5 * bound / Math.sqrt(3.0 * t.numel()), "mean");
        assertEquals(bound / Math.sqrt(3), s[3], 0.02 * bound, "std");
    }

    static void assertNormal(Tensor t, double mean, double std) {
        double[] s = stats(t);
        assertEquals(mean, s[2], 5 * std / Math.sqrt(t.numel()), "mean");
        assertEquals(std, s[3], 0.02 * std, "std");
    }

    /** Converts a module's floating parameters and buffers to float64 in place (PyTorch's module.double()). */
    static <M extends Module> M toFloat64(M m) {
        for (Parameter p : m.parameters()) {
            p.setData(p.detach().toDouble());
        }
        for (Tensor b : m.namedBuffers().values()) {
            if (b.dtype().isFloatingPoint()) {
                b.setData(b.detach().toDouble());
            }
        }
        return m;
    }
}
