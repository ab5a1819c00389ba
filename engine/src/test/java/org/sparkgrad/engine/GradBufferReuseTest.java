package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A backward pass reuses only the gradient buffers nothing else can see ({@link GradOwnership}): leaves take
 * owned gradients without a copy, consumed intermediates are recycled. These tests hold on to gradients in
 * every way a user can (the upstream gradient, fan-out to two leaves, views, tensor and leaf hooks, custom
 * functions, retain_grad) and check, after more passes that churn the buffer pool, that what they hold still
 * has its values. A recycled storage drops its array, so a wrong reuse fails loudly here.
 */
class GradBufferReuseTest {
    /** Rows x 128 columns: large enough (at least GradOwnership.MIN_NUMEL elements) to be tracked. */
    private static final int ROWS = 256;
    private static final int COLS = 128;

    private static Tensor leaf(int seed) {
        return Tensor.randn(new Generator(seed), ROWS, COLS).requiresGrad_();
    }

    /** A few passes over fresh tensors of the same sizes, so that recycled buffers get handed out again. */
    private static void churn() {
        for (int i = 0; i < 3; i++) {
            Tensor a = leaf(100 + i);
            a.exp().sin().mul(3.0).tanh().sum().backward();
        }
    }

    @Test
    void leafGradientsAreRightAndShareNoStorageWithTheUpstreamGradient() {
        Tensor x = leaf(1);
        Tensor up = Tensor.randn(new Generator(2), ROWS, COLS);
        double[] upValues = up.toArray();
        x.exp().backward(up);
        double[] expected = x.detach().exp().mul(up).toArray();
        assertArrayEquals(expected, x.grad().toArray(), 1e-6);
        x.grad().mul_(0.0);
        assertArrayEquals(upValues, up.toArray(), 0.0, "the upstream gradient changed with x.grad");
    }

    @Test
    void twoLeavesFedTheSameGradientGetSeparateCopies() {
        Tensor a = leaf(3);
        Tensor b = leaf(4);
        Tensor y = a.add(b).sin();
        y.sum().backward();
        double[] expected = a.detach().add(b.detach()).cos().toArray();
        assertArrayEquals(expected, a.grad().toArray(), 1e-6);
        assertArrayEquals(expected, b.grad().toArray(), 1e-6);
        assertNotSame(a.grad().storage(), b.grad().storage());
        a.grad().fill_(7.0);
        churn();
        assertArrayEquals(expected, b.grad().toArray(), 1e-6, "b.grad changed with a.grad or a later pass");
    }

    @Test
    void gradientsAccumulateOverPassesIntoTheTakenBuffer() {
        Tensor x = leaf(5);
        for (int i = 0; i < 3; i++) {
            x.exp().sum().backward();
            churn();
        }
        assertArrayEquals(x.detach().exp().mul(3.0).toArray(), x.grad().toArray(), 1e-5);
    }

    @Test
    void gradientsSeenByTensorAndLeafHooksKeepTheirValues() {
        Tensor x = leaf(6);
        List<Tensor> seen = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        Tensor e = x.exp();
        e.registerHook(g -> {
            seen.add(g);
            values.add(g.toArray());
            return null;
        });
        x.registerHook(g -> {
            seen.add(g);
            values.add(g.toArray());
            return null;
        });
        e.sin().mul(2.0).sum().backward();
        churn();
        assertEquals(2, seen.size());
        for (int i = 0; i < seen.size(); i++) {
            assertArrayEquals(values.get(i), seen.get(i).toArray(), 0.0, "hooked gradient " + i + " changed");
        }
    }

    @Test
    void aRetainedGradientKeepsItsValues() {
        Tensor x = leaf(7);
        Tensor e = x.exp().retainGrad();
        e.sin().mul(2.0).sum().backward();
        double[] before = e.grad().toArray();
        churn();
        assertArrayEquals(before, e.grad().toArray(), 0.0);
        assertArrayEquals(e.detach().sin().mul(0.0).add(2.0).mul(e.detach().cos()).toArray(), before, 1e-6);
    }

    /** Doubles its gradient, and keeps the gradients it saw and returned. */
    static final class Stash extends Function {
        final List<Tensor> kept = new ArrayList<>();

        @Override
        protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
            return new Tensor[] {in[0].mul(2.0)};
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor... g) {
            Tensor out = g[0].mul(2.0);
            kept.add(g[0]);
            kept.add(out);
            return new Tensor[] {out};
        }
    }

    @Test
    void gradientsACustomFunctionSawOrReturnedKeepTheirValues() {
        Tensor x = leaf(8);
        Stash stash = new Stash();
        stash.apply(x.exp())[0].sin().sum().backward();
        List<double[]> values = new ArrayList<>();
        for (Tensor t : stash.kept) {
            values.add(t.toArray());
        }
        churn();
        for (int i = 0; i < values.size(); i++) {
            assertArrayEquals(values.get(i), stash.kept.get(i).toArray(), 0.0, "kept gradient " + i + " changed");
        }
        Tensor ex = x.detach().exp();
        assertArrayEquals(ex.mul(2.0).cos().mul(2.0).mul(ex).toArray(), x.grad().toArray(), 1e-5);
    }

    /** The largest magnitude in t, at least 1. */
    private static double scale(Tensor t) {
        return Math.max(1, t.abs().max().item());
    }

    @Test
    void backwardWithReuseEqualsAutogradGradWithout() {
        // Fan-out (x twice), a view, broadcasting and a sum of two arriving gradients; autograd.grad reuses nothing.
        Tensor x = leaf(9);
        Tensor w = Tensor.randn(new Generator(10), COLS).requiresGrad_();
        java.util.function.Supplier<Tensor> loss = () -> {
            Tensor h = x.mul(w).tanh();
            Tensor v = h.reshape(ROWS * COLS).exp().reshape(ROWS, COLS);
            return v.add(x.sigmoid()).mul(h).sum();
        };
        Tensor[] expected = Autograd.grad(loss.get(), x, w);
        // Not bitwise: exp, tanh and sigmoid may change their last bit between passes as the JIT compiles the
        // Vector API's intrinsics; a reused buffer read too early or overwritten is off by far more than 1e-6.
        for (int pass = 0; pass < 2; pass++) {
            x.setGrad(null);
            w.setGrad(null);
            loss.get().backward();
            assertArrayEquals(expected[0].toArray(), x.grad().toArray(), 1e-6 * scale(expected[0]), "x.grad, pass " + pass);
            assertArrayEquals(expected[1].toArray(), w.grad().toArray(), 1e-6 * scale(expected[1]), "w.grad, pass " + pass);
        }
    }
}
