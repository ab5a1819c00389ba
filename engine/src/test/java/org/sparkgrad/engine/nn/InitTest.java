package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkgrad.engine.nn.NnAsserts.assertContains;
import static org.sparkgrad.engine.nn.NnAsserts.assertNormal;
import static org.sparkgrad.engine.nn.NnAsserts.assertUniform;
import static org.sparkgrad.engine.nn.NnAsserts.assertValues;
import static org.sparkgrad.engine.nn.NnAsserts.message;
import static org.sparkgrad.engine.nn.NnAsserts.stats;

import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/**
 * {@link Init}: fan computation, gains and bounds against torch 1.13 ({@code torch.nn.init}); the random
 * streams differ from PyTorch's, so random fills are checked by their range and moments, and for
 * reproducibility from a seed.
 */
class InitTest {
    /** {@code init.calculate_gain(nl, param)} in torch 1.13. */
    @Test
    void gainsMatchTorch() {
        assertEquals(1, Init.calculateGain("linear"));
        assertEquals(1, Init.calculateGain("sigmoid"));
        assertEquals(1, Init.calculateGain("conv2d"));
        assertEquals(1.6666666666666667, Init.calculateGain("tanh"), 1e-15);
        assertEquals(1.4142135623730951, Init.calculateGain("relu"), 1e-15);
        assertEquals(1.4141428569978354, Init.calculateGain("leaky_relu"), 1e-15);
        assertEquals(0.5773502691896257, Init.calculateGain("leaky_relu", Math.sqrt(5)), 1e-15);
        assertEquals(0.75, Init.calculateGain("selu"));
        assertEquals("Unsupported nonlinearity gelu", message(IllegalArgumentException.class, () -> Init.calculateGain("gelu")));
    }

    /** {@code init._calculate_fan_in_and_fan_out(torch.empty(5, 3, 2, 2))} = (12, 20); for [4, 7]: (7, 4). */
    @Test
    void fansMatchTorch() {
        assertArrayEquals(new int[] {12, 20}, Init.fanInAndFanOut(Tensor.zeros(5, 3, 2, 2)));
        assertArrayEquals(new int[] {7, 4}, Init.fanInAndFanOut(Tensor.zeros(4, 7)));
        assertContains(message(IllegalArgumentException.class, () -> Init.xavierUniform_(Tensor.zeros(3))),
                "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions", "[3]");
    }

    @Test
    void constantFills() {
        Tensor t = Tensor.ones(2, 2);
        assertSame(t, Init.zeros_(t));
        assertValues(t, 0, 0, 0, 0);
        assertSame(t, Init.ones_(t));
        assertValues(t, 1, 1, 1, 1);
        assertSame(t, Init.constant_(t, 0.25));
        assertValues(t, 0.25, 0.25, 0.25, 0.25);
    }

    @Test
    void uniformAndNormalFillTheirDistributions() {
        Tensor u = Tensor.zeros(100, 100);
        assertSame(u, Init.uniform_(u, -0.5, 0.5, new Generator(1)));
        assertUniform(u, 0.5);
        Tensor shifted = Init.uniform_(Tensor.zeros(10_000), 2, 3, new Generator(2));
        double[] s = stats(shifted);
        assertTrue(s[0] >= 2 && s[1] <= 3 && s[0] < 2.01 && s[1] > 2.99);
        Tensor n = Init.normal_(Tensor.zeros(200, 100), 1.5, 0.5, new Generator(3));
        assertNormal(n, 1.5, 0.5);
        assertEquals(DType.FLOAT64, Init.normal_(Tensor.zeros(DType.FLOAT64, 3), 0, 1).dtype());
        assertContains(message(IllegalArgumentException.class, () -> Init.uniform_(Tensor.zeros(2), 1, 0)), "from=1.0 > to=0.0");
    }

