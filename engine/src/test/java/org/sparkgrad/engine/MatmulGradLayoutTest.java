package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.nn.F;

/**
 * The gradient of mm's second operand has that operand's layout, as PyTorch's mm_mat2_backward gives it: for a
 * transposed weight ({@code W.t()}, column-major) it is column-major too, so a Linear weight's gradient arrives at
 * the weight contiguous. Values against the hand-derived {@code x^T g}.
 */
class MatmulGradLayoutTest {
    @Test
    void theGradientOfATransposedSecondOperandIsColumnMajorWithTheValuesOfXTransposedTimesG() {
        Generator gen = new Generator(7);
        Tensor x = Tensor.randn(gen, 4, 3);
        Tensor w = Tensor.randn(gen, 5, 3).requiresGrad_();
        Tensor wt = w.t();
        Tensor g = Tensor.randn(gen, 4, 5);
        for (boolean withBias : new boolean[] {false, true}) {
            Tensor out = withBias ? Tensor.addmm(Tensor.zeros(5), x, wt) : x.mm(wt);
            Tensor[] grads = Autograd.grad(new Tensor[] {out}, new Tensor[] {wt}, new Tensor[] {g}, true, false);
            Tensor gw = grads[0];
            assertArrayEquals(new int[] {3, 5}, gw.shape());
            assertArrayEquals(new int[] {1, 3}, gw.strides(), "column-major like W.t()");
            float[] xv = x.toFloatArray();
            float[] gv = g.toFloatArray();
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 5; j++) {
                    double e = 0;
                    for (int k = 0; k < 4; k++) {
                        e += xv[k * 3 + i] * gv[k * 5 + j];
                    }
                    assertEquals(e, gw.select(0, i).select(0, j).item(), 1e-5, "(" + i + ", " + j + ")");
                }
            }
        }
        // a dense second operand keeps a dense gradient
        Tensor b = Tensor.randn(gen, 3, 5).requiresGrad_();
        Tensor gb = Autograd.grad(new Tensor[] {x.mm(b)}, new Tensor[] {b}, new Tensor[] {g}, false, false)[0];
        assertArrayEquals(new int[] {5, 1}, gb.strides());
        // through F.linear the weight's own gradient is contiguous
        F.linear(x, w, null).mul(g).sum().backward();
        assertTrue(w.grad().isContiguous());
        assertEquals(w.grad().sub(g.t().mm(x)).abs().max().item(), 0.0, 1e-6);
    }
}
