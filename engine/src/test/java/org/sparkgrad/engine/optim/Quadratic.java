package org.sparkgrad.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Parameter;

/**
 * The fixed problem the optimizer tests train on: loss = sum((x @ w + b - y)^2) with w [2, 3], b [3] and a
 * third parameter u [2] that never gets a gradient. The same numbers are in the Python snippet below,
 * which recorded the expected values from torch 1.13:
 *
 * <pre>
 * W0 = [[0.5, -0.3, 0.8], [0.1, 0.4, -0.6]]; B0 = [0.05, -0.1, 0.2]
 * X = [[1.0, 2.0], [-0.5, 0.3], [0.7, -1.2], [2.0, 0.1]]
 * Y = [[1.0, 0.0, -1.0], [0.5, 0.5, 0.5], [-0.3, 0.2, 0.1], [0.0, 1.0, 2.0]]
 * def train(make, dtype, steps=5):
 *     w = torch.tensor(W0, dtype=dtype, requires_grad=True)
 *     b = torch.tensor(B0, dtype=dtype, requires_grad=True)
 *     u = torch.tensor([1.0, 2.0], dtype=dtype, requires_grad=True)
 *     x = torch.tensor(X, dtype=dtype); y = torch.tensor(Y, dtype=dtype)
 *     opt = make([w, b, u])
 *     for _ in range(steps):
 *         opt.zero_grad(set_to_none=True)
 *         loss = ((x @ w + b - y) ** 2).sum()
 *         loss.backward()
 *         opt.step()
 *     return w.detach().flatten().tolist() + b.detach().tolist()
 * </pre>
 */
final class Quadratic {
    static final double[] W0 = {0.5, -0.3, 0.8, 0.1, 0.4, -0.6};
    static final double[] B0 = {0.05, -0.1, 0.2};
    static final double[] U0 = {1.0, 2.0};
    static final double[] X = {1.0, 2.0, -0.5, 0.3, 0.7, -1.2, 2.0, 0.1};
    static final double[] Y = {1.0, 0.0, -1.0, 0.5, 0.5, 0.5, -0.3, 0.2, 0.1, 0.0, 1.0, 2.0};

    final Parameter w;
    final Parameter b;
    final Parameter u;
    final Tensor x;
    final Tensor y;

    Quadratic(DType dtype) {
        w = new Parameter(Tensor.tensor(W0, dtype, 2, 3));
        b = new Parameter(Tensor.tensor(B0, dtype, 3));
        u = new Parameter(Tensor.tensor(U0, dtype, 2));
        x = Tensor.tensor(X, dtype, 4, 2);
        y = Tensor.tensor(Y, dtype, 4, 3);
    }

    /** float64, where the engine's arithmetic matches PyTorch's to rounding. */
    Quadratic() {
        this(DType.FLOAT64);
    }

    List<Parameter> params() {
        return List.of(w, b, u);
    }

    Map<String, Parameter> named() {
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("fc.weight", w);
        m.put("fc.bias", b);
        m.put("unused", u);
        return m;
    }

    Tensor loss() {
        return x.matmul(w).add(b).sub(y).pow(2).sum();
    }

    /** zeroGrad, backward, step, steps times. */
    void train(Optimizer opt, int steps) {
        for (int i = 0; i < steps; i++) {
            opt.zeroGrad();
            loss().backward();
            opt.step();
        }
    }

    /** w flattened, then b (the layout of the recorded values). */
    double[] values() {
        double[] wv = w.toArray();
        double[] bv = b.toArray();
        double[] out = new double[wv.length + bv.length];
        System.arraycopy(wv, 0, out, 0, wv.length);
        System.arraycopy(bv, 0, out, wv.length, bv.length);
        return out;
    }

    /** Trains a fresh problem of the given type 5 steps with the optimizer made by make; returns w and b. */
    static double[] trainFive(DType dtype, Function<List<Parameter>, Optimizer> make) {
        Quadratic q = new Quadratic(dtype);
        q.train(make.apply(q.params()), 5);
        assertEquals(List.of(1.0, 2.0), List.of(q.u.toArray()[0], q.u.toArray()[1]), "u has no grad and must not move");
        return q.values();
    }

    /** Asserts that code throws IllegalArgumentException with exactly this message. */
    static void assertMessage(String expected, org.junit.jupiter.api.function.Executable code) {
        assertEquals(expected, org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, code)
                .getMessage());
    }

    /** |actual - expected| &lt;= rtol * |expected| + 1e-12 for every element. */
    static void assertClose(double[] expected, double[] actual, double rtol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tol = rtol * Math.abs(expected[i]) + 1e-12;
            if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]
                        + " (difference " + Math.abs(actual[i] - expected[i]) + ", tolerance " + tol + ")");
            }
        }
    }
}
