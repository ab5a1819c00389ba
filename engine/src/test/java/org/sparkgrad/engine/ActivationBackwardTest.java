package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * sigmoid, tanh and relu backward: the fused kernels of a plain backward and the differentiable composition
 * of a create_graph backward give the hand-derived gradients (and PyTorch 1.13's, printed next to them).
 */
class ActivationBackwardTest {
    private static final double[] X = {0.3, -2, 5};
    private static final double[] G = {1, 2, 3};
    private static final UnaryOperator<Tensor> RELU = Tensor::relu;

    private static Tensor grad(UnaryOperator<Tensor> f, double[] x, double[] g, DType dtype, boolean createGraph) {
        Tensor t = Tensor.tensor(x, dtype, x.length).requiresGrad_();
        f.apply(t).backward(Tensor.tensor(g, dtype, g.length), false, createGraph);
        if (createGraph && f != RELU) {
            // (relu's create_graph VJP multiplies g by a constant mask: no history when g has none)
            assertNotNull(t.grad().gradFn(), "create_graph records the VJP");
        } else {
            assertNull(t.grad().gradFn(), "a plain backward records nothing");
        }
        return t.grad();
    }

    @Test
    void sigmoidGradientIsGTimesYTimesOneMinusY() {
        // torch.sigmoid(x).backward(g) in float64: [0.24445831169074586, 0.209987170807013, 0.0199441700123701]
        double[] torch = {0.24445831169074586, 0.209987170807013, 0.0199441700123701};
        for (boolean cg : new boolean[] {false, true}) {
            for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                double[] got = grad(Tensor::sigmoid, X, G, dt, cg).toArray();
                for (int i = 0; i < X.length; i++) {
                    double y = 1 / (1 + Math.exp(-X[i]));
                    double tol = dt == DType.FLOAT64 ? 1e-15 : 1e-7;
                    assertEquals(G[i] * y * (1 - y), got[i], tol, "sigmoid' at " + X[i] + " create_graph " + cg + " " + dt);
                    assertEquals(torch[i], got[i], tol, "PyTorch's value at " + X[i]);
                }
            }
        }
    }

    @Test
    void tanhGradientIsGTimesOneMinusYSquared() {
        // torch.tanh(x).backward(g) in float64
        double[] torch = {0.9151369618266292, 0.14130164970632886, 0.0005447496928315579};
        for (boolean cg : new boolean[] {false, true}) {
            for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                double[] got = grad(Tensor::tanh, X, G, dt, cg).toArray();
                for (int i = 0; i < X.length; i++) {
                    double y = Math.tanh(X[i]);
                    double tol = dt == DType.FLOAT64 ? 1e-15 : 2e-7 * G[i];
                    assertEquals(G[i] * (1 - y * y), got[i], tol, "tanh' at " + X[i] + " create_graph " + cg + " " + dt);
                    assertEquals(torch[i], got[i], tol, "PyTorch's value at " + X[i]);
                }
            }
        }
    }

    @Test
    void reluPassesTheGradientWhereTheResultIsNaN() {
        // torch.relu(tensor([nan, -1, 0, 2])).backward(ones) gives [1, 0, 0, 1] (threshold_backward: 0 where y <= 0)
        double[] x = {Double.NaN, -1, 0, 2};
        double[] ones = {1, 1, 1, 1};
        for (boolean cg : new boolean[] {false, true}) {
            for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                assertArrayEquals(new double[] {1, 0, 0, 1}, grad(RELU, x, ones, dt, cg).toArray(), 0.0,
                        "relu' create_graph " + cg + " " + dt);
            }
        }
    }

    @Test
    void fusedBackwardOnALargeDenseInputMatchesTheFormula() {
        // Long enough for the vector loops and several threads' chunks, odd so that a tail is left.
        int n = 200_003;
        double[] x = new double[n];
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Math.sin(i * 0.37) * 6;
            g[i] = Math.cos(i * 0.11);
        }
        float[] s = grad(Tensor::sigmoid, x, g, DType.FLOAT32, false).toFloatArray();
        float[] t = grad(Tensor::tanh, x, g, DType.FLOAT32, false).toFloatArray();
        float[] r = grad(RELU, x, g, DType.FLOAT32, false).toFloatArray();
        for (int i = 0; i < n; i++) {
            double y = 1 / (1 + Math.exp(-(float) x[i]));
            double th = Math.tanh((float) x[i]);
            assertEquals((float) g[i] * y * (1 - y), s[i], 1e-6, "sigmoid' at " + i);
            assertEquals((float) g[i] * (1 - th * th), t[i], 1e-6, "tanh' at " + i);
            assertEquals((float) x[i] > 0 ? (float) g[i] : 0f, r[i], 0f, "relu' at " + i);
        }
    }
}
