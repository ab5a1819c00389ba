package org.sparkgrad.engine;

import java.util.Arrays;
import org.sparkgrad.engine.backend.BinaryOp;
import org.sparkgrad.engine.backend.ReduceOp;

/** sum, mean, prod, max, min, norm: forward and vector-Jacobian product side by side. */
final class ReductionOps {
    private ReductionOps() {
    }

    /** The reduced-dimension mask; null dims means all dimensions. */
    private static boolean[] mask(Tensor x, int[] dims) {
        if (dims == null || (dims.length == 0)) {
            boolean[] all = new boolean[x.dim()];
            java.util.Arrays.fill(all, true);
            return all;
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
                    + "floating point or complex dtype. Got: " + x.dtype().pyName());
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
        boolean[] m = mask(x, null);
        Tensor out = Dispatch.reduce(max ? ReduceOp.MAX : ReduceOp.MIN, x, m, false);
        OpNode n = OpNode.record(max ? "MaxBackward1" : "MinBackward1", x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        SavedTensor so = n.saveOutput(out);
        return n.finish(out, g -> {
            Tensor hit = Dispatch.cast(sx.unpack().eq(so.unpack()), x.dtype());
            Tensor share = hit.div(hit.sum());
            return new Tensor[] {share.mul(g[0])};
        });
    }

    /** Max or min along dim with indices; the gradient goes to the index that was chosen. */
    static Tensor.ValuesIndices extreme(Tensor x, int dim, boolean keepdim, boolean max) {
        int d = Shapes.wrapDim(dim, x.dim());
        Tensor[] vi = Dispatch.argReduce(max, x, d, keepdim);
        OpNode n = OpNode.record(max ? "MaxBackward0" : "MinBackward0", x);
        if (n == null || x.dim() == 0) {
            return new Tensor.ValuesIndices(n == null ? vi[0] : x.clone(), vi[1]);
        }
        int[] shape = x.shapeRef();
        Tensor idx = keepdim ? vi[1] : vi[1].unsqueeze(d);
        Tensor values = n.finish(vi[0], g -> new Tensor[] {
            IndexingOps.scatterAddInto(shape, d, idx, keepdim ? g[0] : g[0].unsqueeze(d))});
        return new Tensor.ValuesIndices(values, vi[1]);
    }

    /** The p-norm (sum |x|^p)^(1/p) over dims (all when null). */
    static Tensor norm(Tensor x, double p, int[] dims, boolean keepdim) {
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
            } else if (Double.isInfinite(p)) {
                out = Dispatch.reduce(p > 0 ? ReduceOp.MAX : ReduceOp.MIN, a, m, keepdim);
            } else {
                out = Dispatch.reduce(ReduceOp.SUM, a.pow(p), m, keepdim).pow(1 / p);
            }
        }
        OpNode n = OpNode.record("NormBackward1", x);
        if (n == null) {
            return out;
        }
        if (Double.isInfinite(p) || p == 0) {
            throw new UnsupportedOperationException("the gradient of norm(p=" + p + ") is not implemented; use p >= 1");
        }
        SavedTensor sx = n.save(x);
        SavedTensor so = n.saveOutput(out);
        int[] shape = x.shapeRef();
        return n.finish(out, g -> {
            Tensor xv = sx.unpack();
            Tensor nv = unsqueezeReduced(so.unpack(), m, keepdim, shape);
            Tensor gg = unsqueezeReduced(g[0], m, keepdim, shape);
            Tensor d;
            if (p == 1) {
                d = Dispatch.unary(org.sparkgrad.engine.backend.UnaryOp.SIGN, xv);
            } else if (p == 2) {
                d = xv.div(nv);
            } else {
                d = xv.mul(xv.abs().pow(p - 2)).div(nv.pow(p - 1));
            }
            // A zero norm has a zero subgradient, as in PyTorch.
            d = Tensor.where(nv.eq(0.0), Tensor.zerosLike(d), d);
            return new Tensor[] {gg.mul(d)};
        });
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
