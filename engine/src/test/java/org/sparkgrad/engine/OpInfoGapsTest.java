package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * What the float64 OpInfo corpus (opinfo/OpInfoTest) does not reach: integer operands and the messages of
 * the ops added for issue 13. Expected values are torch 1.13's.
 */
class OpInfoGapsTest {
    private static void assertValues(Tensor t, DType dtype, double... expected) {
        assertEquals(dtype, t.dtype());
        double[] v = t.toArray();
        assertEquals(expected.length, v.length);
        for (int i = 0; i < v.length; i++) {
            assertEquals(expected[i], v[i], 1e-12, "element " + i);
        }
    }

    private static String message(Class<? extends RuntimeException> type, Runnable r) {
        return assertThrows(type, r::run).getMessage();
    }

    @Test
    void integerDivisionWithARoundingModeStaysInteger() {
        Tensor a = Tensor.ofLongs(7, -7, 5);
        Tensor b = Tensor.ofLongs(2, 2, -3);
        assertValues(a.div(b, "floor"), DType.INT64, 3, -4, -2);
        assertValues(a.div(b, "trunc"), DType.INT64, 3, -3, -1);
        assertValues(a.div(b, null), DType.FLOAT32, 3.5, -3.5, 5 / -3.0f);
        Tensor x = Tensor.tensor(new double[] {1.5, -2.0, 3.0, 0.5}, DType.FLOAT64, 2, 2);
        assertValues(x.div(2L, "floor"), DType.FLOAT64, 0, -1, 1, 0);
        assertValues(x.div(-0.75, "trunc"), DType.FLOAT64, -2, 2, -4, 0);
        // A number over a tensor, torch.div(7, t, rounding_mode=...).
        assertValues(Tensor.div(7L, Tensor.ofLongs(2, -2), "floor"), DType.INT64, 3, -4);
        assertValues(Tensor.div(7.0, Tensor.tensor(new double[] {2, -4}, DType.FLOAT64, 2), "trunc"), DType.FLOAT64, 3, -1);
        assertTrue(message(ArithmeticException.class, () -> a.div(Tensor.ofLongs(1, 0, 1), "floor")).contains("ZeroDivisionError"));
        assertTrue(message(IllegalArgumentException.class, () -> x.div(x, "round")).contains("'trunc', or 'floor'"));
    }

    @Test
    void alphaMustBeIntegralForIntegerTensors() {
        Tensor a = Tensor.ofLongs(7, -7, 5);
        assertValues(a.add(Tensor.ofLongs(1, 1, 1), 3L), DType.INT64, 10, -4, 8);
        assertValues(a.rsub(Tensor.ofLongs(1, 1, 1), 2L), DType.INT64, -13, 15, -9);
        assertEquals("For integral input tensors, argument alpha must not be a floating point number.",
                message(IllegalArgumentException.class, () -> a.sub(a, 0.5)));
    }

    @Test
    void integerTensorsKeepTheirTypeThroughTheNewOps() {
        Tensor a = Tensor.ofLongs(7, -7, 5);
        assertValues(a.clamp(Tensor.ofLongs(0, 0, 0), Tensor.ofLongs(6, 6, 6)), DType.INT64, 6, 0, 5);
        assertValues(a.maximum(Tensor.ofLongs(0, 0, 9)), DType.INT64, 7, 0, 9);
        assertValues(Tensor.pow(2L, Tensor.ofLongs(1, 3)), DType.INT64, 2, 8);
        assertValues(Tensor.pow(2.0, Tensor.ofLongs(1, 3)), DType.FLOAT32, 2, 8);
        assertValues(Tensor.where(Tensor.of(1, 0).gt(0), 2.5, Tensor.tensor(new double[] {1, 2}, DType.FLOAT64, 2)),
                DType.FLOAT64, 2.5, 2);
        Tensor x = Tensor.tensor(new double[] {1.5, -2.0, 3.0, 0.5}, DType.FLOAT64, 2, 2);
        assertValues(x.argmax(), DType.INT64, 2);
        assertValues(x.argmin(), DType.INT64, 1);
        assertEquals(0, x.argmax().dim());
    }

    @Test
    void newOpsSayWhatIsWrong() {
        Tensor x = Tensor.tensor(new double[] {1.5, -2.0, 3.0, 0.5}, DType.FLOAT64, 2, 2);
        assertEquals("start (1) + length (2) exceeds dimension size (2).", message(IllegalArgumentException.class,
                () -> x.narrow(0, 1, 2)));
        assertEquals("Expected a tensor with 2 dimensions, but got a tensor with 3 dimensions instead.",
                message(IllegalArgumentException.class, () -> x.reshape(1, 2, 2).norm("nuc", null, false)));
        assertTrue(message(IllegalArgumentException.class, () -> x.matrixNorm(3, new int[] {0, 1}, false))
                .startsWith("linalg.matrix_norm: Order 3 not supported."));
        assertTrue(message(IllegalArgumentException.class, () -> x.maskedFill(x.gt(0), Tensor.of(1, 2)))
                .contains("only supports a 0-dimensional value tensor"));
        assertTrue(message(IllegalArgumentException.class, () -> Tensor.ofLongs(1).lt(0).neg())
                .startsWith("Negation, the `-` operator, on a bool tensor is not supported"));
    }
}
