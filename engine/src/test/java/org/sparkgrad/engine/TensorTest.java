package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Pins the forward behaviour of {@link Tensor} against PyTorch: creation, views and strides, broadcasting,
 * type promotion, every op's values, in-place ops, error messages and printing. Expected values were
 * computed by hand or recorded from PyTorch 1.13 while writing the tests.
 */
class TensorTest {
    private static final double EPS = 1e-6;

    static void assertValues(Tensor t, double... expected) {
        assertArrayEquals(expected, t.toArray(), EPS, () -> "values of " + t);
    }

    static void assertClose(Tensor t, double tol, double... expected) {
        assertArrayEquals(expected, t.toArray(), tol, () -> "values of " + t);
    }

    static void assertShape(Tensor t, int... shape) {
        assertArrayEquals(shape, t.shape(), () -> "shape of " + t);
    }

    static String message(Executable e) {
        RuntimeException ex = assertThrows(RuntimeException.class, e);
        assertTrue(ex.getMessage() != null, "exception without a message: " + ex);
        return ex.getMessage();
    }

    static void assertMessage(String expected, Executable e) {
        assertEquals(expected, message(e));
    }

    static void assertMessageContains(String part, Executable e) {
        String m = message(e);
        assertTrue(m.contains(part), () -> "expected the message to contain <" + part + "> but was <" + m + ">");
    }

    /** [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]. */
    static Tensor grid() {
        return Tensor.arange(12).reshape(3, 4);
    }

