package org.sparkgrad.engine;

import org.sparkgrad.engine.backend.BinaryOp;
import org.sparkgrad.engine.backend.UnaryOp;

/** Elementwise functions of one tensor: forward and vector-Jacobian product side by side. */
final class MathOps {
    private MathOps() {
    }

    static Tensor exp(Tensor x) {
        Tensor out = Dispatch.unary(UnaryOp.EXP, x);
        OpNode n = OpNode.record("ExpBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor y = n.saveOutput(out);
        return n.finish(out, g -> new Tensor[] {g[0].mul(y.unpack())});
    }

    static Tensor log(Tensor x) {
        Tensor out = Dispatch.unary(UnaryOp.LOG, x);
        OpNode n = OpNode.record("LogBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        return n.finish(out, g -> new Tensor[] {g[0].div(sx.unpack())});
    }

    static Tensor sqrt(Tensor x) {
        Tensor out = Dispatch.unary(UnaryOp.SQRT, x);
        OpNode n = OpNode.record("SqrtBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor y = n.saveOutput(out);
        return n.finish(out, g -> new Tensor[] {g[0].div(y.unpack().mul(2.0))});
    }

    static Tensor abs(Tensor x) {
        Tensor out = Dispatch.unary(UnaryOp.ABS, x);
        OpNode n = OpNode.record("AbsBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        return n.finish(out, g -> new Tensor[] {g[0].mul(Dispatch.unary(UnaryOp.SIGN, sx.unpack()))});
    }

    static Tensor sin(Tensor x) {
        Tensor out = Dispatch.unary(UnaryOp.SIN, x);
        OpNode n = OpNode.record("SinBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        return n.finish(out, g -> new Tensor[] {g[0].mul(sx.unpack().cos())});
    }

    static Tensor cos(Tensor x) {
        Tensor out = Dispatch.unary(UnaryOp.COS, x);
        OpNode n = OpNode.record("CosBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        return n.finish(out, g -> new Tensor[] {g[0].mul(sx.unpack().sin().neg())});
    }

    static Tensor tanh(Tensor x) {
        Tensor out = Dispatch.unary(UnaryOp.TANH, x);
        OpNode n = OpNode.record("TanhBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor y = n.saveOutput(out);
        return n.finish(out, g -> {
            Tensor t = y.unpack();
            if (!GradMode.isEnabled()) {
                return new Tensor[] {Dispatch.binary(BinaryOp.TANH_BACKWARD, g[0], t)};
            }
            return new Tensor[] {g[0].mul(t.mul(t).rsub(1.0))};
        });
    }

    static Tensor sigmoid(Tensor x) {
        Tensor out = Dispatch.unary(UnaryOp.SIGMOID, x);
        OpNode n = OpNode.record("SigmoidBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor y = n.saveOutput(out);
        return n.finish(out, g -> {
            Tensor s = y.unpack();
            if (!GradMode.isEnabled()) {
                return new Tensor[] {Dispatch.binary(BinaryOp.SIGMOID_BACKWARD, g[0], s)};
            }
            return new Tensor[] {g[0].mul(s.rsub(1.0)).mul(s)};
        });
    }

    static Tensor relu(Tensor x) {
        Tensor out = Dispatch.unary(UnaryOp.RELU, x);
        OpNode n = OpNode.record("ReluBackward0", x);
        if (n == null) {
            return out;
        }
        SavedTensor y = n.saveOutput(out);
        // Zero only where y <= 0, so a NaN result passes the gradient (PyTorch's threshold_backward). With
        // create_graph the mask is a constant factor: relu's second derivative is 0 almost everywhere.
        return n.finish(out, g -> {
            Tensor t = y.unpack();
            if (!GradMode.isEnabled()) {
                return new Tensor[] {Dispatch.binary(BinaryOp.RELU_BACKWARD, g[0], t)};
            }
            return new Tensor[] {g[0].mul(Dispatch.binary(BinaryOp.RELU_BACKWARD, Tensor.onesLike(t), t))};
        });
    }

    /**
     * Clamps into [min, max], bounds being wrapped numbers (null bounds are open); the gradient passes where
     * min &lt;= x &lt;= max. The bounds take part in type promotion: an integer x with floating bounds gives float32.
     */
    static Tensor clamp(Tensor x, Tensor min, Tensor max) {
        return clamp(x, min, max, "ClampBackward1");
    }

    /** clamp recorded under a given node name: clamp_min / clamp_max have their own in PyTorch. */
    static Tensor clamp(Tensor x, Tensor min, Tensor max, String name) {
        if (min == null && max == null) {
            throw new IllegalArgumentException("torch.clamp: At least one of 'min' or 'max' must not be None");
        }
        Tensor out = x;
        if (min != null) {
            out = Dispatch.binary(BinaryOp.MAXIMUM, out, min);
        }
        if (max != null) {
            out = Dispatch.binary(BinaryOp.MINIMUM, out, max);
        }
        OpNode n = OpNode.record(name, x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        return n.finish(out, g -> new Tensor[] {g[0].mul(passMask(sx.unpack(), min, max))});
    }

    /** 1 where min &lt;= x &lt;= max, else 0, in x's type (a constant for autograd). */
    static Tensor passMask(Tensor x, Tensor min, Tensor max) {
        Tensor m = null;
        if (min != null) {
            m = Dispatch.mask(BinaryOp.GE, x, min);
        }
        if (max != null) {
            Tensor le = Dispatch.mask(BinaryOp.LE, x, max);
            m = m == null ? le : Dispatch.binary(BinaryOp.MUL, m, le);
        }
        return m;
    }
}
