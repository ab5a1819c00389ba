package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkgrad.engine.nn.NnAsserts.assertContains;
import static org.sparkgrad.engine.nn.NnAsserts.message;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;

/**
 * Dropout: outside a BatchContext PyTorch's behaviour (statistically: the drop rate, the 1 / (1 - p) scale,
 * identity in eval); inside one a mask that depends only on (seed, step, call, sample key, element).
 */
class DropoutTest {
    private static final BatchContext.StatsReducer LOCAL = local -> local;

    @Test
    void dropsAtRateAndScalesLikeTorch() {
        Dropout drop = new Dropout(0.3, new Generator(1));
        Tensor x = Tensor.ones(200, 100).requiresGrad_();
        Tensor y = drop.call(x);
        double[] v = y.toArray();
        long dropped = Arrays.stream(v).filter(a -> a == 0).count();
        long kept = Arrays.stream(v).filter(a -> Math.abs(a - 1 / 0.7) < 1e-6).count();
        assertEquals(v.length, dropped + kept, "every element is 0 or 1 / (1 - p)");
        // binomial(20000, 0.3): standard deviation 65; five of them
        assertEquals(0.3 * v.length, dropped, 5 * Math.sqrt(v.length * 0.3 * 0.7));
        assertEquals("MulBackward0", y.gradFn().name(), "as PyTorch's on the CPU");
        y.sum().backward();
        assertArrayEquals(v, x.grad().toArray(), 1e-6, "the gradient is the mask");
        drop.eval();
        assertSame(x, drop.call(x), "eval() is the identity");
        assertSame(x, F.dropout(x, 0.0, true), "p = 0 is the identity");
        assertEquals(0, F.dropout(x, 1.0, true).abs().sum().item(), "p = 1 drops everything");
        assertEquals("Dropout(p=0.3, inplace=False)", drop.toString());
    }

    @Test
    void sameSeededGeneratorsGiveSameMasks() {
        Tensor x = Tensor.ones(4, 5);
        assertArrayEquals(new Dropout(0.5, new Generator(9)).call(x).toArray(), new Dropout(0.5, new Generator(9)).call(x).toArray());
        Dropout a = new Dropout(0.5, new Generator(9));
        assertFalse(Arrays.equals(a.call(x).toArray(), a.call(x).toArray()), "the next call draws a new mask");
    }

    /** Inside a scope, a row's mask follows its sample key, not its position in the batch. */
    @Test
    void scopedMaskDependsOnSampleKeyNotOnPosition() {
        Dropout drop = new Dropout(0.5, new Generator(2));
        Tensor x = Tensor.ones(DType.FLOAT64, 4, 2, 3);
        double[] whole;
        try (BatchContext.Scope s = BatchContext.open(7, new long[] {10, 11, 12, 13}, LOCAL)) {
            whole = drop.call(x).toArray();
        }
        double[] part;
        try (BatchContext.Scope s = BatchContext.open(7, new long[] {13, 11}, LOCAL)) {
            part = drop.call(x.slice(0, 0, 2)).toArray();
        }
        assertArrayEquals(Arrays.copyOfRange(whole, 18, 24), Arrays.copyOfRange(part, 0, 6), "row with key 13");
        assertArrayEquals(Arrays.copyOfRange(whole, 6, 12), Arrays.copyOfRange(part, 6, 12), "row with key 11");
        double[] nextStep;
        try (BatchContext.Scope s = BatchContext.open(8, new long[] {10, 11, 12, 13}, LOCAL)) {
            nextStep = drop.call(x).toArray();
            double[] secondCall = drop.call(x).toArray();
            assertFalse(Arrays.equals(nextStep, secondCall), "a second call in the same scope gets another mask");
        }
        assertFalse(Arrays.equals(whole, nextStep), "another step gets another mask");
        assertNotEquals(new Dropout(0.5, new Generator(3)).seed(), drop.seed());
        long dropped = 0;
        int n = 0;
        long[] keys = new long[1000];
        Arrays.setAll(keys, i -> i);
        try (BatchContext.Scope s = BatchContext.open(1, keys, LOCAL)) {
            for (double v : drop.call(Tensor.ones(1000, 20)).toArray()) {
                dropped += v == 0 ? 1 : 0;
                n++;
                assertTrue(v == 0 || v == 2, "0 or 1 / (1 - p)");
            }
        }
        assertEquals(0.5 * n, dropped, 5 * Math.sqrt(n * 0.25), "the hashed masks drop at rate p");
        assertEquals(null, BatchContext.current(), "closing restores no scope");
    }

    @Test
    void badArguments() {
        assertContains(message(IllegalArgumentException.class, () -> new Dropout(1.5)),
                "dropout probability has to be between 0 and 1, but got 1.5");
        try (BatchContext.Scope s = BatchContext.open(1, new long[] {1, 2, 3}, LOCAL)) {
            assertContains(message(IllegalArgumentException.class, () -> new Dropout(0.5).call(Tensor.ones(2, 4))),
                    "3 sample keys", "[2, 4]", "2 rows");
        }
        BatchContext.Scope outer = BatchContext.open(1, new long[0], LOCAL);
        BatchContext.Scope inner = BatchContext.open(2, new long[0], LOCAL);
        assertContains(message(IllegalStateException.class, outer::close), "innermost first");
        inner.close();
        assertSame(outer, BatchContext.current());
        outer.close();
    }
}