    static Tensor m23() {
        return Tensor.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}});
    }

    // =====================================================================================================

    @Nested
    class Creation {
        @Test
        void ofMakesFloat32Vector() {
            Tensor t = Tensor.of(1, 2, 3);
            assertEquals(DType.FLOAT32, t.dtype());
            assertShape(t, 3);
            assertEquals(1, t.dim());
            assertValues(t, 1, 2, 3);
        }

        @Test
        void ofDoublesRoundsToFloat() {
            Tensor t = Tensor.of(0.1, 2.5);
            assertEquals(DType.FLOAT32, t.dtype());
            assertEquals((double) 0.1f, t.toArray()[0], 0.0);
            assertEquals(2.5, t.toArray()[1], 0.0);
        }

        @Test
        void ofLongsMakesInt64() {
            Tensor t = Tensor.ofLongs(3, -1, 7);
            assertEquals(DType.INT64, t.dtype());
            assertArrayEquals(new long[] {3, -1, 7}, t.toLongArray());
        }

        @Test
        void scalarIsZeroDimensional() {
            Tensor s = Tensor.scalar(2.5);
            assertEquals(0, s.dim());
            assertShape(s);
            assertEquals(1, s.numel());
            assertEquals(DType.FLOAT32, s.dtype());
            assertEquals(2.5, s.item(), 0.0);
            Tensor d = Tensor.scalar(0.1, DType.FLOAT64);
            assertEquals(DType.FLOAT64, d.dtype());
            assertEquals(0.1, d.item(), 0.0);
        }

        @Test
        void tensorFromRows() {
            Tensor t = Tensor.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}});
            assertShape(t, 2, 3);
            assertArrayEquals(new int[] {3, 1}, t.strides());
            assertValues(t, 1, 2, 3, 4, 5, 6);
            assertMessageContains("expected sequence of length 2 at dim 1 (got 3)",
                    () -> Tensor.tensor(new float[][] {{1, 2}, {1, 2, 3}}));
        }

        @Test
        void tensorFromValuesTypeAndShape() {
            Tensor t = Tensor.tensor(new double[] {1, 2, 3, 4, 5, 6}, DType.FLOAT64, 3, 2);
            assertEquals(DType.FLOAT64, t.dtype());
            assertShape(t, 3, 2);
            assertEquals(4.0, t.get(1, 1).item(), 0.0);
            Tensor b = Tensor.tensor(new double[] {1, 0}, DType.BOOL, 2);
            assertEquals(DType.BOOL, b.dtype());
            assertValues(b, 1, 0);
        }

        @Test
        void wrongValueCountNamesTheShape() {
            assertMessageContains("[2, 2]", () -> Tensor.tensor(new double[] {1, 2, 3}, DType.FLOAT32, 2, 2));
            assertMessageContains("[3]", () -> Tensor.tensor(new float[] {1, 2}, 3));
        }

        @Test
        void negativeSizesFail() {
            String expected = "Trying to create tensor with negative dimension -1: [-1]";
            assertMessage(expected, () -> Tensor.zeros(-1));
            assertMessage(expected, () -> Tensor.ones(-1));
            assertMessage(expected, () -> Tensor.full(3, -1));
            assertMessage(expected, () -> Tensor.rand(new Generator(1), -1));
            assertMessage(expected, () -> Tensor.randn(new Generator(1), -1));
            assertMessage("Trying to create tensor with negative dimension -2: [3, -2]", () -> Tensor.zeros(3, -2));
        }

        @Test
        void zerosOnesFull() {
            Tensor z = Tensor.zeros(2, 3);
            assertShape(z, 2, 3);
            assertEquals(DType.FLOAT32, z.dtype());
            assertValues(z, 0, 0, 0, 0, 0, 0);
            assertValues(Tensor.ones(2), 1, 1);
            assertEquals(DType.INT64, Tensor.ones(DType.INT64, 2).dtype());
            assertEquals(DType.FLOAT64, Tensor.zeros(DType.FLOAT64, 1).dtype());
            Tensor f = Tensor.full(7.5, 2, 2);
            assertValues(f, 7.5, 7.5, 7.5, 7.5);
            assertEquals(DType.FLOAT64, Tensor.full(1, DType.FLOAT64, 3).dtype());
            assertShape(Tensor.zeros(0, 3), 0, 3);
            assertEquals(0, Tensor.zeros(0, 3).numel());
        }

        @Test
        void eye() {
            Tensor e = Tensor.eye(3);
            assertShape(e, 3, 3);
            assertValues(e, 1, 0, 0, 0, 1, 0, 0, 0, 1);
        }

        @Test
        void arange() {
            assertValues(Tensor.arange(5), 0, 1, 2, 3, 4);
            assertEquals(DType.FLOAT32, Tensor.arange(5).dtype());
            assertValues(Tensor.arange(2, 5), 2, 3, 4);
            assertValues(Tensor.arange(1, 2.5, 0.5), 1, 1.5, 2);
            assertValues(Tensor.arange(5, 0, -1.5), 5, 3.5, 2, 0.5);
            assertEquals(10, Tensor.arange(0, 1, 0.1).numel()); // torch.arange(0, 1, 0.1).shape == [10]
            assertEquals(0, Tensor.arange(0).numel());
            assertThrows(RuntimeException.class, () -> Tensor.arange(0, 5, 0));
            assertThrows(RuntimeException.class, () -> Tensor.arange(5, 0, 1));
        }

        @Test
        void linspaceHitsEndpointsExactly() {
            assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, Tensor.linspace(0, 1, 5).toArray(), 0.0);
            Tensor l = Tensor.linspace(-1, 1, 7);
            double[] v = l.toArray();
            assertEquals(-1.0, v[0], 0.0);
            assertEquals(1.0, v[6], 0.0);
            assertArrayEquals(new double[] {-1, -2 / 3.0, -1 / 3.0, 0, 1 / 3.0, 2 / 3.0, 1}, v, 1e-6);
            // torch.linspace(0.1, 0.7, 5): both ends are the float32 values of 0.1 and 0.7.
            double[] w = Tensor.linspace(0.1, 0.7, 5).toArray();
            assertEquals((double) 0.1f, w[0], 0.0);
            assertEquals((double) 0.7f, w[4], 0.0);
            assertEquals(0.25, w[1], 1e-7);
            assertValues(Tensor.linspace(3, 9, 1), 3);
            assertEquals(0, Tensor.linspace(0, 1, 0).numel());
        }

        @Test
        void seededRandomIsReproducible() {
            Tensor a = Tensor.rand(new Generator(42), 4, 5);
            Tensor b = Tensor.rand(new Generator(42), 4, 5);
            Tensor c = Tensor.rand(new Generator(43), 4, 5);
            assertShape(a, 4, 5);
            assertEquals(DType.FLOAT32, a.dtype());
            assertTrue(a.equal(b));
            assertFalse(a.equal(c));
            for (double v : a.toArray()) {
                assertTrue(v >= 0 && v < 1, "rand outside [0, 1): " + v);
            }
            assertTrue(Tensor.randn(new Generator(7), 10).equal(Tensor.randn(new Generator(7), 10)));
            assertTrue(Tensor.normal(2, 3, new Generator(7), 10).equal(Tensor.normal(2, 3, new Generator(7), 10)));
            Generator g = new Generator(5);
            Tensor first = Tensor.randn(g, 6);
            g.manualSeed(5);
            assertTrue(first.equal(Tensor.randn(g, 6)), "manualSeed restarts the stream");
        }

        @Test
        void normalSamplesHaveRequestedMoments() {
            double[] v = Tensor.normal(3, 2, new Generator(123), 100_000).toArray();
            double mean = 0;
            for (double x : v) {
                mean += x;
            }
            mean /= v.length;
            double var = 0;
            for (double x : v) {
                var += (x - mean) * (x - mean);
            }
            double std = Math.sqrt(var / (v.length - 1));
            assertEquals(3.0, mean, 0.03);
            assertEquals(2.0, std, 0.03);

            Tensor n = Tensor.randn(new Generator(9), 100_000);
            assertEquals(0.0, n.mean().item(), 0.02);
            assertEquals(1.0, n.sub(n.mean()).pow(2).mean().sqrt().item(), 0.02);
            assertMessageContains("std >= 0.0", () -> Tensor.normal(0, -1, new Generator(1), 3));
        }

        @Test
        void likeConstructorsKeepShapeAndType() {
            Tensor x = Tensor.tensor(new double[] {1, 2, 3, 4, 5, 6}, DType.FLOAT64, 2, 3);
            Tensor z = Tensor.zerosLike(x);
            assertShape(z, 2, 3);
            assertEquals(DType.FLOAT64, z.dtype());
            assertValues(z, 0, 0, 0, 0, 0, 0);
            Tensor o = Tensor.onesLike(x);
            assertEquals(DType.FLOAT64, o.dtype());
            assertValues(o, 1, 1, 1, 1, 1, 1);
            Tensor r = Tensor.randnLike(x);
            assertShape(r, 2, 3);
            assertEquals(DType.FLOAT64, r.dtype());
            assertEquals(DType.FLOAT32, Tensor.randnLike(Tensor.zeros(4)).dtype());
            assertFalse(Tensor.zerosLike(x.requiresGrad_()).requiresGrad());
        }

        @Test
        void fromArraySharesTheArrayLikeFromNumpy() {
            float[] f = {1, 2, 3, 4, 5, 6};
            Tensor t = Tensor.fromArray(f, 2, 3);
            f[4] = 50;
            assertValues(t, 1, 2, 3, 4, 50, 6);
            t.fill_(7);
            assertEquals(7f, f[0]);
            assertEquals(DType.FLOAT32, t.dtype());

            double[] mask = {0, 1, 1};
            Tensor b = Tensor.fromArray(mask, DType.BOOL, 3);
            mask[0] = 1;
            assertEquals(DType.BOOL, b.dtype());
            assertValues(b, 1, 1, 1);
            assertValues(Tensor.fromArray(new double[] {-3, 1L << 53}, DType.INT64, 2), -3, 1L << 53);

            assertEquals("a tensor of dtype bool can't hold the value 0.5 (element 1)", assertThrows(IllegalArgumentException.class,
                    () -> Tensor.fromArray(new double[] {1, 0.5}, DType.BOOL, 2)).getMessage());
            assertEquals("a tensor of dtype int64 can't hold the value 2.5 (element 0)", assertThrows(IllegalArgumentException.class,
                    () -> Tensor.fromArray(new double[] {2.5}, DType.INT64, 1)).getMessage());
            assertEquals("a float32 tensor shares a float[], not a double[]", assertThrows(IllegalArgumentException.class,
                    () -> Tensor.fromArray(new double[] {1}, DType.FLOAT32, 1)).getMessage());
            assertEquals("shape [4] needs 4 values, got 6", assertThrows(IllegalArgumentException.class,
                    () -> Tensor.fromArray(f, 4)).getMessage());
        }
    }

    // =====================================================================================================

    @Nested
    class Views {
        @Test
        void contiguousStrides() {
            Tensor x = grid();
            assertArrayEquals(new int[] {4, 1}, x.strides());
            assertTrue(x.isContiguous());
            assertArrayEquals(new int[] {12, 4, 1}, Tensor.zeros(2, 3, 4).strides());
        }

        @Test
        void transposeSharesStorage() {
            Tensor x = grid();
            Tensor t = x.t();
            assertShape(t, 4, 3);
            assertArrayEquals(new int[] {1, 4}, t.strides());
            assertFalse(t.isContiguous());
            assertValues(t, 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11);
            t.get(1, 2).copy_(Tensor.scalar(-1));
            assertEquals(-1.0, x.get(2, 1).item(), 0.0);

            Tensor tr = x.transpose(0, 1);
            assertArrayEquals(new int[] {1, 4}, tr.strides());
            tr.get(3, 0).add_(100);
            assertEquals(103.0, x.get(0, 3).item(), 0.0);
            assertArrayEquals(new int[] {1, 4}, x.transpose(-1, -2).strides());
        }

        @Test
        void permuteSharesStorage() {
            Tensor x = Tensor.arange(24).reshape(2, 3, 4);
            Tensor p = x.permute(2, 0, 1);
            assertShape(p, 4, 2, 3);
            assertArrayEquals(new int[] {1, 12, 4}, p.strides());
            assertEquals(x.get(1, 2, 3).item(), p.get(3, 1, 2).item(), 0.0);
            p.get(3, 1, 2).copy_(Tensor.scalar(-5));
            assertEquals(-5.0, x.get(1, 2, 3).item(), 0.0);
            assertShape(x.permute(-1, 0, 1), 4, 2, 3);
            assertThrows(RuntimeException.class, () -> x.permute(0, 0, 1));
        }

        @Test
        void reshapeAndViewOfContiguousShareStorage() {
            Tensor x = grid();
            Tensor r = x.reshape(2, 6);
            assertArrayEquals(new int[] {6, 1}, r.strides());
            Tensor v = x.view(-1);
            assertShape(v, 12);
            assertArrayEquals(new int[] {1}, v.strides());
            assertShape(x.view(2, -1, 3), 2, 2, 3);
            try (GradMode.Scope s = GradMode.noGrad()) {
                r.get(1, 0).add_(100);
                v.get(0).copy_(Tensor.scalar(-7));
            }
            assertEquals(106.0, x.get(1, 2).item(), 0.0);
            assertEquals(-7.0, x.get(0, 0).item(), 0.0);
            assertMessage("shape '[5, -1]' is invalid for input of size 12", () -> x.view(5, -1));
        }

        @Test
        void reshapeOfNonContiguousCopies() {
            Tensor x = Tensor.arange(6).reshape(2, 3);
            Tensor r = x.t().reshape(6);
            assertValues(r, 0, 3, 1, 4, 2, 5);
            assertTrue(r.isContiguous());
            r.add_(100);
            assertValues(x, 0, 1, 2, 3, 4, 5);
        }

        @Test
        void viewOfNonViewableFails() {
            Tensor x = Tensor.zeros(2, 3);
            assertMessage("view size is not compatible with input tensor's size and stride (at least one dimension spans "
                    + "across two contiguous subspaces). Use .reshape(...) instead.", () -> x.t().view(6));
            // A transposed tensor can still be viewed where no dimension is merged.
            assertShape(x.t().view(3, 1, 2), 3, 1, 2);
        }

        @Test
        void sliceSharesStorage() {
            Tensor x = grid();
            Tensor s = x.slice(1, 1, 3);
            assertShape(s, 3, 2);
            assertArrayEquals(new int[] {4, 1}, s.strides());
            assertValues(s, 1, 2, 5, 6, 9, 10);
            s.get(2, 1).copy_(Tensor.scalar(-3));
            assertEquals(-3.0, x.get(2, 2).item(), 0.0);

            Tensor stepped = grid().slice(1, 0, 4, 2);
            assertShape(stepped, 3, 2);
            assertArrayEquals(new int[] {4, 2}, stepped.strides());
            assertValues(stepped, 0, 2, 4, 6, 8, 10);
        }

        @Test
        void sliceBoundsLikePython() {
            Tensor x = grid();
            assertValues(x.slice(1, -3, -1), 1, 2, 5, 6, 9, 10); // x[:, -3:-1]
            assertShape(x.slice(0, -100, 100), 3, 4); // clipped
            assertShape(x.slice(0, 2, 1), 0, 4); // empty
            assertValues(x.slice(0, 1, 3, 2), 4, 5, 6, 7); // x[1:3:2]
            assertValues(Tensor.arange(10).slice(0, 1, 10, 3), 1, 4, 7);
            assertValues(Tensor.arange(10).slice(0, -4, 10), 6, 7, 8, 9);
        }

        @Test
        void selectSharesStorage() {
            Tensor x = grid();
            Tensor c = x.select(1, -1);
            assertShape(c, 3);
            assertArrayEquals(new int[] {4}, c.strides());
            assertValues(c, 3, 7, 11);
            c.get(0).add_(10);
            assertEquals(13.0, x.get(0, 3).item(), 0.0);
            Tensor row = x.get(1);
            assertShape(row, 4);
            assertValues(row, 4, 5, 6, 7);
            row.fill_(0);
            assertValues(x.get(1), 0, 0, 0, 0);
            assertEquals(9.0, x.get(2, 1).item(), 0.0);
            assertEquals(0, x.get(2, 1).dim());
        }

        @Test
        void expandSharesStorageWithZeroStrides() {
            Tensor base = Tensor.of(1, 2, 3).reshape(3, 1);
            Tensor e = base.expand(3, 4);
            assertShape(e, 3, 4);
            assertArrayEquals(new int[] {1, 0}, e.strides());
            assertValues(e, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
            base.get(1).add_(10);
            assertValues(e.get(1), 12, 12, 12, 12);
            Tensor lead = Tensor.of(1, 2).expand(2, -1);
            assertArrayEquals(new int[] {0, 1}, lead.strides());
            assertValues(lead, 1, 2, 1, 2);
            assertShape(Tensor.of(5).expandAs(Tensor.zeros(2, 3)), 2, 3);
            assertMessageContains("The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
                    + "dimension 0", () -> Tensor.of(1, 2, 3).expand(4));
        }

        @Test
        void unsqueezeAndSqueezeShareStorage() {
            Tensor x = grid();
            Tensor u = x.unsqueeze(0);
            assertShape(u, 1, 3, 4);
            assertArrayEquals(new int[] {12, 4, 1}, u.strides());
            Tensor last = x.unsqueeze(-1);
            assertShape(last, 3, 4, 1);
            assertArrayEquals(new int[] {4, 1, 1}, last.strides());
            assertShape(x.unsqueeze(1), 3, 1, 4);
            u.get(0, 2, 3).copy_(Tensor.scalar(-1));
            assertEquals(-1.0, x.get(2, 3).item(), 0.0);

            Tensor z = Tensor.zeros(1, 3, 1);
            assertShape(z.squeeze(), 3);
            assertShape(z.squeeze(0), 3, 1);
            assertShape(z.squeeze(-1), 1, 3);
            assertShape(z.squeeze(1), 1, 3, 1); // not of size 1: unchanged
            Tensor sq = z.squeeze();
            sq.add_(2);
            assertValues(z, 2, 2, 2);
            assertShape(Tensor.zeros(1, 1).squeeze());
        }

        @Test
        void contiguousCopiesOnlyWhenNeeded() {
            Tensor x = grid();
            assertSame(x, x.contiguous());
            Tensor c = x.t().contiguous();
            assertTrue(c.isContiguous());
            assertArrayEquals(new int[] {3, 1}, c.strides());
            c.add_(1);
            assertEquals(0.0, x.get(0, 0).item(), 0.0);
        }

        @Test
        void flatten() {
            Tensor x = Tensor.arange(24).reshape(2, 3, 4);
            assertShape(x.flatten(), 24);
            assertShape(x.flatten(1, 2), 2, 12);
            assertShape(x.flatten(0, 1), 6, 4);
            assertShape(Tensor.scalar(3).flatten(), 1);
            assertValues(x.permute(1, 0, 2).flatten().slice(0, 0, 6), 0, 1, 2, 3, 12, 13);
        }
    }

    // =====================================================================================================

    @Nested
    class BroadcastingAndPromotion {
        @Test
        void broadcastingRules() {
            Tensor r = Tensor.ones(2, 3).add(Tensor.of(1, 2, 3));
            assertShape(r, 2, 3);
            assertValues(r, 2, 3, 4, 2, 3, 4);
            Tensor outer = Tensor.of(0, 10, 20).reshape(3, 1).add(Tensor.of(1, 2, 3, 4).reshape(1, 4));
            assertShape(outer, 3, 4);
            assertValues(outer, 1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24);
            assertShape(Tensor.zeros(2, 1, 3).mul(Tensor.zeros(4, 1)), 2, 4, 3);
            assertShape(Tensor.scalar(2).mul(Tensor.zeros(2, 3)), 2, 3);
            assertShape(Tensor.zeros(0, 3).add(Tensor.zeros(1, 3)), 0, 3);
        }

        @Test
        void broadcastingError() {
            assertMessage("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
                    () -> Tensor.ones(2, 3).add(Tensor.ones(2, 4)));
            assertMessage("The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
                    () -> Tensor.ones(2).mul(Tensor.ones(3)));
        }

        @Test
        void dtypePromotion() {
            Tensor f32 = Tensor.of(1, 2);
            Tensor f64 = Tensor.tensor(new double[] {1, 2}, DType.FLOAT64, 2);
            assertEquals(DType.FLOAT64, f32.add(f64).dtype());
            assertEquals(DType.FLOAT64, f64.mul(f32).dtype());
            assertEquals(DType.FLOAT32, f32.mul(2.5).dtype());
            assertEquals(DType.FLOAT64, f64.mul(2.5).dtype());
            Tensor ints = Tensor.ofLongs(1, 2);
            Tensor mixed = ints.add(0.5);
            assertEquals(DType.FLOAT32, mixed.dtype());
            assertValues(mixed, 1.5, 2.5);
            assertEquals(DType.INT64, ints.add(Tensor.ofLongs(3, 4)).dtype());
            assertValues(ints.add(Tensor.ofLongs(3, 4)), 4, 6);
            assertEquals(DType.FLOAT32, ints.add(f32).dtype());
            assertEquals(DType.FLOAT64, ints.add(f64).dtype());
            // true division of integers gives the default float type
            Tensor q = Tensor.ofLongs(1, 3).div(Tensor.ofLongs(2, 2));
            assertEquals(DType.FLOAT32, q.dtype());
            assertValues(q, 0.5, 1.5);
            // a 0-d tensor does not promote a dimensioned tensor of the same category
            Tensor zeroD = Tensor.scalar(1, DType.FLOAT64);
            assertEquals(DType.FLOAT32, zeroD.add(f32).dtype());
            assertEquals(DType.FLOAT32, f32.add(zeroD).dtype());
            // ... but a 0-d float does promote an integer tensor
            assertEquals(DType.FLOAT64, ints.add(zeroD).dtype());
            // comparisons give bool
            assertEquals(DType.BOOL, f32.lt(f64).dtype());
            assertEquals(DType.BOOL, ints.eq(1).dtype());
            assertEquals(DType.BOOL, f32.ge(Tensor.scalar(1)).dtype());
        }

        @Test
        void unaryFloatOpsOnIntegersGiveFloat32() {
            Tensor e = Tensor.ofLongs(0, 1).exp();
            assertEquals(DType.FLOAT32, e.dtype());
            assertValues(e, 1, Math.E);
            assertEquals(DType.INT64, Tensor.ofLongs(-1, 2).neg().dtype());
            assertEquals(DType.INT64, Tensor.ofLongs(-1, 2).abs().dtype());
        }
    }

    /**
     * Java scalars as PyTorch's wrapped numbers: an int or long acts like a Python int (integral, never changes
     * a tensor's category), a double like a Python float. Expected dtypes and values recorded from torch 1.13.
     */
    @Nested
    class JavaScalarPromotion {
        private final Tensor ints = Tensor.ofLongs(1, 2);
        private final Tensor bools = Tensor.of(1, 0).gt(0);

        @Test
        void subtractingBoolTensorsIsRefusedAsInPyTorch() {
            Tensor mask = Tensor.of(1, 0).gt(0.5);
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> mask.sub(1));
            assertEquals("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert "
                    + "a mask, use the `~` or `logical_not()` operator instead.", e.getMessage());
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> mask.rsub(1));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Tensor.ofLongs(1).sub(mask));
            IllegalArgumentException two = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> mask.sub(mask));
            assertEquals("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                    + "`logical_xor()` operator instead.", two.getMessage());
        }

        @Test
        void integralScalarsKeepIntegerTensorsInteger() {
            Tensor r = ints.add(1);
            assertEquals(DType.INT64, r.dtype());
            assertEquals("tensor([2, 3])", r.toString());
            assertEquals("tensor([0, 1])", ints.sub(1).toString());
            assertEquals("tensor([2, 4])", ints.mul(2).toString());
            assertEquals("tensor([ 0, -1])", ints.rsub(1).toString());
            assertEquals("tensor(4)", Tensor.scalar(3, DType.INT64).add(1).toString());
            assertEquals("tensor([2, 3])", ints.add(1L).toString());
        }

        @Test
        void floatingScalarsMakeIntegerTensorsFloat32() {
            Tensor r = ints.add(1.5);
            assertEquals(DType.FLOAT32, r.dtype());
            assertValues(r, 2.5, 3.5);
            assertEquals(DType.FLOAT32, ints.rsub(1.5).dtype());
            assertValues(ints.rsub(1.5), 0.5, -0.5);
            assertEquals("tensor(4.5000)", Tensor.scalar(3, DType.INT64).add(1.5).toString());
        }

        @Test
        void boolTensorsTakeTheScalarsCategory() {
            Tensor r = bools.add(1);
            assertEquals(DType.INT64, r.dtype());
            assertEquals("tensor([2, 1])", r.toString());
            assertEquals(DType.FLOAT32, bools.add(1.5).dtype());
            assertValues(bools.add(1.5), 2.5, 1.5);
            // bool + True: a bool operand of lower priority keeps bool (addition saturates)
            Tensor t = bools.add(Tensor.scalar(1, DType.BOOL));
            assertEquals("tensor([True, True])", t.toString());
            assertEquals("tensor([1, 0])", bools.pow(2).toString());
            assertEquals("tensor([ True, False])", bools.eq(1).toString());
        }

        @Test
        void floatingTensorsKeepTheirType() {
            Tensor f32 = Tensor.of(1, 2);
            assertEquals(DType.FLOAT32, f32.mul(2).dtype());
            assertEquals("tensor([2., 4.])", f32.mul(2).toString());
            Tensor f64 = Tensor.tensor(new double[] {1, 2}, DType.FLOAT64, 2);
            assertEquals(DType.FLOAT64, f64.add(1).dtype());
            assertEquals("tensor([2., 3.], dtype=torch.float64)", f64.add(1).toString());
            assertEquals(DType.FLOAT64, f64.mul(2.5).dtype());
        }

        @Test
        void trueDivisionOfIntegersGivesFloat32() {
            Tensor q = ints.div(2);
            assertEquals(DType.FLOAT32, q.dtype());
            assertEquals("tensor([0.5000, 1.0000])", q.toString());
            assertEquals(DType.FLOAT32, ints.rdiv(2).dtype());
            assertValues(ints.rdiv(2), 2, 1);
        }

        @Test
        void powWithIntegralExponentsStaysInteger() {
            assertEquals("tensor([1, 4])", ints.pow(2).toString());
            assertEquals("tensor([1, 8])", ints.pow(3).toString());
            assertEquals("tensor([1, 1])", ints.pow(0).toString());
            Tensor root = ints.pow(0.5);
            assertEquals(DType.FLOAT32, root.dtype());
            assertValues(root, 1, Math.sqrt(2));
            // a floating exponent gives float even for the square
            assertEquals("tensor([1., 4.])", ints.pow(2.0).toString());
            assertMessage("Integers to negative integer powers are not allowed.", () -> ints.pow(-1));
            assertValues(Tensor.of(2, 4).pow(-1), 0.5, 0.25);
        }

        @Test
        void comparisonsWithIntegralScalarsCompareInTheTensorsType() {
            Tensor r = ints.eq(1);
            assertEquals(DType.BOOL, r.dtype());
            assertEquals("tensor([ True, False])", r.toString());
            assertEquals("tensor([ True, False])", ints.lt(1.5).toString());
            assertEquals("tensor([False,  True])", ints.ge(2).toString());
            // float32 cannot tell 2^24 + 1 from 2^24; int64 can, as in PyTorch
            assertEquals("tensor([False])", Tensor.ofLongs(16777217).eq(16777216).toString());
        }

        @Test
        void inPlaceOpsKeepTheTensorsTypeOrRefuse() {
            Tensor x = Tensor.ofLongs(1, 2);
            x.add_(1);
            assertEquals("tensor([2, 3])", x.toString());
            x.mul_(2).sub_(1);
            assertEquals("tensor([3, 5])", x.toString());
            assertEquals(DType.INT64, x.dtype());
            assertMessage("result type Float can't be cast to the desired output type Long", () -> x.add_(1.5));
            assertMessage("result type Float can't be cast to the desired output type Long", () -> x.div_(2));
            assertMessage("result type Long can't be cast to the desired output type Bool", () -> bools.add_(1));
            assertEquals("tensor([3, 5])", x.toString());
            Tensor f = Tensor.of(1, 2);
            f.add_(1).div_(2);
            assertValues(f, 1, 1.5);
        }

        @Test
        void clampAndWhereWithIntegralScalars() {
            assertEquals("tensor([2, 2])", ints.clampMin(2).toString());
            assertEquals("tensor([1, 1])", ints.clamp(0, 1).toString());
            assertEquals("tensor([1, 1])", ints.clampMax(1).toString());
            assertEquals(DType.FLOAT32, ints.clampMin(1.5).dtype());
            assertValues(ints.clampMin(1.5), 1.5, 2);
            assertEquals("tensor([1, 0])", bools.clampMin(0).toString());
            Tensor x = Tensor.ofLongs(1, 5);
            x.clamp_(2, 3);
            assertEquals("tensor([2, 3])", x.toString());
            assertMessage("result type Float can't be cast to the desired output type Long", () -> x.clamp_(1.5, 2.5));
            assertEquals("tensor([1, 0])", Tensor.where(bools, ints, 0).toString());
            assertEquals(DType.FLOAT32, Tensor.where(bools, ints, 0.5).dtype());
            assertValues(Tensor.where(bools, ints, 0.5), 1, 0.5);
            assertEquals(DType.FLOAT32, Tensor.where(bools, Tensor.of(1, 2), 0).dtype());
        }

        @Test
        void autogradThroughIntegralScalarsIsUnchanged() {
            Tensor x = Tensor.of(1, 2).requiresGrad_();
            Tensor y = x.mul(2);
            assertEquals(DType.FLOAT32, y.dtype());
            assertEquals("MulBackward0", y.gradFn().name());
            y.sum().backward();
            assertValues(x.grad(), 2, 2);

            Tensor z = Tensor.of(1, 2).requiresGrad_();
            Tensor p = z.pow(2);
            assertEquals("PowBackward0", p.gradFn().name());
            p.sum().backward();
            assertValues(z.grad(), 2, 4);

            Tensor w = Tensor.of(1, 2).requiresGrad_();
            assertEquals("RsubBackward1", w.rsub(1).gradFn().name());
            assertEquals("ClampMinBackward0", w.clampMin(2).gradFn().name());
            Tensor r = w.rdiv(2);
            assertEquals("MulBackward0", r.gradFn().name());
            r.sum().backward();
            assertValues(w.grad(), -2, -0.5);
        }
    }

    // =====================================================================================================

    @Nested
    class ElementwiseOps {
        @Test
        void arithmetic() {
            Tensor a = Tensor.of(1, 2, 3);
            Tensor b = Tensor.of(4, 5, 6);
            assertValues(a.add(b), 5, 7, 9);
            assertValues(a.add(1.5), 2.5, 3.5, 4.5);
            assertValues(a.sub(b), -3, -3, -3);
            assertValues(a.sub(1), 0, 1, 2);
            assertValues(a.rsub(10), 9, 8, 7);
            assertValues(a.mul(b), 4, 10, 18);
            assertValues(a.mul(-2), -2, -4, -6);
            assertValues(b.div(a), 4, 2.5, 2);
            assertValues(a.div(4), 0.25, 0.5, 0.75);
            assertValues(a.rdiv(6), 6, 3, 2);
            assertValues(a.neg(), -1, -2, -3);
            assertValues(Tensor.of(1, -1).div(Tensor.of(0, 0)), Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
        }

        @Test
        void pow() {
            Tensor a = Tensor.of(1, 2, 3);
            assertValues(a.pow(2), 1, 4, 9);
            assertValues(a.pow(0), 1, 1, 1);
            assertValues(a.pow(-1), 1, 0.5, 1 / 3.0);
            assertValues(Tensor.of(4, 9).pow(0.5), 2, 3);
            assertValues(Tensor.of(2, 3).pow(Tensor.of(3, 2)), 8, 9);
            assertValues(Tensor.of(2, 3).pow(Tensor.scalar(2)), 4, 9);
            assertTrue(Double.isNaN(Tensor.of(-1).pow(0.5).item()));
        }

        @Test
        void unaryFunctions() {
            assertValues(Tensor.of(0, 1, -1).exp(), 1, Math.E, 1 / Math.E);
            assertValues(Tensor.of(1, (float) Math.E, 0.5f).log(), 0, 1, Math.log(0.5));
            assertEquals(Double.NEGATIVE_INFINITY, Tensor.of(0).log().item());
            assertValues(Tensor.of(4, 9, 0).sqrt(), 2, 3, 0);
            assertValues(Tensor.of(-1.5f, 2, 0).abs(), 1.5, 2, 0);
            assertValues(Tensor.of(0, (float) (Math.PI / 2), (float) Math.PI).sin(), 0, 1, 0);
            assertValues(Tensor.of(0, (float) Math.PI).cos(), 1, -1);
            assertValues(Tensor.of(0, 1, -1).tanh(), 0, 0.7615941559557649, -0.7615941559557649);
            assertValues(Tensor.of(0, 2, -2).sigmoid(), 0.5, 1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(2)));
            assertValues(Tensor.of(-1000, 1000).sigmoid(), 0, 1);
            assertValues(Tensor.of(-1, 0, 2.5f).relu(), 0, 0, 2.5);
        }

        @Test
        void clamp() {
            Tensor x = Tensor.of(-2, 0.5f, 3);
            assertValues(x.clamp(-1, 1), -1, 0.5, 1);
            assertValues(x.clampMin(0), 0, 0.5, 3);
            assertValues(x.clampMax(0), -2, 0, 0);
            assertValues(x.clamp(null, 1.0), -2, 0.5, 1);
            assertValues(x.clamp(0.0, null), 0, 0.5, 3);
            assertValues(x, -2, 0.5, 3); // out of place
            assertThrows(RuntimeException.class, () -> x.clamp((Double) null, null));
        }

        @Test
        void comparisons() {
            Tensor a = Tensor.of(1, 2, 3);
            Tensor b = Tensor.of(2, 2, 2);
            assertValues(a.eq(b), 0, 1, 0);
            assertValues(a.ne(b), 1, 0, 1);
            assertValues(a.lt(b), 1, 0, 0);
            assertValues(a.le(b), 1, 1, 0);
            assertValues(a.gt(b), 0, 0, 1);
            assertValues(a.ge(b), 0, 1, 1);
            assertValues(a.eq(2), 0, 1, 0);
            assertValues(a.ne(2), 1, 0, 1);
            assertValues(a.lt(2), 1, 0, 0);
            assertValues(a.le(2), 1, 1, 0);
            assertValues(a.gt(2), 0, 0, 1);
            assertValues(a.ge(2), 0, 1, 1);
            assertEquals(DType.BOOL, a.gt(2).dtype());
            assertTrue(a.gt(0).all());
            assertFalse(a.gt(1).all());
            assertTrue(a.gt(2).any());
            assertFalse(a.gt(3).any());
            Tensor grid = Tensor.of(1, 2).reshape(2, 1).lt(Tensor.of(1, 2, 3));
            assertShape(grid, 2, 3);
            assertValues(grid, 0, 1, 1, 0, 0, 1);
        }

        @Test
        void whereAndMaskedFill() {
            Tensor x = Tensor.of(-1, 2, -3, 4);
            Tensor cond = x.gt(0);
            assertValues(Tensor.where(cond, x, x.neg()), 1, 2, 3, 4);
            assertValues(Tensor.where(cond, x, 0), 0, 2, 0, 4);
            Tensor w = Tensor.where(Tensor.of(1, 0).gt(0).reshape(2, 1), Tensor.of(1, 2, 3), Tensor.zeros(1));
            assertShape(w, 2, 3);
            assertValues(w, 1, 2, 3, 0, 0, 0);
            assertValues(x.maskedFill(x.lt(0), 0), 0, 2, 0, 4);
            Tensor m = Tensor.tensor(new float[][] {{1, 2}, {3, 4}}).maskedFill(Tensor.of(1, 0).gt(0), -9);
            assertValues(m, -9, 2, -9, 4);
            assertValues(x, -1, 2, -3, 4); // out of place
            assertThrows(RuntimeException.class, () -> x.maskedFill(Tensor.of(1, 0, 1, 0), 0));
        }
    }

    // =====================================================================================================

    @Nested
    class MatrixProducts {
        @Test
        void mmMvDot() {
            Tensor a = Tensor.tensor(new float[][] {{1, 2}, {3, 4}});
            Tensor b = Tensor.tensor(new float[][] {{5, 6}, {7, 8}});
            Tensor c = a.mm(b);
            assertShape(c, 2, 2);
            assertValues(c, 19, 22, 43, 50);
            assertValues(a.t().mm(b), 26, 30, 38, 44);
            assertValues(a.mv(Tensor.of(1, 1)), 3, 7);
            Tensor d = Tensor.of(1, 2, 3).dot(Tensor.of(4, 5, 6));
            assertEquals(0, d.dim());
            assertEquals(32.0, d.item(), 0.0);
            Tensor rect = m23().mm(Tensor.tensor(new float[][] {{1}, {0}, {-1}}));
            assertShape(rect, 2, 1);
            assertValues(rect, -2, -2);
        }

        @Test
        void matmulDispatch() {
            Tensor a = Tensor.tensor(new float[][] {{1, 2}, {3, 4}});
            Tensor v = Tensor.of(1, 2);
            Tensor dot = v.matmul(v);
            assertShape(dot);
            assertEquals(5.0, dot.item(), 0.0);
            Tensor mv = a.matmul(v);
            assertShape(mv, 2);
            assertValues(mv, 5, 11);
            Tensor vm = v.matmul(a);
            assertShape(vm, 2);
            assertValues(vm, 7, 10);
            assertValues(a.matmul(a), 7, 10, 15, 22);
        }

        @Test
        void batchedMatmulBroadcasts() {
            Tensor x = Tensor.arange(12).reshape(2, 2, 3); // two 2x3 matrices
            Tensor w = Tensor.arange(6).reshape(3, 2).sub(2);
            Tensor y = x.matmul(w);
            assertShape(y, 2, 2, 2);
            for (int i = 0; i < 2; i++) {
                assertTrue(y.get(i).allclose(x.get(i).mm(w)), "batch " + i);
            }
            // [[0,1,2],[3,4,5]] @ [[-2,-1],[0,1],[2,3]] = [[4, 7], [4, 16]]
            assertValues(y.get(0), 4, 7, 4, 16);

            Tensor lhs = Tensor.arange(6).reshape(1, 2, 3);
            Tensor rhs = Tensor.arange(24).reshape(4, 3, 2);
            Tensor z = lhs.matmul(rhs);
            assertShape(z, 4, 2, 2);
            for (int i = 0; i < 4; i++) {
                assertTrue(z.get(i).allclose(lhs.get(0).mm(rhs.get(i))), "batch " + i);
            }
            assertShape(Tensor.zeros(5, 2, 3).matmul(Tensor.zeros(3)), 5, 2);
            assertShape(Tensor.zeros(3).matmul(Tensor.zeros(5, 3, 4)), 5, 4);
            Tensor bmm = x.bmm(Tensor.arange(12).reshape(2, 3, 2));
            assertShape(bmm, 2, 2, 2);
        }

        @Test
        void shapeErrors() {
            assertMessage("mat1 and mat2 shapes cannot be multiplied (64x1000 and 100x10)",
                    () -> Tensor.zeros(64, 1000).mm(Tensor.zeros(100, 10)));
            assertMessage("mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)",
                    () -> Tensor.zeros(2, 3).matmul(Tensor.zeros(2, 3)));
            assertThrows(RuntimeException.class, () -> Tensor.zeros(3).dot(Tensor.zeros(4)));
            assertThrows(RuntimeException.class, () -> Tensor.zeros(2, 3).mv(Tensor.zeros(2)));
            assertThrows(RuntimeException.class, () -> Tensor.scalar(1).matmul(Tensor.zeros(2)));
        }
    }

    // =====================================================================================================

    @Nested
    class JoiningAndIndexing {
        @Test
        void cat() {
            Tensor a = Tensor.tensor(new float[][] {{1, 2}, {3, 4}});
            Tensor b = Tensor.tensor(new float[][] {{5, 6}});
            Tensor c0 = Tensor.cat(0, a, b);
            assertShape(c0, 3, 2);
            assertValues(c0, 1, 2, 3, 4, 5, 6);
            Tensor c1 = Tensor.cat(List.of(a, a.mul(10)), 1);
            assertShape(c1, 2, 4);
            assertValues(c1, 1, 2, 10, 20, 3, 4, 30, 40);
            assertValues(Tensor.cat(-1, Tensor.of(1), Tensor.of(2, 3)), 1, 2, 3);
            assertMessage("Sizes of tensors must match except in dimension 0. Expected size 2 but got size 3 for tensor "
                    + "number 1 in the list.", () -> Tensor.cat(0, Tensor.zeros(2, 2), Tensor.zeros(2, 3)));
            assertThrows(RuntimeException.class, () -> Tensor.cat(List.of(), 0));
        }

        /** Large enough that the output is copied in blocks of rows (an uneven last block): every element checked. */
        @Test
        void catAlongAnInnerDimOfLargeTensors() {
            int rows = 5000;
            Tensor a = Tensor.arange(rows * 3).reshape(rows, 3);                                  // float32
            Tensor b = Tensor.arange(20 * rows).to(DType.FLOAT64).reshape(20, rows).t();          // strided
            Tensor c = Tensor.arange(rows).reshape(rows, 1).expand(rows, 4);                      // stride 0
            Tensor out = Tensor.cat(1, a, Tensor.zeros(0), b, c);
            assertShape(out, rows, 27);
            assertEquals(DType.FLOAT64, out.dtype());
            double[] v = out.toArray();
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < 27; k++) {
                    double want = k < 3 ? r * 3 + k : k < 23 ? (k - 3) * rows + r : r;
                    if (v[r * 27 + k] != want) {
                        fail("cat at [" + r + ", " + k + "]: " + v[r * 27 + k] + ", expected " + want);
                    }
                }
            }
            Tensor stacked = Tensor.stack(List.of(b, b.mul(2)), 2); // cat along the last of three dims
            assertShape(stacked, rows, 20, 2);
            assertEquals(b.get(4321).get(7).item() * 2, stacked.get(4321).get(7).get(1).item());
        }

        @Test
        void stack() {
            Tensor a = Tensor.of(1, 2);
            Tensor b = Tensor.of(3, 4);
            Tensor s0 = Tensor.stack(0, a, b);
            assertShape(s0, 2, 2);
            assertValues(s0, 1, 2, 3, 4);
            Tensor s1 = Tensor.stack(List.of(a, b), 1);
            assertValues(s1, 1, 3, 2, 4);
            assertShape(Tensor.stack(-1, a, b, a), 2, 3);
            assertMessage("stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1",
                    () -> Tensor.stack(0, Tensor.zeros(2), Tensor.zeros(3)));
        }

        @Test
        void threeDimensionalFromNestedArrays() {
            Tensor t = Tensor.tensor(new float[][][] {{{1, 2}}, {{3, 4}}});
            assertShape(t, 2, 1, 2);
            assertValues(t, 1, 2, 3, 4);
        }

        @Test
        void getAndSelect() {
            Tensor x = m23();
            assertValues(x.get(1), 4, 5, 6);
            assertEquals(6.0, x.get(1, 2).item(), 0.0);
            assertEquals(6.0, x.get(-1, -1).item(), 0.0);
            assertValues(x.select(1, 0), 1, 4);
            assertMessage("index 5 is out of bounds for dimension 0 with size 2", () -> x.get(5));
            assertMessage("index 3 is out of bounds for dimension 1 with size 3", () -> x.select(1, 3));
            assertThrows(RuntimeException.class, () -> Tensor.scalar(1).select(0, 0));
        }

        @Test
        void gather() {
            Tensor x = m23();
            Tensor g1 = x.gather(1, Tensor.tensor(new double[] {2, 0, 1, 1}, DType.INT64, 2, 2));
            assertShape(g1, 2, 2);
            assertValues(g1, 3, 1, 5, 5);
            Tensor g0 = x.gather(0, Tensor.tensor(new double[] {1, 0, 1}, DType.INT64, 1, 3));
            assertValues(g0, 4, 2, 6);
            assertMessage("index 5 is out of bounds for dimension 1 with size 3",
                    () -> x.gather(1, Tensor.tensor(new double[] {0, 5, 1, 1}, DType.INT64, 2, 2)));
            assertThrows(RuntimeException.class, () -> x.gather(1, Tensor.of(0, 1).reshape(2, 1))); // float index
        }

        @Test
        void indexSelect() {
            Tensor x = m23();
            Tensor rows = x.indexSelect(0, Tensor.ofLongs(1, 0, 1));
            assertShape(rows, 3, 3);
            assertValues(rows, 4, 5, 6, 1, 2, 3, 4, 5, 6);
            Tensor cols = x.indexSelect(1, Tensor.ofLongs(2));
            assertShape(cols, 2, 1);
            assertValues(cols, 3, 6);
            assertMessageContains("out of", () -> x.indexSelect(0, Tensor.ofLongs(5)));
        }

        @Test
        void advancedIndexing() {
            Tensor x = m23();
            Tensor pts = x.index(Tensor.ofLongs(0, 1), Tensor.ofLongs(2, 0));
            assertShape(pts, 2);
            assertValues(pts, 3, 4);
            Tensor rows = x.index(Tensor.ofLongs(1, -2));
            assertShape(rows, 2, 3);
            assertValues(rows, 4, 5, 6, 1, 2, 3);
            // x[tensor([[0], [1]]), tensor([0, 2])] broadcasts the indices to [2, 2]
            Tensor outer = x.index(Tensor.ofLongs(0, 1).unsqueeze(1), Tensor.ofLongs(0, 2));
            assertShape(outer, 2, 2);
            assertValues(outer, 1, 3, 4, 6);
            assertMessage("index 5 is out of bounds for dimension 0 with size 2", () -> x.index(Tensor.ofLongs(5)));
            assertMessage("index 3 is out of bounds for dimension 1 with size 3",
                    () -> x.index(Tensor.ofLongs(0), Tensor.ofLongs(3)));
        }

        @Test
        void boolMaskIndexing() {
            Tensor x = m23();
            Tensor picked = x.index(x.gt(2));
            assertShape(picked, 4);
            assertValues(picked, 3, 4, 5, 6);
            Tensor rows = x.index(Tensor.of(0, 1).gt(0));
            assertShape(rows, 1, 3);
            assertValues(rows, 4, 5, 6);
            assertShape(x.index(x.gt(100)), 0);
        }
    }

    // =====================================================================================================

    @Nested
    class Reductions {
        @Test
        void sum() {
            Tensor x = m23();
            Tensor all = x.sum();
            assertShape(all);
            assertEquals(21.0, all.item(), 0.0);
            assertValues(x.sum(0), 5, 7, 9);
            assertValues(x.sum(1), 6, 15);
            assertValues(x.sum(-1), 6, 15);
            Tensor kept = x.sum(1, true);
            assertShape(kept, 2, 1);
            assertValues(kept, 6, 15);
            assertShape(x.sum(0, 1));
            assertEquals(21.0, x.sum(0, 1).item(), 0.0);
            Tensor cube = Tensor.arange(24).reshape(2, 3, 4);
            Tensor s02 = cube.sum(0, 2);
            assertShape(s02, 3);
            // sum over i, k of 12 i + 4 j + k = 8 * 4 j + (12 * 4 + 2 * 6) = 32 j + 60
            assertValues(s02, 60, 92, 124);
            assertShape(cube.sum(new int[] {0, 2}, true), 1, 3, 1);
            assertEquals(DType.INT64, Tensor.ofLongs(1, 2).sum().dtype());
            assertEquals(DType.INT64, Tensor.of(1, 0, 1).gt(0).sum().dtype());
            assertEquals(2.0, Tensor.of(1, 0, 1).gt(0).sum().item(), 0.0);
            assertEquals(0.0, Tensor.zeros(0).sum().item(), 0.0);
            assertMessageContains("appears multiple times", () -> x.sum(0, 0));
        }

        @Test
        void mean() {
            Tensor x = m23();
            assertEquals(3.5, x.mean().item(), EPS);
            assertValues(x.mean(0), 2.5, 3.5, 4.5);
            Tensor kept = x.mean(1, true);
            assertShape(kept, 2, 1);
            assertValues(kept, 2, 5);
            assertEquals(3.5, x.mean(new int[] {0, 1}, false).item(), EPS);
            assertValues(Tensor.arange(24).reshape(2, 3, 4).mean(0, 2), 7.5, 11.5, 15.5);
            assertThrows(RuntimeException.class, () -> Tensor.ofLongs(1, 2).mean());
        }

        @Test
        void maxAndMin() {
            Tensor x = Tensor.tensor(new float[][] {{1, 3, 3}, {2, 2, 1}});
            assertEquals(3.0, x.max().item(), 0.0);
            assertEquals(1.0, x.min().item(), 0.0);
            Tensor.ValuesIndices mx = x.max(1);
            assertValues(mx.values(), 3, 2);
            assertEquals(DType.INT64, mx.indices().dtype());
            assertArrayEquals(new long[] {1, 0}, mx.indices().toLongArray()); // first of the tied maxima
            Tensor.ValuesIndices mn = x.min(1);
            assertValues(mn.values(), 1, 1);
            assertArrayEquals(new long[] {0, 2}, mn.indices().toLongArray());
            Tensor.ValuesIndices m0 = x.max(0, true);
            assertShape(m0.values(), 1, 3);
            assertShape(m0.indices(), 1, 3);
            assertValues(m0.values(), 2, 3, 3);
            assertArrayEquals(new long[] {1, 0, 0}, m0.indices().toLongArray());
            assertArrayEquals(new long[] {1, 0}, x.argmax(-1).toLongArray());
            assertValues(x.min(0, false).values(), 1, 2, 1);
            assertThrows(RuntimeException.class, () -> Tensor.zeros(0).max());
        }

        @Test
        void prod() {
            Tensor x = m23();
            assertEquals(720.0, x.prod().item(), 0.0);
            assertValues(x.prod(1, false), 6, 120);
            Tensor kept = x.prod(0, true);
            assertShape(kept, 1, 3);
            assertValues(kept, 4, 10, 18);
            assertEquals(0.0, Tensor.arange(6).prod().item(), 0.0);
        }

        @Test
        void norm() {
            Tensor x = Tensor.tensor(new float[][] {{3, -4}, {0, 5}});
            assertEquals(Math.sqrt(50), x.norm().item(), 1e-5);
            assertEquals(Math.sqrt(50), x.norm(2.0).item(), 1e-5);
            assertEquals(12.0, x.norm(1.0).item(), 1e-6);
            // x.norm(dim=d) is spelled norm(2, dims, keepdim): a norm(int) overload would read as p in Java
            assertClose(x.norm(2, new int[] {1}, false), 1e-5, 5, 5);
            assertClose(x.norm(2.0, new int[] {0}, false), 1e-5, 3, Math.sqrt(41));
            Tensor p1 = x.norm(1, new int[] {1}, true);
            assertShape(p1, 2, 1);
            assertValues(p1, 7, 5);
            assertEquals(3.0, Tensor.of(1, 2, 2).norm().item(), 1e-6);
        }

        @Test
        void softmaxAndLogSoftmax() {
            Tensor x = Tensor.of(1, 2, 3);
            double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
            assertValues(x.softmax(0), Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z);
            assertClose(x.logSoftmax(0), 1e-5, 1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z));

            Tensor m = Tensor.tensor(new float[][] {{1, 2, 3}, {-1, 0, 5}});
            Tensor rows = m.softmax(1);
            assertClose(rows.sum(1), 1e-6, 1, 1);
            assertValues(m.softmax(-1).get(0), x.softmax(0).toArray());
            Tensor cols = m.softmax(0);
            assertClose(cols.sum(0), 1e-6, 1, 1, 1);
            assertClose(m.logSoftmax(1).exp(), 1e-6, rows.toArray());

            // large inputs do not overflow
            assertValues(Tensor.of(1000, 0).softmax(0), 1, 0);
            assertValues(Tensor.of(1000, 0).logSoftmax(0), 0, -1000);
            assertValues(Tensor.of(1000, 1000).softmax(0), 0.5, 0.5);
            assertClose(Tensor.of(-1000, -1000).logSoftmax(0), 1e-6, Math.log(0.5), Math.log(0.5));
            assertMessage("Dimension out of range (expected to be in range of [-2, 1], but got 2)", () -> m.softmax(2));
        }
    }

    // =====================================================================================================

    @Nested
    class InPlaceOps {
        @Test
        void arithmeticInPlaceReturnsThis() {
            Tensor x = Tensor.of(1, 2, 3);
            assertSame(x, x.add_(Tensor.of(1, 1, 1)));
            assertValues(x, 2, 3, 4);
            assertSame(x, x.add_(1));
            assertValues(x, 3, 4, 5);
            assertSame(x, x.sub_(Tensor.of(1, 2, 3)));
            assertValues(x, 2, 2, 2);
            assertSame(x, x.sub_(0.5));
            assertValues(x, 1.5, 1.5, 1.5);
            assertSame(x, x.mul_(Tensor.of(2, 4, 6)));
            assertValues(x, 3, 6, 9);
            assertSame(x, x.mul_(2));
            assertValues(x, 6, 12, 18);
            assertSame(x, x.div_(Tensor.of(6, 4, 2)));
            assertValues(x, 1, 3, 9);
            assertSame(x, x.div_(2));
            assertValues(x, 0.5, 1.5, 4.5);
            assertEquals(DType.FLOAT32, x.dtype());
        }

        @Test
        void scaledAddIsOnePassAxpy() {
            // p.add_(g, alpha) as the optimizers use it: dense (BLAS axpy), strided, broadcast and float64 paths.
            Tensor p = Tensor.of(1, 2, 3);
            assertSame(p, p.add_(Tensor.of(10, 20, 30), -0.1));
            assertValues(p, 0, 0, 0);
            Tensor m = Tensor.zeros(2, 3);
            m.t().add_(Tensor.tensor(new float[][] {{1, 4}, {2, 5}, {3, 6}}), 2);
            assertValues(m, 2, 4, 6, 8, 10, 12);
            m.add_(Tensor.of(1, 1, 1), 0.5);
            assertValues(m, 2.5, 4.5, 6.5, 8.5, 10.5, 12.5);
            Tensor d = Tensor.tensor(new double[] {1, 2}, DType.FLOAT64, 2);
            d.add_(Tensor.of(1, 1), 3);
            assertValues(d, 4, 5);
            assertMessage("output with shape [3] doesn't match the broadcast shape [2, 3]",
                    () -> Tensor.zeros(3).add_(Tensor.ones(2, 3), 2));
        }

        @Test
        void scaledAddRecordsAutogradOnNonLeaves() {
            Tensor x = Tensor.of(1, 2).requiresGrad_();
            Tensor y = x.mul(1);
            y.add_(x, 3);
            y.sum().backward();
            assertValues(x.grad(), 4, 4);
            assertMessage("a leaf Variable that requires grad is being used in an in-place operation.",
                    () -> x.add_(Tensor.of(1, 1), 2));
        }

        @Test
        void inPlaceBroadcastsTheOtherOperandOnly() {
            Tensor x = Tensor.zeros(2, 3);
            x.add_(Tensor.of(1, 2, 3));
            assertValues(x, 1, 2, 3, 1, 2, 3);
            assertMessage("output with shape [3] doesn't match the broadcast shape [2, 3]",
                    () -> Tensor.zeros(3).add_(Tensor.ones(2, 3)));
        }

        @Test
        void zeroFillCopyClamp() {
            Tensor x = Tensor.of(1, 2, 3);
            assertSame(x, x.zero_());
            assertValues(x, 0, 0, 0);
            assertSame(x, x.fill_(2.5));
            assertValues(x, 2.5, 2.5, 2.5);
            assertSame(x, x.copy_(Tensor.of(7, 8, 9)));
            assertValues(x, 7, 8, 9);
            x.copy_(Tensor.scalar(4)); // broadcast
            assertValues(x, 4, 4, 4);
            x.copy_(Tensor.tensor(new double[] {0.5, 1.5, 2.5}, DType.FLOAT64, 3)); // converted
            assertEquals(DType.FLOAT32, x.dtype());
            assertValues(x, 0.5, 1.5, 2.5);
            assertSame(x, x.clamp_(1.0, 2.0));
            assertValues(x, 1, 1.5, 2);
            x.clamp_(null, 1.2);
            assertValues(x, 1, 1.2, 1.2);
            Tensor m = Tensor.zeros(2, 2);
            m.copy_(Tensor.of(1, 2));
            assertValues(m, 1, 2, 1, 2);
            assertThrows(RuntimeException.class, () -> Tensor.zeros(2).copy_(Tensor.zeros(3)));
        }

        @Test
        void normalAndUniformInPlace() {
            Tensor x = Tensor.zeros(100_000);
            assertSame(x, x.normal_(5, 0.5, new Generator(3)));
            assertEquals(5.0, x.mean().item(), 0.01);
            assertEquals(0.5, x.sub(x.mean()).pow(2).mean().sqrt().item(), 0.01);
            Tensor y = Tensor.zeros(1000);
            assertSame(y, y.uniform_(-2, 3, new Generator(4)));
            assertTrue(y.ge(-2).all() && y.lt(3).all());
            assertTrue(y.min().item() < -1.9 && y.max().item() > 2.9);
            assertTrue(Tensor.zeros(5).normal_(0, 1, new Generator(11)).equal(Tensor.zeros(5).normal_(0, 1, new Generator(11))));
            assertThrows(RuntimeException.class, () -> Tensor.zeros(2).uniform_(3, 1));
        }

        @Test
        void inPlaceOnIntegerTensorRejectsFloatResult() {
            Tensor i = Tensor.ofLongs(1, 2);
            i.add_(Tensor.ofLongs(1, 1));
            assertArrayEquals(new long[] {2, 3}, i.toLongArray());
            assertThrows(RuntimeException.class, () -> Tensor.ofLongs(1, 2).add_(Tensor.of(0.5f, 0.5f)));
        }
    }

    // =====================================================================================================

    @Nested
    class CopiesAndConversions {
        @Test
        void cloneOwnsItsData() {
            Tensor x = Tensor.of(1, 2);
            Tensor c = x.clone();
            assertTrue(c.equal(x));
            c.add_(1);
            assertValues(x, 1, 2);
            assertValues(c, 2, 3);
            Tensor ct = grid().t().clone();
            assertTrue(ct.isContiguous());
            assertValues(ct.get(1), 1, 5, 9);
        }

        @Test
        void itemAndArrays() {
            assertEquals(3.5, Tensor.of(3.5f).item(), 0.0);
            assertEquals(2.0, Tensor.of(2).reshape(1, 1).item(), 0.0);
            assertMessage("a Tensor with 2 elements cannot be converted to Scalar", () -> Tensor.of(1, 2).item());
            assertMessage("a Tensor with 0 elements cannot be converted to Scalar", () -> Tensor.zeros(0).item());
            Tensor t = grid().t();
            assertArrayEquals(new double[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, t.toArray(), 0.0);
            assertArrayEquals(new float[] {0, 4, 8}, t.get(0).toFloatArray(), 0f);
        }

        @Test
        void metadata() {
            Tensor x = Tensor.zeros(2, 3, 4);
            int[] s = x.shape();
            s[0] = 99;
            assertShape(x, 2, 3, 4); // shape() is a copy
            assertEquals(4, x.size(-1));
            assertEquals(2, x.size(0));
            assertEquals(3, x.size(-2));
            assertEquals(24, x.numel());
            assertEquals(3, x.dim());
            assertEquals(Device.CPU, x.device());
            assertMessage("Dimension out of range (expected to be in range of [-3, 2], but got 3)", () -> x.size(3));
        }

        @Test
        void typeConversions() {
            Tensor x = Tensor.of(1.5f, -2.5f);
            Tensor d = x.toDouble();
            assertEquals(DType.FLOAT64, d.dtype());
            assertValues(d, 1.5, -2.5);
            assertSame(x, x.toFloat());
            assertSame(x, x.to(DType.FLOAT32));
            Tensor l = Tensor.of(1.7f, -1.7f).to(DType.INT64);
            assertEquals(DType.INT64, l.dtype());
            assertArrayEquals(new long[] {1, -1}, l.toLongArray()); // truncation, as in PyTorch
            assertValues(Tensor.of(0, 2).to(DType.BOOL), 0, 1);
        }

        @Test
        void allcloseAndEqual() {
            Tensor a = Tensor.of(1, 2, 3);
            assertTrue(a.equal(Tensor.of(1, 2, 3)));
            assertFalse(a.equal(Tensor.of(1, 2, 4)));
            assertFalse(a.equal(Tensor.of(1, 2, 3).reshape(3, 1)));
            assertTrue(a.allclose(Tensor.of(1, 2, 3.00001f)));
            assertFalse(a.allclose(Tensor.of(1, 2, 3.001f)));
            assertTrue(a.allclose(Tensor.of(1, 2, 3.001f), 1e-3, 0));
            assertTrue(Tensor.zeros(1).allclose(Tensor.of(1e-9f)));
            assertFalse(a.allclose(Tensor.of(1, 2)));
            assertFalse(Tensor.of(Float.NaN).allclose(Tensor.of(Float.NaN)), "NaN is not close to NaN (equal_nan=False)");
        }

        @Test
        void requireFiniteNamesTheIndex() {
            Tensor ok = Tensor.of(1, 2);
            assertSame(ok, ok.requireFinite("input"));
            Tensor bad = Tensor.tensor(new float[][] {{1, 2}, {Float.NaN, 4}});
            String m = message(() -> bad.requireFinite("features"));
            assertTrue(m.contains("features"), m);
            assertTrue(m.contains("NaN"), m);
            assertTrue(m.contains("[1, 0]"), m);
            String inf = message(() -> Tensor.of(0, 0, Float.POSITIVE_INFINITY).requireFinite("x"));
            assertTrue(inf.contains("[2]") && inf.contains("Infinity"), inf);
            Tensor ids = Tensor.ofLongs(1, 2);
            assertSame(ids, ids.requireFinite("ids"));
        }
    }

    // =====================================================================================================

    @Nested
    class Errors {
        @Test
        void dimensionOutOfRange() {
            Tensor x = Tensor.zeros(2, 3);
            String expected = "Dimension out of range (expected to be in range of [-2, 1], but got 2)";
            assertMessage(expected, () -> x.sum(2));
            assertMessage(expected, () -> x.mean(2, false));
            assertMessage(expected, () -> x.max(2));
            assertMessage(expected, () -> x.transpose(0, 2));
            assertMessage(expected, () -> x.select(2, 0));
            assertMessage(expected, () -> x.squeeze(2));
            assertMessage("Dimension out of range (expected to be in range of [-2, 1], but got -3)", () -> x.sum(-3));
            assertMessage("Dimension out of range (expected to be in range of [-3, 2], but got 3)", () -> x.unsqueeze(3));
            assertMessage(expected, () -> Tensor.cat(2, x, x));
        }

        @Test
        void indexErrorsAreIndexOutOfBounds() {
            Tensor x = Tensor.zeros(3, 4);
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> x.get(5));
            assertEquals("index 5 is out of bounds for dimension 0 with size 3", e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> x.sum(5));
        }
    }

    // =====================================================================================================

    @Nested
    class Printing {
        @Test
        void integersAndBools() {
            assertEquals("tensor([1, 2])", Tensor.ofLongs(1, 2).toString());
            assertEquals("tensor([  -1,   20, -300])", Tensor.ofLongs(-1, 20, -300).toString());
            assertEquals("tensor([ True, False])", Tensor.of(1, 0).gt(0).toString());
            assertEquals("tensor([[ True, False],\n        [False,  True]])",
                    Tensor.eye(2).gt(0).toString());
            assertEquals("tensor(7)", Tensor.scalar(7, DType.INT64).toString());
            assertEquals("tensor(True)", Tensor.scalar(1, DType.BOOL).toString());
        }

        @Test
        void floats() {
            assertEquals("tensor([1., 2.])", Tensor.of(1, 2).toString());
            assertEquals("tensor([0., 0.])", Tensor.zeros(2).toString());
            assertEquals("tensor(3.5000)", Tensor.scalar(3.5).toString());
            assertEquals("tensor(-2.)", Tensor.scalar(-2).toString());
            assertEquals("tensor([-0.5000,  0.0000])", Tensor.of(-0.5f, 0).toString());
            assertEquals("tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])",
                    Tensor.tensor(new float[][] {{1.5f, 2}, {3, 4}}).toString());
            assertEquals("tensor([[ -1.5000,   2.0000],\n        [  3.2500, -40.0000]])",
                    Tensor.tensor(new float[][] {{-1.5f, 2}, {3.25f, -40}}).toString());
            assertEquals("tensor([0.0010, 0.0100])", Tensor.of(0.001f, 0.01f).toString());
            assertEquals("tensor([1.5000,    nan,    inf])", Tensor.of(1.5f, Float.NaN, Float.POSITIVE_INFINITY).toString());
        }

        @Test
        void float64Suffix() {
            assertEquals("tensor([1.5000, 2.2500], dtype=torch.float64)",
                    Tensor.tensor(new double[] {1.5, 2.25}, DType.FLOAT64, 2).toString());
            assertEquals("tensor([1., 2.], dtype=torch.float64)",
                    Tensor.tensor(new double[] {1, 2}, DType.FLOAT64, 2).toString());
        }

        @Test
        void scientificMode() {
            assertEquals("tensor([1.0000e-05, 1.0000e+00, 1.0000e+02])", Tensor.of(1e-5f, 1, 100).toString());
            assertEquals("tensor([1.0000e+00, 1.0000e+05])", Tensor.of(1, 1e5f).toString());
            assertEquals("tensor([1.0000e-04, 1.0000e-02])", Tensor.of(1e-4f, 0.01f).toString());
            assertEquals("tensor([1.0000e-05, 1.0000e-04])", Tensor.of(1e-5f, 1e-4f).toString());
            assertEquals("tensor([1.0000e+09, 2.0000e+00])", Tensor.of(1e9f, 2).toString());
            assertEquals("tensor([1.2346e+08, 2.0000e+00])", Tensor.of(123456789f, 2).toString());
            assertEquals("tensor(1.0000e-05)", Tensor.scalar(1e-5).toString());
        }

        @Test
        void threeDimensionalBlocksAreSeparatedByBlankLines() {
            assertEquals("tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])",
                    Tensor.arange(8).reshape(2, 2, 2).toString());
        }

        @Test
        void empty() {
            assertEquals("tensor([])", Tensor.of(new float[0]).toString());
            assertEquals("tensor([], size=(0, 3))", Tensor.zeros(0, 3).toString());
            assertEquals("tensor([], size=(2, 0))", Tensor.zeros(2, 0).toString());
        }

        @Test
        void longRowsWrapAt80Columns() {
            assertEquals("tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
                    + "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
                    + "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n"
                    + "        3.8571, 4.0000, 4.1429])", Tensor.arange(30).div(7).toString());
            Tensor ints = Tensor.tensor(range(40), DType.INT64, 40);
            assertEquals("tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
                    + "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n"
                    + "        36, 37, 38, 39])", ints.toString());
        }

        @Test
        void summarizesMoreThan1000Elements() {
            assertEquals("tensor([1., 1., 1.,  ..., 1., 1., 1.])", Tensor.ones(2000).toString());
            assertEquals("tensor([   0,    1,    2,  ...,  998,  999, 1000])",
                    Tensor.tensor(range(1001), DType.INT64, 1001).toString());
            assertEquals("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
                    + "        1.9990e+03])", Tensor.arange(2000).toString());
            assertEquals("tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n"
                    + "         4.9000e+01],\n"
                    + "        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n"
                    + "         9.9000e+01],\n"
                    + "        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n"
                    + "         1.4900e+02],\n"
                    + "        ...,\n"
                    + "        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n"
                    + "         1.8990e+03],\n"
                    + "        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n"
                    + "         1.9490e+03],\n"
                    + "        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n"
                    + "         1.9990e+03]])", Tensor.arange(2000).reshape(40, 50).toString());
            // exactly 1000 elements are printed in full
            assertFalse(Tensor.ones(1000).toString().contains("..."));
        }

        @Test
        void autogradSuffixes() {
            Tensor x = Tensor.of(1, 2).requiresGrad_();
            assertEquals("tensor([1., 2.], requires_grad=True)", x.toString());
            assertEquals("tensor([2., 4.], grad_fn=<MulBackward0>)", x.mul(2).toString());
            assertEquals("tensor([ 1.0000, -2.5000], dtype=torch.float64, requires_grad=True)",
                    Tensor.tensor(new double[] {1, -2.5}, DType.FLOAT64, 2).requiresGrad_().toString());
        }

        @Test
        void printsViewsInLogicalOrder() {
            assertEquals("tensor([[0., 2.],\n        [1., 3.]])", Tensor.arange(4).reshape(2, 2).t().toString());
        }

        private double[] range(int n) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = i;
            }
            return v;
        }
    }
}
