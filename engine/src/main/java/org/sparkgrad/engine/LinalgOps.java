package org.sparkgrad.engine;

/** mm, mv, dot, bmm, matmul's dispatch and svdvals: forward and vector-Jacobian product side by side. */
final class LinalgOps {
    private LinalgOps() {
    }

    private static Tensor as3d(Tensor m) {
        return m.viewRaw(new int[] {1, m.size(0), m.size(1)}, new int[] {0, m.strides()[0], m.strides()[1]},
                m.storageOffset());
    }

    static Tensor mm(Tensor a, Tensor b) {
        if (a.dim() != 2) {
            throw new IllegalArgumentException("self must be a matrix, got " + a.dim() + "-d tensor " + Shapes.str(a.shapeRef()));
        }
        if (b.dim() != 2) {
            throw new IllegalArgumentException("mat2 must be a matrix, got " + b.dim() + "-d tensor " + Shapes.str(b.shapeRef()));
        }
        if (a.size(1) != b.size(0)) {
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied (" + Shapes.times(a.shapeRef())
                    + " and " + Shapes.times(b.shapeRef()) + ")");
        }
        Tensor out = Dispatch.bmm(as3d(a), as3d(b)).viewRaw(new int[] {a.size(0), b.size(1)});
        OpNode n = OpNode.record("MmBackward0", a, b);
        if (n == null) {
            return out;
        }
        SavedTensor sa = n.needsInputGrad(1) ? n.save(a) : null;
        SavedTensor sb = n.needsInputGrad(0) ? n.save(b) : null;
        boolean bTransposed = transposed(b);
        return n.finish(out, g -> new Tensor[] {
            sb == null ? null : g[0].mm(sb.unpack().t()),
            sa == null ? null : mat2Grad(g[0], sa.unpack(), bTransposed)});
    }

    /** Whether a matrix is laid out column-major (a transposed contiguous one, e.g. a Linear's {@code W.t()}). */
    private static boolean transposed(Tensor m) {
        int[] st = m.strides();
        return m.size(0) > 1 && m.size(1) > 1 && st[0] == 1 && st[1] == m.size(0);
    }

    /**
     * The gradient of mat2 in {@code mat1 @ mat2}, {@code mat1^T g}, laid out like mat2 (PyTorch's
     * mm_mat2_backward): for a column-major mat2 computed as {@code (g^T mat1)^T}, so that through the transpose
     * it came from, the gradient reaches the weight contiguous and is taken as its grad without a copy.
     */
    private static Tensor mat2Grad(Tensor g, Tensor mat1, boolean mat2Transposed) {
        return mat2Transposed ? g.t().mm(mat1).t() : mat1.t().mm(g);
    }

    static Tensor mv(Tensor a, Tensor v) {
        if (a.dim() != 2 || v.dim() != 1) {
            throw new IllegalArgumentException("vector + matrix @ vector expected, got " + a.dim() + ", " + v.dim());
        }
        if (a.size(1) != v.size(0)) {
            throw new IllegalArgumentException("size mismatch, got input (" + a.size(0) + "), mat (" + Shapes.times(a.shapeRef())
                    + "), vec (" + v.size(0) + ")");
        }
        Tensor col = v.viewRaw(new int[] {1, v.size(0), 1}, new int[] {0, v.strides()[0], 1}, v.storageOffset());
        Tensor out = Dispatch.bmm(as3d(a), col).viewRaw(new int[] {a.size(0)});
        OpNode n = OpNode.record("MvBackward0", a, v);
        if (n == null) {
            return out;
        }
        SavedTensor sa = n.needsInputGrad(1) ? n.save(a) : null;
        SavedTensor sv = n.needsInputGrad(0) ? n.save(v) : null;
        return n.finish(out, g -> new Tensor[] {
            sv == null ? null : g[0].unsqueeze(1).mul(sv.unpack().unsqueeze(0)),
            sa == null ? null : sa.unpack().t().mv(g[0])});
    }

