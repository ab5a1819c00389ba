package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkgrad.engine.AutogradTest.assertMessage;
import static org.sparkgrad.engine.AutogradTest.assertValues;
import static org.sparkgrad.engine.AutogradTest.message;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * In-place ops on views while autograd records (PyTorch's CopySlices), and fill_/zero_/copy_ on tensors in
 * the graph. Java has no {@code h[1] = src}: write {@code h.select(0, 1).copy_(src)}. Expected values and node
 * names were recorded from PyTorch 1.13; each test gives the snippet.
 */
class InPlaceViewTest {
    /** x = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]] requiring grad. */
    private static Tensor x43() {
        return Tensor.arange(1, 13).reshape(4, 3).requiresGrad_();
    }

    private static String name(Tensor t) {
        return t.gradFn() == null ? null : t.gradFn().name();
    }

    private static List<String> nextNames(Tensor t) {
        return t.gradFn().nextFunctions().stream().map(e -> e.node() == null ? null : e.node().name()).toList();
    }

    @Nested
    class Views {
        @Test
        void assignmentIntoABufferAndInPlaceOnViewsOfANonLeaf() {
            // x = torch.arange(1., 13).reshape(4, 3).requires_grad_()
            // h = torch.zeros(4, 3); h[1] = x[0] * 2; h[:, 2].mul_(3)
            // y = x.clone(); y[0].add_(1); y[1:3].mul_(x[3])
            // (h.sum() + (y * y).sum()).backward()
            Tensor x = x43();
            Tensor h = Tensor.zeros(4, 3);
            h.select(0, 1).copy_(x.select(0, 0).mul(2));
            assertTrue(h.requiresGrad());
            assertFalse(h.isLeaf());
            assertEquals("CopySlices", name(h));
            assertEquals(java.util.Arrays.asList(null, "MulBackward0"), nextNames(h)); // torch: ((None, 0), (MulBackward0, 0))
            assertEquals("SelectBackward0", name(h.select(0, 1)));
            Tensor column = h.select(1, 2);
            column.mul_(3);
            assertEquals("CopySlices", name(h));
            assertEquals("AsStridedBackward0", name(column)); // torch: h[:, 2].mul_(3) leaves AsStridedBackward0

            Tensor y = x.clone();
            Tensor row = y.select(0, 0);
            row.add_(1);
            assertEquals("CopySlices", name(y));
            assertEquals("AsStridedBackward0", name(row));
            y.slice(0, 1, 3).mul_(x.select(0, 3));
            h.sum().add(y.mul(y).sum()).backward();

            assertValues(h, 0, 0, 0, 2, 4, 18, 0, 0, 0, 0, 0, 0);
            assertValues(y, 2, 3, 4, 40, 55, 72, 70, 88, 108, 10, 11, 12);
            assertValues(x.grad(), 6, 8, 14, 800, 1210, 1728, 1400, 1936, 2592, 1320, 1980, 2832);
        }

        @Test
        void otherViewsFollowTheBasesNewHistory() {
            // y = x.clone(); v = y[:, 0]; r = y[1]; v.mul_(x[:, 1]); r.grad_fn -> AsStridedBackward0
            // r.sum().backward(); x.grad -> [[0, 0, 0], [5, 5, 1], [0, 0, 0], [0, 0, 0]]
            Tensor x = x43();
            Tensor y = x.clone();
            Tensor v = y.select(1, 0);
            Tensor r = y.select(0, 1);
            v.mul_(x.select(1, 1));
            assertEquals("AsStridedBackward0", name(r));
            assertEquals(List.of("CloneBackward0", "MulBackward0"), nextNames(y)); // torch: CloneBackward0, SelectBackward0
            r.sum().backward();
            assertValues(x.grad(), 0, 0, 0, 5, 5, 1, 0, 0, 0, 0, 0, 0);

            // x = torch.tensor([1., 2, 3], requires_grad=True); y = x.clone(); v = y[1:]; y.mul_(2)
            // v.grad_fn -> AsStridedBackward0; v.sum().backward(); x.grad -> [0, 2, 2]
            Tensor x2 = Tensor.of(1, 2, 3).requiresGrad_();
            Tensor y2 = x2.clone();
            Tensor v2 = y2.slice(0, 1, 3);
            y2.mul_(2);
            assertEquals("AsStridedBackward0", name(v2));
            v2.sum().backward();
            assertValues(x2.grad(), 0, 2, 2);
        }

        @Test
        void recurrentBufferPattern() {
            // w = torch.tensor([[0.5, -1.], [2., 0.25]], requires_grad=True)
            // inp = torch.tensor([[1., 2], [3, -1], [0.5, 1]]); out = torch.zeros(3, 2); hh = torch.zeros(2)
            // for t in range(3): hh = torch.tanh(inp[t] + w @ hh + w[0]); out[t] = hh
            // (out * torch.arange(6.).reshape(3, 2)).sum().backward()
            Tensor w = Tensor.tensor(new float[][] {{0.5f, -1}, {2, 0.25f}}).requiresGrad_();
            Tensor inp = Tensor.tensor(new float[][] {{1, 2}, {3, -1}, {0.5f, 1}});
            Tensor out = Tensor.zeros(3, 2);
            Tensor hh = Tensor.zeros(2);
            for (int t = 0; t < 3; t++) {
                hh = inp.select(0, t).add(w.matmul(hh)).add(w.select(0, 0)).tanh();
                out.select(0, t).copy_(hh);
            }
            assertEquals("CopySlices", name(out));
            out.mul(Tensor.arange(6).reshape(3, 2)).sum().backward();
            assertValues(out, 0.9051482677459717, 0.7615941762924194, 0.9966220855712891, 0.0006949900416657329,
                    0.9047165513038635, 0.9635595679283142);
            assertValues(w.grad(), 2.3450794219970703, 3.3969759941101074, 2.495863676071167, 1.8002674579620361);
        }

        @Test
        void copyIntoAViewOfAConstantBuffer() {
            // s = torch.randn(4, 3, requires_grad=True); b = torch.zeros(4, 3); b[0].copy_(s[0])
            // b.grad_fn.next_functions -> ((None, 0), (SelectBackward0, 0))
            Tensor s = x43();
            Tensor b = Tensor.zeros(4, 3);
            Tensor row = b.select(0, 0);
            assertSame(row, row.copy_(s.select(0, 0)));
            assertEquals("CopySlices", name(b));
            assertEquals(java.util.Arrays.asList(null, "SelectBackward0"), nextNames(b));
            b.mul(Tensor.arange(12).reshape(4, 3)).sum().backward();
            assertValues(s.grad(), 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0);

            // b = torch.zeros(4, 3, dtype=torch.float64); b[2:4] = s[1]  (broadcast and cast into the view)
            // (b * torch.arange(12.).reshape(4, 3)).sum().backward(); s.grad[1] -> [6 + 9, 7 + 10, 8 + 11]
            s.setGrad(null);
            Tensor b64 = Tensor.zeros(DType.FLOAT64, 4, 3);
            b64.slice(0, 2, 4).copy_(s.select(0, 1));
            assertValues(b64, 0, 0, 0, 0, 0, 0, 4, 5, 6, 4, 5, 6);
            b64.mul(Tensor.arange(12).reshape(4, 3)).sum().backward();
            assertValues(s.grad(), 0, 0, 0, 15, 17, 19, 0, 0, 0, 0, 0, 0);
            assertEquals(DType.FLOAT32, s.grad().dtype());
        }

        @Test
        void fillAndZeroOnViews() {
            // y = x * 2; y[0].fill_(1.0); y[1:3].zero_()  ->  y.grad_fn CopySlices; x.grad is 2 in row 3 only
            Tensor x = x43();
            Tensor y = x.mul(2);
            y.select(0, 0).fill_(1);
            assertEquals("CopySlices", name(y));
            y.slice(0, 1, 3).zero_();
            assertEquals("CopySlices", name(y));
            assertValues(y, 1, 1, 1, 0, 0, 0, 0, 0, 0, 20, 22, 24);
            y.sum().backward();
            assertValues(x.grad(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2);

            // b = torch.zeros(4, 3); b[0].fill_(1.0)  ->  nothing recorded
            Tensor b = Tensor.zeros(4, 3);
            b.select(0, 0).fill_(1);
            assertNull(b.gradFn());
            assertFalse(b.requiresGrad());
        }

        @Test
        void clampOnAView() {
            // y = x * 1; y[:, 1].clamp_(4, 8); y.sum().backward()  ->  grad 1 except where clamped
            Tensor x = x43();
            Tensor y = x.mul(1);
            y.select(1, 1).clamp_(4.0, 8.0);
            assertValues(y, 1, 4, 3, 4, 5, 6, 7, 8, 9, 10, 8, 12);
            y.sum().backward();
            assertValues(x.grad(), 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1);
        }

        @Test
        void viewOfADetachedTensorRewritesTheDetachedTensor() {
            // y = x * 2; d = y.detach(); d[0].mul_(x[0])  ->  d.grad_fn CopySlices, y.grad_fn still MulBackward0
            Tensor x = x43();
            Tensor y = x.mul(2);
            Tensor d = y.detach();
            d.select(0, 0).mul_(x.select(0, 0));
            assertEquals("CopySlices", name(d));
            assertEquals("MulBackward0", name(y));
            d.sum().backward();
            assertValues(x.grad(), 2, 4, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            // d = y.detach(); d.mul_(x)  ->  MulBackward0 (detach makes no differentiable view)
            Tensor d2 = x.mul(2).detach();
            d2.mul_(x);
            assertEquals("MulBackward0", name(d2));
        }

        @Test
        void nonContiguousBase() {
            // h is a (4, 3) tensor with strides (1, 4) that owns its history: the region maps through strides
            Tensor x = x43();
            Tensor h = Tensor.zeros(3, 4).t().detach();
            h.select(0, 1).copy_(x.select(0, 0));
            h.select(1, 2).mul_(x.select(1, 0));
            assertValues(h, 0, 0, 0, 1, 2, 12, 0, 0, 0, 0, 0, 0);
            h.mul(Tensor.arange(12).reshape(4, 3)).sum().backward();
            // sum = 3 x00 + 4 x01 + 5 x02 x10 (h[1] = x[0], then h[1, 2] *= x10)
            assertValues(x.grad(), 3, 4, 20, 15, 0, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    @Nested
    class Overwrites {
        @Test
        void fillAndZeroOnANonLeaf() {
            // y = x * 2; y.fill_(1.5) -> FillBackward2 with next (MulBackward0,); y.zero_() -> ZeroBackward0
            Tensor x = x43();
            Tensor y = x.mul(2);
            y.fill_(1.5);
            assertEquals("FillBackward2", name(y));
            assertEquals(List.of("MulBackward0"), nextNames(y));
            y.mul(y).sum().backward();
            assertValues(x.grad(), new double[12]);
            Tensor z = x.mul(2);
            z.zero_();
            assertEquals("ZeroBackward0", name(z));
            assertValues(z, new double[12]);
        }

        @Test
        void copyOnANonLeafAndIntoAConstant() {
            // s = torch.tensor([1., 2, 3], requires_grad=True); y = x * 2; y.copy_(s)
            // (y * torch.arange(12.).reshape(4, 3)).sum().backward(); x.grad -> 0; s.grad -> [18, 22, 26]
            Tensor x = x43();
            Tensor s = Tensor.of(1, 2, 3).requiresGrad_();
            Tensor y = x.mul(2);
            y.copy_(s);
            assertEquals("CopyBackwards", name(y));
            assertEquals(List.of("MulBackward0", "AccumulateGrad"), nextNames(y));
            y.mul(Tensor.arange(12).reshape(4, 3)).sum().backward();
            assertValues(x.grad(), new double[12]);
            assertValues(s.grad(), 18, 22, 26);

            // b = torch.zeros(3); b.copy_(s * 2) -> CopyBackwards, requires_grad
            Tensor b = Tensor.zeros(DType.FLOAT64, 3);
            b.copy_(s.mul(2));
            assertEquals("CopyBackwards", name(b));
            assertTrue(b.requiresGrad());
            assertEquals(DType.FLOAT64, b.dtype());
            s.setGrad(null);
            b.sum().backward();
            assertValues(s.grad(), 2, 2, 2);
            assertEquals(DType.FLOAT32, s.grad().dtype());
        }
    }

    @Nested
    class Refusals {
        @Test
        void viewOfALeafThatRequiresGrad() {
            Tensor x = Tensor.of(1, 2, 3).requiresGrad_();
            String expected = "a view of a leaf Variable that requires grad is being used in an in-place operation.";
            assertMessage(expected, () -> x.select(0, 0).add_(1));
            assertMessage(expected, () -> x.slice(0, 1, 3).mul_(Tensor.of(2, 2)));
            assertMessage(expected, () -> x.select(0, 1).fill_(1));
            assertMessage(expected, () -> x.slice(0, 0, 2).copy_(Tensor.ones(2)));
            assertMessage(expected, () -> x.select(0, 1).zero_());
            assertValues(x, 1, 2, 3);
            try (GradMode.Scope s = GradMode.noGrad()) {
                x.select(0, 0).add_(1); // the optimizer pattern stays allowed
            }
            assertValues(x, 2, 2, 3);
        }

        @Test
        void viewMadeWithoutGradModifiedWithGrad() {
            // with torch.no_grad(): v = h[1]   then   v.copy_(x * 2)  ->  RuntimeError
            Tensor x = Tensor.of(1, 2, 3).requiresGrad_();
            Tensor h = Tensor.zeros(2, 3);
            Tensor v;
            try (GradMode.Scope s = GradMode.noGrad()) {
                v = h.select(0, 1);
            }
            String m = message(() -> v.copy_(x.mul(2)));
            assertTrue(m.startsWith("A view was created in no_grad mode and is being modified inplace with grad mode "
                    + "enabled."), m);
            Tensor w;
            try (GradMode.Scope s = GradMode.noGrad()) {
                w = x.slice(0, 1, 3);
            }
            assertTrue(message(() -> w.add_(1)).startsWith("A view was created in no_grad mode"));
            v.fill_(4); // nothing to record: allowed
            assertValues(h, 0, 0, 0, 4, 4, 4);
        }

        @Test
        void overlappingView() {
            Tensor x = Tensor.of(1, 2, 3).requiresGrad_();
            Tensor y = x.mul(1);
            assertMessage("unsupported operation: more than one element of the written-to tensor refers to a single "
                    + "memory location. Please clone() the tensor before performing the operation.",
                    () -> y.expand(2, 3).mul_(x));
        }

        @Test
        void savedValueOverwrittenThroughAView() {
            // a = x.clone(); b = a.sin(); a[0].add_(1); b.sum().backward() -> version error (torch names CopySlices)
            Tensor x = x43();
            Tensor a = x.clone();
            Tensor b = a.sin();
            a.select(0, 0).add_(1);
            String m = message(() -> b.sum().backward());
            assertTrue(m.startsWith("one of the variables needed for gradient computation has been modified by an "
                    + "inplace operation: [torch.FloatTensor [4, 3]]"), m);
            assertTrue(m.contains("is at version 1; expected version 0 instead"), m);

            // y = x.clone(); y[1:3].mul_(y[3]) saves y[3], which the write itself changes -> version error
            Tensor y = x.clone();
            y.slice(0, 1, 3).mul_(y.select(0, 3));
            String m2 = message(() -> y.sum().backward());
            assertTrue(m2.startsWith("one of the variables needed for gradient computation has been modified by an "
                    + "inplace operation: [torch.FloatTensor [3]]"), m2);
            assertTrue(m2.contains("is at version 1; expected version 0 instead"), m2);
        }
    }

    @Nested
    class Gradchecks {
        private Tensor buffer(Tensor x, Tensor w) {
            Tensor h = Tensor.zeros(DType.FLOAT64, 4, 3);
            h.select(0, 1).copy_(x.select(0, 0).mul(w));
            h.select(1, 2).mul_(3);
            h.slice(0, 2, 4).add_(x.slice(0, 0, 2).sin());
            h.select(0, 3).mul_(h.select(0, 1).clone());
            return h.mul(h);
        }

        private Tensor cloned(Tensor x) {
            Tensor y = x.clone();
            y.select(0, 0).add_(1);
            y.slice(0, 1, 3).mul_(x.select(0, 3));
            y.select(1, 0).div_(y.select(1, 2).clone().add(3));
            y.t().select(0, 1).clamp_(-0.5, 0.5);
            return y.exp();
        }

        private Tensor strided(Tensor x) {
            Tensor h = Tensor.zeros(DType.FLOAT64, 3, 4).t().detach();
            h.select(0, 1).copy_(x.select(0, 0));
            h.select(1, 2).mul_(x.select(1, 0));
            return h.sin();
        }

        @Test
        void firstDerivatives() {
            Tensor x = Tensor.randn(new Generator(3), 4, 3).toDouble().requiresGrad_();
            Tensor w = Tensor.randn(new Generator(4), 3).toDouble().requiresGrad_();
            Gradcheck.check(in -> buffer(in[0], in[1]), x, w);
            Gradcheck.check(in -> cloned(in[0]), x);
            Gradcheck.check(in -> strided(in[0]), x);
        }

        @Test
        void secondDerivatives() {
            Tensor x = Tensor.randn(new Generator(5), 4, 3).toDouble().requiresGrad_();
            Tensor w = Tensor.randn(new Generator(6), 3).toDouble().requiresGrad_();
            Gradcheck.checkGradGrad(in -> buffer(in[0], in[1]), x, w);
            Gradcheck.checkGradGrad(in -> cloned(in[0]), x);
        }
    }

    // torch 1.13: p = tensor([1., 2, 3], requires_grad=True); e = p.expand(2, 3)
    // with torch.no_grad(): p.sub_(1)  ->  e.grad_fn: AsStridedBackward0;
    // e.sum().backward() -> p.grad = [2, 2, 2].  b = x.clone(); e = b.expand(2, 3); b.mul_(2);
    // e.sum().backward() -> x.grad = [4, 4, 4]
    @Test
    void anExpandedViewStaysUsableAfterItsBaseChangesInPlace() {
        Tensor p = Tensor.of(1, 2, 3).requiresGrad_();
        Tensor e = p.expand(2, 3);
        try (GradMode.Scope s = GradMode.noGrad()) {
            p.sub_(Tensor.of(1, 1, 1));
        }
        assertTrue(e.requiresGrad());
        e.sum().backward();
        assertArrayEquals(new double[] {2, 2, 2}, p.grad().toArray(), 0);

        Tensor x = Tensor.of(1, 2, 3).requiresGrad_();
        Tensor b = x.clone();
        Tensor e2 = b.expand(2, 3);
        b.mul_(2);
        assertEquals("AsStridedBackward0", e2.gradFn().name());
        e2.sum().backward();
        assertArrayEquals(new double[] {4, 4, 4}, x.grad().toArray(), 0);
        // writing through the expanded view is still refused
        Tensor y = Tensor.of(1, 2, 3).requiresGrad_();
        Tensor c = y.clone();
        UnsupportedOperationException u = org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
                () -> c.expand(2, 3).mul_(2));
        assertTrue(u.getMessage().startsWith("unsupported operation: more than one element of the written-to tensor"),
                u.getMessage());
    }

    // torch 1.13: x = ones(3, requires_grad=True); h = zeros(2, 3)
    // with torch.no_grad(): prev = h[1]
    // h[1] = x * 2; prev * x  -> RuntimeError: A view was created in no_grad mode and its base or another view of
    // its base has been modified inplace with grad mode enabled...
    @Test
    void aNoGradViewOfABaseChangedByARecordedOpIsAnErrorNotAConstant() {
        Tensor x = Tensor.ones(3).requiresGrad_();
        Tensor h = Tensor.zeros(2, 3);
        Tensor prev;
        try (GradMode.Scope s = GradMode.noGrad()) {
            prev = h.select(0, 1);
        }
        h.select(0, 1).copy_(x.mul(2));
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> prev.mul(x));
        assertTrue(e.getMessage().startsWith("A view was created in no_grad mode and its base or another view of its base "
                + "has been modified inplace with grad mode enabled."), e.getMessage());
        // a change without recording (an optimizer step) leaves such views usable
        Tensor w = Tensor.ones(3).requiresGrad_();
        Tensor v;
        try (GradMode.Scope s = GradMode.noGrad()) {
            v = w.select(0, 0);
            w.sub_(Tensor.of(1, 1, 1));
        }
        assertEquals(0.0, v.item(), 0);
    }

    @Test
    void setDataCutsTheOldViewLink() {
        Tensor big = Tensor.zeros(2, 3);
        Tensor p = big.select(0, 1);
        p.setData(Tensor.zeros(3));
        p.copy_(Tensor.ones(3).requiresGrad_());
        assertNull(big.gradFn(), "big's values never changed");
        assertArrayEquals(new double[6], big.toArray(), 0);
    }
}
