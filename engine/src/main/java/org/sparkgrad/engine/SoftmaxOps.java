package org.sparkgrad.engine;

import org.sparkgrad.engine.backend.BinaryOp;
import org.sparkgrad.engine.backend.ReduceOp;
import org.sparkgrad.engine.backend.UnaryOp;

/** softmax and log_softmax along one dimension, computed stably: forward and VJP side by side. */
final class SoftmaxOps {
    private SoftmaxOps() {
    }

    private static boolean[] one(Tensor x, int d) {
        boolean[] m = new boolean[x.dim()];
        if (x.dim() > 0) {
            m[d] = true;
        }
        return m;
    }

    /** x - max(x, dim) in x's floating type: the shift that keeps exp from overflowing. */
    private static Tensor shifted(Tensor x, boolean[] m) {
        Tensor xf = Kernels.as(x, Kernels.floating(x.dtype()));
        Tensor max = Kernels.reduce(ReduceOp.MAX, xf, m, true);
        // Rows whose max is infinite would give NaN; shift them by 0 as PyTorch does.
        Tensor safe = Kernels.where(Kernels.unary(UnaryOp.NONFINITE, max).ne(0.0), Tensor.zerosLike(max), max);
        return Kernels.binary(BinaryOp.SUB, xf, safe);
    }

    static Tensor softmax(Tensor x, int dim) {
        int d = Shapes.wrapDim(dim, x.dim());
        boolean[] m = one(x, d);
        Tensor e = Kernels.unary(UnaryOp.EXP, shifted(x, m));
        Tensor out = Kernels.binary(BinaryOp.DIV, e, Kernels.reduce(ReduceOp.SUM, e, m, true));
        OpNode n = OpNode.record("SoftmaxBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor y = n.saveOutput(out);
        return n.finish(out, g -> {
            Tensor s = y.unpack();
            Tensor gy = g[0].mul(s);
            Tensor sum = x.dim() == 0 ? gy : gy.sum(d, true);
            return new Tensor[] {gy.sub(s.mul(sum))};
        });
    }

    static Tensor logSoftmax(Tensor x, int dim) {
        int d = Shapes.wrapDim(dim, x.dim());
        boolean[] m = one(x, d);
        Tensor z = shifted(x, m);
        Tensor lse = Kernels.unary(UnaryOp.LOG, Kernels.reduce(ReduceOp.SUM, Kernels.unary(UnaryOp.EXP, z), m, true));
        Tensor out = Kernels.binary(BinaryOp.SUB, z, lse);
        OpNode n = OpNode.record("LogSoftmaxBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor y = n.saveOutput(out);
        return n.finish(out, g -> {
            Tensor sum = x.dim() == 0 ? g[0] : g[0].sum(d, true);
            return new Tensor[] {g[0].sub(y.unpack().exp().mul(sum))};
        });
    }
}