    static Tensor dot(Tensor u, Tensor v) {
        if (u.dim() != 1 || v.dim() != 1) {
            throw new IllegalArgumentException("1D tensors expected, but got " + u.dim() + "D and " + v.dim() + "D tensors");
        }
        if (u.size(0) != v.size(0)) {
            throw new IllegalArgumentException("inconsistent tensor size, expected tensor [" + u.size(0)
                    + "] and src [" + v.size(0) + "] to have the same number of elements, but got " + u.size(0) + " and "
                    + v.size(0) + " elements respectively");
        }
        Tensor row = u.viewRaw(new int[] {1, 1, u.size(0)}, new int[] {0, 1, u.strides()[0]}, u.storageOffset());
        Tensor col = v.viewRaw(new int[] {1, v.size(0), 1}, new int[] {0, v.strides()[0], 1}, v.storageOffset());
        Tensor out = Dispatch.bmm(row, col).viewRaw(new int[0]);
        OpNode n = OpNode.record("DotBackward0", u, v);
        if (n == null) {
            return out;
        }
        SavedTensor su = n.needsInputGrad(1) ? n.save(u) : null;
        SavedTensor sv = n.needsInputGrad(0) ? n.save(v) : null;
        return n.finish(out, g -> new Tensor[] {
            sv == null ? null : sv.unpack().mul(g[0]),
            su == null ? null : su.unpack().mul(g[0])});
    }

    static Tensor bmm(Tensor a, Tensor b) {
        if (a.dim() != 3 || b.dim() != 3) {
            throw new IllegalArgumentException("batch1 and batch2 must be 3D tensors, got " + a.dim() + "D and " + b.dim() + "D");
        }
        if (a.size(0) != b.size(0) || a.size(2) != b.size(1)) {
            throw new IllegalArgumentException("Expected size for first two dimensions of batch2 tensor to be: ["
                    + a.size(0) + ", " + a.size(2) + "] but got: [" + b.size(0) + ", " + b.size(1) + "].");
        }
        Tensor out = Dispatch.bmm(a, b);
        OpNode n = OpNode.record("BmmBackward0", a, b);
        if (n == null) {
            return out;
        }
        SavedTensor sa = n.needsInputGrad(1) ? n.save(a) : null;
        SavedTensor sb = n.needsInputGrad(0) ? n.save(b) : null;
        return n.finish(out, g -> new Tensor[] {
            sb == null ? null : g[0].bmm(sb.unpack().transpose(1, 2)),
            sa == null ? null : sa.unpack().transpose(1, 2).bmm(g[0])});
    }

