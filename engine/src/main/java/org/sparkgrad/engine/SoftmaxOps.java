package org.sparkgrad.engine;

/**
 * softmax and log_softmax along one dimension: forward and VJP side by side. Both directions are fused
 * backend primitives; while a double-backward graph is being recorded (create_graph) the VJP is composed
 * from differentiable ops instead, so it can itself be differentiated.
 */
final class SoftmaxOps {
    private SoftmaxOps() {
    }

    static Tensor softmax(Tensor x, int dim) {
        int d = Shapes.wrapDim(dim, x.dim());
        Tensor out = Dispatch.softmax(false, x, d);
        OpNode n = OpNode.record("SoftmaxBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor y = n.saveOutput(out);
        return n.finish(out, g -> {
            Tensor s = y.unpack();
            if (!GradMode.isEnabled()) {
                return new Tensor[] {Dispatch.softmaxBackward(false, s, g[0], d)};
            }
            // gx = y * (g - sum(g * y)), written as g*y - y*sum so the values equal the fused kernel's.
            Tensor gy = g[0].mul(s);
            Tensor sum = x.dim() == 0 ? gy : gy.sum(d, true);
            return new Tensor[] {gy.sub(s.mul(sum))};
        });
    }

    static Tensor logSoftmax(Tensor x, int dim) {
        int d = Shapes.wrapDim(dim, x.dim());
        Tensor out = Dispatch.softmax(true, x, d);
        OpNode n = OpNode.record("LogSoftmaxBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor y = n.saveOutput(out);
        return n.finish(out, g -> {
            if (!GradMode.isEnabled()) {
                return new Tensor[] {Dispatch.softmaxBackward(true, y.unpack(), g[0], d)};
            }
            // gx = g - exp(y) * sum(g)
            Tensor sum = x.dim() == 0 ? g[0] : g[0].sum(d, true);
            return new Tensor[] {g[0].sub(y.unpack().exp().mul(sum))};
        });
    }
}
