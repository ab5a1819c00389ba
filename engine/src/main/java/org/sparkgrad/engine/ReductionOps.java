package org.sparkgrad.engine;

import java.util.Arrays;
import org.sparkgrad.engine.backend.BinaryOp;
import org.sparkgrad.engine.backend.ReduceOp;

/** sum, mean, prod, max, min, norm: forward and vector-Jacobian product side by side. */
final class ReductionOps {
    private ReductionOps() {
    }

    /**
     * The reduced-dimension mask; null dims means all dimensions, and so does an empty list (torch 1.13's
     * {@code sum(dim=[])} reduces everything). A 0-d tensor accepts dim 0 and -1, as in PyTorch, and has no
     * dimension to flag.
     */
    private static boolean[] mask(Tensor x, int[] dims) {
        if (x.dim() > 64) {
            throw new IllegalArgumentException("only tensors with up to 64 dims are supported, got " + x.dim());
        }
        if (dims == null || (dims.length == 0)) {
            boolean[] all = new boolean[x.dim()];
            java.util.Arrays.fill(all, true);
            return all;
        }
        if (x.dim() == 0) {
            for (int d : dims) {
                Shapes.wrapDim(d, 0);
            }
            return new boolean[0];
        }
        return Shapes.dimMask(dims, x.dim());
    }

    /** The gradient of a reduced tensor brought back to x's rank (size 1 on reduced dims). */
    static Tensor unsqueezeReduced(Tensor g, boolean[] mask, boolean keepdim, int[] inputShape) {
        if (keepdim || g.dim() == inputShape.length) {
            return g;
        }
        int[] shape = new int[inputShape.length];
        for (int d = 0; d < shape.length; d++) {
            shape[d] = mask[d] ? 1 : inputShape[d];
        }
        return g.reshape(shape);
    }