    /** PyTorch's matmul: dot, mv, mm, vector-matrix, and broadcast batched products. */
    static Tensor matmul(Tensor a, Tensor b) {
        int da = a.dim();
        int db = b.dim();
        if (da == 0 || db == 0) {
            throw new IllegalArgumentException("both arguments to matmul need to be at least 1D, but they are " + da
                    + "D and " + db + "D");
        }
        if (da == 1 && db == 1) {
            return dot(a, b);
        }
        if (da == 2 && db == 1) {
            return mv(a, b);
        }
        if (da == 1 && db == 2) {
            if (a.size(0) != b.size(0)) {
                throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied (1x" + a.size(0) + " and "
                        + Shapes.times(b.shapeRef()) + ")");
            }
            return ViewOps.squeeze(a.unsqueeze(0).mm(b), 0, "SqueezeBackward3");
        }
        if (da == 2 && db == 2) {
            return mm(a, b);
        }
        if (da >= 3 && db <= 2) {
            // Fold a's leading dimensions into one matrix product, as PyTorch does (UnsafeViewBackward0).
            int k = a.size(-1);
            int[] lead = java.util.Arrays.copyOf(a.shapeRef(), da - 1);
            Tensor prod = a.reshape(Shapes.numel(lead), k).matmul(b);
            int[] outShape = db == 1 ? lead : concat(lead, b.size(1));
            Tensor result = prod.viewRaw(outShape);
            OpNode n = OpNode.record("UnsafeViewBackward0", prod);
            int[] folded = prod.shapeRef();
            return n == null ? result : n.finish(result, g -> new Tensor[] {g[0].reshape(folded)});
        }
        if (da == 2) {
            // A matrix times a batch: (b^T @ a^T)^T, the way PyTorch computes it (TransposeBackward0).
            return b.transpose(-1, -2).matmul(a.t()).transpose(-1, -2);
        }
        // Batched: broadcast the batch dimensions, fold them into one, bmm, unfold.
        Tensor x = da == 1 ? a.unsqueeze(0) : a;
        Tensor y = db == 1 ? b.unsqueeze(1) : b;
        int[] bx = java.util.Arrays.copyOf(x.shapeRef(), x.dim() - 2);
        int[] by = java.util.Arrays.copyOf(y.shapeRef(), y.dim() - 2);
        int[] batch;
        try {
            batch = Shapes.broadcast(bx, by);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: batch dimensions " + Shapes.str(bx) + " and " + Shapes.str(by)
                    + " cannot be broadcast: " + e.getMessage(), e);
        }
        int m = x.size(-2);
        int k = x.size(-1);
        if (y.size(-2) != k) {
            throw new IllegalArgumentException("Expected size for first two dimensions of batch2 tensor to be: [" + Shapes.numel(batch)
                    + ", " + k + "] but got: [" + Shapes.numel(batch) + ", " + y.size(-2) + "].");
        }
        int nn = y.size(-1);
        int bsz = Shapes.numel(batch);
        Tensor x3 = x.expand(concat(batch, m, k)).reshape(bsz, m, k);
        Tensor y3 = y.expand(concat(batch, k, nn)).reshape(bsz, k, nn);
        Tensor out = x3.bmm(y3);
        int[] outShape = concat(batch, m, nn);
        if (da == 1) {
            outShape = concat(batch, nn);
        } else if (db == 1) {
            outShape = concat(batch, m);
        }
        Tensor result = out.viewRaw(outShape);
        OpNode n = OpNode.record("UnsafeViewBackward0", out);
        int[] folded = out.shapeRef();
        return n == null ? result : n.finish(result, g -> new Tensor[] {g[0].reshape(folded)});
    }

    /**
     * bias + m1 @ m2 with bias broadcast to the product's shape, one node (AddmmBackward0) as in PyTorch's
     * F.linear on matrices.
     */
    static Tensor addmm(Tensor bias, Tensor m1, Tensor m2) {
        Tensor prod;
        try (GradMode.Scope s = GradMode.noGrad()) {
            prod = mm(m1, m2);
        }
        Tensor out = Dispatch.binary(org.sparkgrad.engine.backend.BinaryOp.ADD, prod, bias);
        if (!java.util.Arrays.equals(out.shapeRef(), prod.shapeRef())) {
            throw new IllegalArgumentException("addmm: the bias of shape " + Shapes.str(bias.shapeRef())
                    + " does not broadcast to the product's shape " + Shapes.str(prod.shapeRef()));
        }
        OpNode n = OpNode.record("AddmmBackward0", bias, m1, m2);
        if (n == null) {
            return out;
        }
        SavedTensor s1 = n.needsInputGrad(2) ? n.save(m1) : null;
        SavedTensor s2 = n.needsInputGrad(1) ? n.save(m2) : null;
        boolean m2Transposed = transposed(m2);
        return n.finish(out, g -> new Tensor[] {
            n.needsInputGrad(0) ? g[0] : null,
            s2 == null ? null : g[0].mm(s2.unpack().t()),
            s1 == null ? null : mat2Grad(g[0], s1.unpack(), m2Transposed)});
    }

    /**
     * torch.linalg.svdvals: the singular values of each matrix in the last two dims, descending, computed in
     * float64 by {@link Svd}; as in PyTorch, with autograd on it is the S of {@link #svd}, whose node
     * (LinalgSvdBackward0) gives U diag(g) V^T for S's gradient alone. That is well defined at repeated singular
     * values when their gradients are equal, as for the norms built on it (amax shares its gradient evenly
     * among ties, PyTorch's convention).
     */
    static Tensor svdvals(Tensor x) {
        return svd(x)[1];
    }

    /**
     * The thin SVD A = U diag(S) Vh of the matrices in the last two dims: {U [..., m, k], S [..., k], Vh [..., k, n]},
     * k = min(m, n), one node with three outputs whose backward is PyTorch 1.13's svd_backward (written with
     * differentiable ops, so create_graph gives second derivatives). Derivatives through U and Vh alone are
     * defined only up to the signs of their columns, as in PyTorch; those through S, and through U diag(.) Vh, are not.
     */
    static Tensor[] svd(Tensor x) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException("linalg.svd: The input tensor A must have at least 2 dimensions.");
        }
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("linalg.svd: Expected a floating point or complex tensor as input. Got "
                    + x.dtype().pyName());
        }
        int m = x.size(-2);
        int nc = x.size(-1);
        int k = Math.min(m, nc);
        int[] batch = java.util.Arrays.copyOf(x.shapeRef(), x.dim() - 2);
        int count = Shapes.numel(batch);
        double[] a = x.contiguous().toArray();
        double[] s = new double[count * k];
        double[] u = new double[count * m * k];
        double[] vh = new double[count * k * nc];
        double[] one = new double[m * nc];
        for (int b = 0; b < count; b++) {
            System.arraycopy(a, b * m * nc, one, 0, m * nc);
            Svd.Result r = finiteOrNaN(one, m, nc, b, batch);
            System.arraycopy(r.s(), 0, s, b * k, k);
            System.arraycopy(r.u(), 0, u, b * m * k, m * k);
            for (int c = 0; c < k; c++) {
                for (int j = 0; j < nc; j++) {
                    vh[b * k * nc + c * nc + j] = r.v()[j * k + c];
                }
            }
        }
        Tensor ut = Tensor.tensor(u, x.dtype(), concat(batch, m, k)).to(x.device());
        Tensor st = Tensor.tensor(s, x.dtype(), concat(batch, k)).to(x.device());
        Tensor vt = Tensor.tensor(vh, x.dtype(), concat(batch, k, nc)).to(x.device());
        OpNode n = OpNode.record("LinalgSvdBackward0", x);
        if (n == null) {
            return new Tensor[] {ut, st, vt};
        }
        SavedTensor su = n.saveOutput(ut);
        SavedTensor ss = n.saveOutput(st);
        SavedTensor sv = n.saveOutput(vt);
        n.outputs(3).finish(ut, g -> new Tensor[] {svdBackward(g[0], g[1], g[2], su.unpack(), ss.unpack(), sv.unpack())});
        n.attach(st, 1);
        n.attach(vt, 2);
        return new Tensor[] {ut, st, vt};
    }

    /**
     * The SVD of matrix b of the batch, as torch 1.13 on the CPU for non-finite inputs: a NaN is an error
     * (LAPACK does not converge), an infinity gives NaN for U, S and V (Jacobi rotations would leave some
     * singular values finite, which no decomposition of such a matrix has).
     */
    private static Svd.Result finiteOrNaN(double[] a, int m, int n, int b, int[] batch) {
        boolean infinite = false;
        for (double v : a) {
            if (Double.isNaN(v)) {
                throw new IllegalArgumentException("linalg.svd: The algorithm failed to converge because the input matrix "
                        + (batch.length == 0 ? "" : "at batch index " + b + " (of batch shape "
                        + java.util.Arrays.toString(batch) + ") ") + "contained non-finite values (NaN).");
            }
            infinite |= Double.isInfinite(v);
        }
        if (!infinite) {
            return Svd.of(a, m, n);
        }
        int k = Math.min(m, n);
        double[] u = new double[m * k];
        double[] s = new double[k];
        double[] v = new double[n * k];
        java.util.Arrays.fill(u, Double.NaN);
        java.util.Arrays.fill(s, Double.NaN);
        java.util.Arrays.fill(v, Double.NaN);
        return new Svd.Result(u, s, v, m, n, k);
    }

    /**
     * PyTorch 1.13's svd_backward (real case, thin SVD): with E_jk = S_k^2 - S_j^2 (1 on the diagonal) and
     * skew(X) = X - X^T, gA = U [(skew(U^T gU) S + S skew(Vh gVh^T)) / E + diag(gS)] Vh, plus the parts of gU
     * (gVh) outside U's (V's) span when A is tall (wide).
     */
    private static Tensor svdBackward(Tensor gU, Tensor gS, Tensor gVh, Tensor u, Tensor s, Tensor vh) {
        if (gU == null && gVh == null) {
            return gS == null ? null : u.mul(gS.unsqueeze(-2)).matmul(vh);
        }
        int m = u.size(-2);
        int nc = vh.size(-1);
        int k = s.size(-1);
        Tensor eye = Tensor.eye(k).to(s.dtype()).to(s.device());
        Tensor s2 = s.mul(s);
        Tensor e = s2.unsqueeze(-2).sub(s2.unsqueeze(-1)).add(eye);
        Tensor inner = null;
        if (gU != null) {
            Tensor uhgu = u.transpose(-1, -2).matmul(gU);
            inner = uhgu.sub(uhgu.transpose(-1, -2)).mul(s.unsqueeze(-2));
        }
        if (gVh != null) {
            Tensor vhgv = vh.matmul(gVh.transpose(-1, -2));
            Tensor t = s.unsqueeze(-1).mul(vhgv.sub(vhgv.transpose(-1, -2)));
            inner = inner == null ? t : inner.add(t);
        }
        Tensor ga = inner.div(e);
        if (gS != null) {
            ga = ga.add(gS.unsqueeze(-1).mul(eye));
        }
        if (m > k && gU != null) {
            ga = u.matmul(ga);
            Tensor gUSinv = gU.div(s.unsqueeze(-2));
            ga = ga.add(gUSinv).sub(u.matmul(u.transpose(-1, -2).matmul(gUSinv)));
            return ga.matmul(vh);
        }
        if (nc > k && gVh != null) {
            ga = ga.matmul(vh);
            Tensor sinvgVh = gVh.div(s.unsqueeze(-1));
            ga = ga.add(sinvgVh).sub(sinvgVh.matmul(vh.transpose(-1, -2)).matmul(vh));
            return u.matmul(ga);
        }
        return u.matmul(ga).matmul(vh);
    }

    private static int[] concat(int[] head, int... tail) {
        int[] s = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, s, head.length, tail.length);
        return s;
    }
}