    /**
     * Bounds as torch computes them (max |w| after a fill in torch 1.13, next to the formula):
     * {@code kaiming_uniform_(empty(200, 300))} 0.14142 = sqrt(3) sqrt(2) / sqrt(300);
     * {@code kaiming_uniform_(w, mode='fan_out', nonlinearity='relu')} 0.17320 = sqrt(6 / 200);
     * {@code xavier_uniform_(w, gain=2.0)} 0.21909 = 2 sqrt(6 / 500);
     * {@code kaiming_normal_(empty(400, 500)).std()} 0.06325 = sqrt(2 / 500);
     * {@code xavier_normal_(empty(400, 500)).std()} 0.04714 = sqrt(2 / 900).
     */
    @Test
    void kaimingAndXavierUseTorchsBounds() {
        Generator g = new Generator(4);
        assertUniform(Init.kaimingUniform_(Tensor.zeros(200, 300), 0, "fan_in", "leaky_relu", g), 0.1414213562373095);
        assertUniform(Init.kaimingUniform_(Tensor.zeros(200, 300), 0, "fan_out", "relu", g), 0.17320508075688773);
        assertUniform(Init.kaimingUniform_(Tensor.zeros(200, 300), Math.sqrt(5), "fan_in", "leaky_relu", g), 1 / Math.sqrt(300));
        assertUniform(Init.xavierUniform_(Tensor.zeros(200, 300), 2.0, g), 0.21908902300206645);
        assertNormal(Init.kaimingNormal_(Tensor.zeros(400, 500), 0, "fan_in", "leaky_relu", g), 0, 0.06324555320336758);
        assertNormal(Init.xavierNormal_(Tensor.zeros(400, 500), 1.0, g), 0, 0.04714045207910317);
        // The no-generator overloads use PyTorch's defaults (kaiming: a = 0, fan_in, leaky_relu; xavier: gain 1).
        assertUniform(Init.kaimingUniform_(Tensor.zeros(200, 300)), 0.1414213562373095);
        assertUniform(Init.xavierUniform_(Tensor.zeros(200, 300)), Math.sqrt(6.0 / 500));
        assertNormal(Init.kaimingNormal_(Tensor.zeros(400, 500)), 0, 0.06324555320336758);
        assertNormal(Init.xavierNormal_(Tensor.zeros(400, 500)), 0, 0.04714045207910317);
        // Receptive field: a [5, 3, 2, 2] conv weight has fan_in 12.
        double[] s = stats(Init.kaimingUniform_(Tensor.zeros(5, 3, 2, 2), Math.sqrt(5)));
        assertTrue(Math.max(-s[0], s[1]) <= 1 / Math.sqrt(12));
        // Zero elements: nothing to do (PyTorch warns and returns).
        assertEquals(0, Init.kaimingUniform_(Tensor.zeros(0, 3)).numel());

        assertEquals("Mode fan_avg not supported, please use one of ['fan_in', 'fan_out']", message(
                IllegalArgumentException.class, () -> Init.kaimingUniform_(Tensor.zeros(3, 3), 0, "fan_avg", "relu", g)));
        assertEquals("Unsupported nonlinearity gelu", message(
                IllegalArgumentException.class, () -> Init.kaimingNormal_(Tensor.zeros(3, 3), 0, "fan_in", "gelu", g)));
    }

    @Test
    void fillsAreReproducibleFromASeed() {
        Tensor a = Init.kaimingUniform_(Tensor.zeros(4, 5), 0, "fan_in", "relu", new Generator(9));
        Tensor b = Init.kaimingUniform_(Tensor.zeros(4, 5), 0, "fan_in", "relu", new Generator(9));
        Tensor c = Init.kaimingUniform_(Tensor.zeros(4, 5), 0, "fan_in", "relu", new Generator(10));
        assertTrue(a.equal(b));
        assertFalse(a.equal(c));
        assertTrue(Init.normal_(Tensor.zeros(6), 0, 1, new Generator(9)).equal(Init.normal_(Tensor.zeros(6), 0, 1,
                new Generator(9))));
    }

    @Test
    void fillsWorkOnParametersWithoutRecordingAutograd() {
        Parameter p = new Parameter(Tensor.zeros(3, 4));
        assertTrue(GradMode.isEnabled());
        assertSame(p, Init.xavierUniform_(p));
        assertSame(p, Init.normal_(p, 0, 1));
        assertSame(p, Init.ones_(p));
        assertTrue(p.isLeaf() && p.requiresGrad());
        assertNull(p.gradFn());
        assertTrue(GradMode.isEnabled(), "grad mode restored");
        // Still usable in a graph afterwards.
        p.sum().backward();
        assertValues(p.grad(), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    }
}