    static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
        boolean[] m = mask(x, dims);
        Tensor out = Dispatch.reduce(ReduceOp.SUM, x, m, keepdim);
        OpNode n = OpNode.record(dims == null ? "SumBackward0" : "SumBackward1", x);
        if (n == null) {
            return out;
        }
        int[] shape = x.shapeRef();
        return n.finish(out, g -> new Tensor[] {unsqueezeReduced(g[0], m, keepdim, shape).expand(shape)});
    }

    static Tensor mean(Tensor x, int[] dims, boolean keepdim) {
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("mean(): could not infer output dtype. Input dtype must be either a "
                    + "floating point or complex dtype. Got: " + x.dtype().scalarName());
        }
        boolean[] m = mask(x, dims);
        int count = 1;
        for (int d = 0; d < m.length; d++) {
            count *= m[d] ? x.size(d) : 1;
        }
        Tensor out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            out = Dispatch.binary(BinaryOp.DIV, Dispatch.reduce(ReduceOp.SUM, x, m, keepdim), x.scalarLike(count));
        }
        OpNode n = OpNode.record(dims == null ? "MeanBackward0" : "MeanBackward1", x);
        if (n == null) {
            return out;
        }
        int[] shape = x.shapeRef();
        double c = count;
        return n.finish(out, g -> new Tensor[] {unsqueezeReduced(g[0], m, keepdim, shape).div(c).expand(shape)});
    }

    static Tensor prod(Tensor x, Integer dim, boolean keepdim) {
        boolean[] m = mask(x, dim == null ? null : new int[] {dim});
        Tensor out = Dispatch.reduce(ReduceOp.PROD, x, m, keepdim);
        OpNode n = OpNode.record(dim == null ? "ProdBackward0" : "ProdBackward1", x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        SavedTensor so = n.saveOutput(out);
        int[] shape = x.shapeRef();
        return n.finish(out, g -> {
            Tensor xv = sx.unpack();
            Tensor p = unsqueezeReduced(so.unpack(), m, keepdim, shape);
            Tensor gg = unsqueezeReduced(g[0], m, keepdim, shape);
            // Product of the other elements: p / x where x != 0; with one zero in the group, the product
            // of the non-zero ones at that zero; with two or more zeros, 0.
            Tensor isZero = xv.eq(0.0);
            int[] dims = dim == null ? null : new int[] {dim};
            Tensor zeros = Dispatch.reduce(ReduceOp.SUM, Dispatch.cast(isZero, xv.dtype()), m, true);
            Tensor safeX = Tensor.where(isZero, Tensor.onesLike(xv), xv);
            Tensor prodNonZero = dims == null ? safeX.prod().reshape(p.shapeRef()) : safeX.prod(dim, true);
            Tensor others = Tensor.where(isZero, Tensor.where(zeros.eq(1.0), prodNonZero, 0.0), p.div(safeX));
            return new Tensor[] {gg.mul(others)};
        });
    }

    /** Max or min of all elements; the gradient is shared evenly among tied extremes, as in PyTorch. */
    static Tensor extreme(Tensor x, boolean max) {
        if (x.numel() == 0) {
            throw new IllegalArgumentException((max ? "max" : "min") + "(): Expected reduction dim to be specified for "
                    + "input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
        }
        return amax(x, null, false, max, max ? "MaxBackward1" : "MinBackward1");
    }

    /** Max or min along dim with indices; the gradient goes to the index that was chosen. */
    static Tensor.ValuesIndices extreme(Tensor x, int dim, boolean keepdim, boolean max) {
        int d = Shapes.wrapDim(dim, x.dim());
        Tensor[] vi = Dispatch.argReduce(max, x, d, keepdim);
        OpNode n = OpNode.record(max ? "MaxBackward0" : "MinBackward0", x);
        if (n == null) {
            return new Tensor.ValuesIndices(vi[0], vi[1]);
        }
        if (x.dim() == 0) {
            return new Tensor.ValuesIndices(n.finish(vi[0], g -> new Tensor[] {g[0]}), vi[1]);
        }
        int[] shape = x.shapeRef();
        Tensor idx = keepdim ? vi[1] : vi[1].unsqueeze(d);
        Tensor values = n.finish(vi[0], g -> new Tensor[] {
            IndexingOps.scatterAddInto(shape, d, idx, keepdim ? g[0] : g[0].unsqueeze(d))});
        return new Tensor.ValuesIndices(values, vi[1]);
    }

    /**
     * amax / amin over dims (all when null or empty); the gradient is shared evenly among the elements equal
     * to the extreme, as PyTorch's AmaxBackward0 / AminBackward0 (unlike max(dim), which picks one).
     */
    static Tensor amax(Tensor x, int[] dims, boolean keepdim, boolean max) {
        return amax(x, dims, keepdim, max, max ? "AmaxBackward0" : "AminBackward0");
    }

    /** amax / amin recorded under a given node name (max() and min() of all elements have their own). */
    private static Tensor amax(Tensor x, int[] dims, boolean keepdim, boolean max, String name) {
        boolean[] m = mask(x, dims);
        for (int d = 0; d < m.length; d++) {
            if (m[d] && x.size(d) == 0) {
                throw new IllegalArgumentException((max ? "amax" : "amin") + "(): Expected reduction dim " + d
                        + " to have non-zero size.");
            }
        }
        Tensor out = Dispatch.reduce(max ? ReduceOp.MAX : ReduceOp.MIN, x, m, keepdim);
        OpNode n = OpNode.record(name, x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        SavedTensor so = n.saveOutput(out);
        int[] shape = x.shapeRef();
        return n.finish(out, g -> {
            Tensor hit = Dispatch.mask(BinaryOp.EQ, sx.unpack(), unsqueezeReduced(so.unpack(), m, keepdim, shape));
            Tensor count = Dispatch.reduce(ReduceOp.SUM, hit, m, true);
            return new Tensor[] {unsqueezeReduced(g[0], m, keepdim, shape).div(count).mul(hit)};
        });
    }

    /**
     * The index of the first maximum (minimum) along dim, or of the flattened tensor when dim is null (then
     * keepdim gives a tensor of x's rank with all sizes 1).
     */
    static Tensor argmax(Tensor x, Integer dim, boolean keepdim, boolean max) {
        if (dim != null) {
            return Dispatch.argReduce(max, x, x.dim() == 0 ? 0 : Shapes.wrapDim(dim, x.dim()), keepdim)[1];
        }
        if (x.numel() == 0) {
            throw new IllegalArgumentException((max ? "argmax" : "argmin") + "(): Expected reduction dim to be specified "
                    + "for input.numel() == 0.");
        }
        Tensor flat = Dispatch.contiguousCopy(x).viewRaw(new int[] {x.numel()});
        Tensor index = Dispatch.argReduce(max, flat, 0, false)[1];
        if (!keepdim) {
            return index;
        }
        int[] ones = new int[x.dim()];
        Arrays.fill(ones, 1);
        return index.viewRaw(ones);
    }

    /** The p-norm (sum |x|^p)^(1/p) over dims (all when null), recorded as torch.norm (NormBackward1). */
    static Tensor norm(Tensor x, double p, int[] dims, boolean keepdim) {
        return norm(x, p, dims, keepdim, "NormBackward1");
    }

    /**
     * The p-norm over dims under a given node name (linalg.vector_norm has its own). p = 0 counts the non-zero
     * elements, p = +-inf is the largest / smallest |x|.
     */
    static Tensor norm(Tensor x, double p, int[] dims, boolean keepdim, String name) {
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("norm(): input dtype should be a floating point type, got " + x.dtype().pyName());
        }
        boolean[] m = mask(x, dims);
        Tensor out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor a = x.abs();
            if (p == 2) {
                out = Dispatch.reduce(ReduceOp.SUM, a.mul(a), m, keepdim).sqrt();
            } else if (p == 1) {
                out = Dispatch.reduce(ReduceOp.SUM, a, m, keepdim);
            } else if (p == 0) {
                out = Dispatch.reduce(ReduceOp.SUM, Dispatch.cast(x.ne(0.0), x.dtype()), m, keepdim);
            } else if (Double.isInfinite(p)) {
                out = Dispatch.reduce(p > 0 ? ReduceOp.MAX : ReduceOp.MIN, a, m, keepdim);
            } else {
                out = Dispatch.reduce(ReduceOp.SUM, a.pow(p), m, keepdim).pow(1 / p);
            }
        }
        OpNode n = OpNode.record(name, x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        SavedTensor so = n.saveOutput(out);
        int[] shape = x.shapeRef();
        return n.finish(out, g -> {
            Tensor xv = sx.unpack();
            Tensor nv = unsqueezeReduced(so.unpack(), m, keepdim, shape);
            Tensor gg = unsqueezeReduced(g[0], m, keepdim, shape);
            return new Tensor[] {normBackward(xv, nv, gg, p, m)};
        });
    }

    /**
     * torch.norm with a string p: "fro" is the 2-norm (over two dims computed, as torch 1.13's frobenius_norm,
     * as sqrt(sum(x * x))); "nuc" the nuclear norm of the matrices in dims (a matrix when dims is null).
     */
    static Tensor norm(Tensor x, String p, int[] dims, boolean keepdim) {
        if ("nuc".equals(p)) {
            if (dims == null && x.dim() != 2) {
                throw new IllegalArgumentException("Expected a tensor with 2 dimensions, but got a tensor with " + x.dim()
                        + " dimension" + (x.dim() == 1 ? "" : "s") + " instead.");
            }
            return matrixNorm(x, "nuc", dims == null ? new int[] {-2, -1} : dims, keepdim);
        }
        if (!"fro".equals(p)) {
            throw new IllegalArgumentException("norm(): p must be a number, 'fro' or 'nuc', got '" + p + "'");
        }
        if (dims == null || dims.length == 1 || x.dim() == 0) {
            return norm(x, 2, dims, keepdim);
        }
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("norm(): input dtype should be a floating point type, got " + x.dtype().pyName());
        }
        return x.mul(x).sum(dims, keepdim).sqrt();
    }

    /**
     * linalg.matrix_norm over two dims: "fro" (the 2-norm of the elements), and ord 1 / -1 (largest / smallest
     * column sum of |x|) and inf / -inf (row sums), composed as PyTorch 1.13 does; ord 2 / -2 and "nuc" from the
     * singular values ({@link #singularValueNorm}).
     */
    static Tensor matrixNorm(Tensor x, Object ord, int[] dims, boolean keepdim) {
        if (dims.length != 2) {
            throw new IllegalArgumentException("linalg.matrix_norm: dim must be a 2-tuple. Got " + Arrays.toString(dims));
        }
        if (x.dim() < 2) {
            throw new IllegalArgumentException("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.");
        }
        int d0 = Shapes.wrapDim(dims[0], x.dim());
        int d1 = Shapes.wrapDim(dims[1], x.dim());
        if (d0 == d1) {
            throw new IllegalArgumentException("linalg.matrix_norm: dims must be different. Got (" + dims[0] + ", "
                    + dims[1] + ")");
        }
        if ("fro".equals(ord)) {
            return norm(x, 2, new int[] {d0, d1}, keepdim, "LinalgVectorNormBackward0");
        }
        double p = ord instanceof Number v ? v.doubleValue() : Double.NaN;
        if ("nuc".equals(ord) || Math.abs(p) == 2) {
            return singularValueNorm(x, ord, d0, d1, keepdim);
        }
        if (Math.abs(p) != 1 && Math.abs(p) != Double.POSITIVE_INFINITY) {
            String shown = Double.isFinite(p) && p == Math.rint(p) ? String.valueOf((long) p) : String.valueOf(ord);
            throw new IllegalArgumentException("linalg.matrix_norm: Order " + shown + " not supported. ord must be one of "
                    + "'fro', 'nuc', 2, -2, 1, -1, inf or -inf");
        }
        if (Double.isInfinite(p)) {
            int t = d0;
            d0 = d1;
            d1 = t;
        }
        if (!keepdim && d0 < d1) {
            d1--;
        }
        Tensor sums = norm(x, 1, new int[] {d0}, keepdim, "LinalgVectorNormBackward0");
        return amax(sums, new int[] {d1}, keepdim, p > 0);
    }

    /**
     * The nuclear norm (sum of the singular values) or ord 2 / -2 (the largest / smallest) of the matrices in
     * dims d0, d1, composed as PyTorch 1.13 does: the two dims moved to the end, svdvals, sum / amax / amin over
     * the last dim, and with keepdim the result unsqueezed and permuted back. The gradient is U V^T (nuc),
     * u1 v1^T (2) or u_min v_min^T (-2); equal extreme singular values share the gradient evenly, as amax's
     * backward does in PyTorch.
     */
    private static Tensor singularValueNorm(Tensor x, Object ord, int d0, int d1, boolean keepdim) {
        int nd = x.dim();
        int[] perm = new int[nd];
        int j = 0;
        for (int d = 0; d < nd; d++) {
            if (d != d0 && d != d1) {
                perm[j++] = d;
            }
        }
        perm[nd - 2] = d0;
        perm[nd - 1] = d1;
        Tensor s = LinalgOps.svdvals(x.permute(perm));
        int last = s.dim() - 1;
        Tensor r = "nuc".equals(ord) ? s.sum(new int[] {last}, keepdim)
                : amax(s, new int[] {last}, keepdim, ((Number) ord).doubleValue() > 0);
        if (!keepdim) {
            return r;
        }
        int[] reverse = new int[nd];
        for (int d = 0; d < nd; d++) {
            reverse[perm[d]] = d;
        }
        return r.unsqueeze(-1).permute(reverse);
    }

    /** PyTorch 1.13's norm_backward: d||x||_p / dx times the gradient, with its conventions at 0 and ties. */
    private static Tensor normBackward(Tensor x, Tensor norm, Tensor g, double p, boolean[] m) {
        Tensor sgn = MathOps.sgn(x);
        if (p == 0) {
            return Tensor.zerosLike(x);
        }
        if (p == 1) {
            return sgn.mul(g);
        }
        Tensor zeroNorm = norm.eq(0.0);
        if (p == 2) {
            return g.mul(Tensor.where(zeroNorm, 0.0, x.div(norm)));
        }
        if (Double.isInfinite(p)) {
            // The gradient of amax(|x|), shared evenly among the elements at the extreme (and NaNs).
            Tensor a = x.abs();
            Tensor hit = Dispatch.binary(BinaryOp.ADD, Dispatch.cast(a.eq(norm), x.dtype()), Dispatch.cast(a.ne(a), x.dtype()));
            Tensor count = Dispatch.reduce(ReduceOp.SUM, hit, m, true);
            return sgn.mul(g.div(count).mul(hit));
        }
        if (p < 1) {
            Tensor scaled = Tensor.where(x.eq(0.0), 0.0, sgn.mul(x.abs().pow(p - 1)));
            return scaled.mul(g).mul(norm.pow(1 - p));
        }
        Tensor scaled = p < 2 ? sgn.mul(x.abs().pow(p - 1)) : x.mul(x.abs().pow(p - 2));
        return scaled.mul(Tensor.where(zeroNorm, 0.0, g.div(norm.pow(p - 1))));
    }

    /** Sums a broadcast gradient back down to {@code shape} (differentiably). */
    static Tensor sumToShape(Tensor g, int[] shape) {
        int[] gs = g.shapeRef();
        if (Arrays.equals(gs, shape)) {
            return g;
        }
        int lead = gs.length - shape.length;
        int count = 0;
        int[] dims = new int[gs.length];
        for (int d = 0; d < gs.length; d++) {
            if (d < lead || (shape[d - lead] == 1 && gs[d] != 1)) {
                dims[count++] = d;
            }
        }
        Tensor s = count == 0 ? g : g.sum(Arrays.copyOf(dims, count), true);
        return Arrays.equals(s.shapeRef(), shape) ? s : s.reshape(shape);
    }
}
