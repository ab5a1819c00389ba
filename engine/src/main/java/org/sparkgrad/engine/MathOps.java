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
        return n.finish(out, g -> {
            Tensor xv = sx.unpack();
            if (!GradMode.isEnabled()) {
                return new Tensor[] {Dispatch.binary(BinaryOp.ABS_BACKWARD, g[0], xv)};
            }
            return new Tensor[] {g[0].mul(sgn(xv))};
        });
    }

    /**
     * x rounded toward zero, from the backends' conversion to int64 (which truncates); values beyond 2^52 (2^23 in
     * float32), infinities and NaN are already whole and are kept as they are. A constant for autograd.
     */
    static Tensor trunc(Tensor x) {
        if (!x.dtype().isFloatingPoint()) {
            return x;
        }
        Tensor whole = Dispatch.cast(Dispatch.cast(x, DType.INT64), x.dtype());
        double big = x.dtype() == DType.FLOAT32 ? 0x1p23 : 0x1p52;
        Tensor small = Dispatch.binary(BinaryOp.LT, Dispatch.unary(UnaryOp.ABS, x), Tensor.wrappedScalar(big, x.dtype(), x.device()));
        return Dispatch.where(small, whole, x);
    }

    /** x rounded down (a constant for autograd). */
    static Tensor floor(Tensor x) {
        Tensor t = trunc(x);
        if (!x.dtype().isFloatingPoint()) {
            return t;
        }
        return Dispatch.binary(BinaryOp.SUB, t, Dispatch.cast(Dispatch.binary(BinaryOp.GT, t, x), x.dtype()));
    }

    /** sign(x) as PyTorch has it: -1, 0 or 1, and 0 at NaN (a constant for autograd). */
    static Tensor sgn(Tensor x) {
        Tensor zero = Tensor.wrappedScalar(0, x.dtype(), x.device());
        Tensor lt = Dispatch.mask(BinaryOp.LT, x, zero);
        Tensor s = Dispatch.binaryIntoTemporary(BinaryOp.SUB, Dispatch.mask(BinaryOp.GT, x, zero), lt);
        Dispatch.discard(lt);
        return s;
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
        Tensor out = clampValues(x, min, max);
        OpNode n = OpNode.record(name, x);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        return n.finish(out, g -> {
            Tensor m = passMask(sx.unpack(), min, max);
            if (!GradMode.isEnabled()) {
                Tensor gx = Dispatch.binary(BinaryOp.MUL, g[0], m);
                Dispatch.discard(m);
                return new Tensor[] {gx};
            }
            return new Tensor[] {g[0].mul(m)};
        });
    }

    /**
     * Clamps into [min, max] with tensor bounds (either may be null), broadcasting all three, differentiable in
     * x and in the bounds as PyTorch's clamp.Tensor: x's gradient passes where min &lt;= x &lt;= max; min's where
     * x &lt; min (and min &lt; max when both are given), max's where x &gt; max or max &lt; min.
     */
    static Tensor clampTensor(Tensor x, Tensor min, Tensor max, String name) {
        Tensor out = clampValues(x, min, max);
        OpNode n = OpNode.record(name, x, min, max);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        SavedTensor smin = min == null ? null : n.save(min);
        SavedTensor smax = max == null ? null : n.save(max);
        return n.finish(out, g -> {
            Tensor xv = sx.unpack();
            Tensor lo = smin == null ? null : smin.unpack();
            Tensor hi = smax == null ? null : smax.unpack();
            Tensor gx = n.needsInputGrad(0) ? g[0].mul(passMask(xv, lo, hi)) : null;
            Tensor gmin = null;
            Tensor gmax = null;
            if (lo != null && n.needsInputGrad(1)) {
                Tensor m = Dispatch.mask(BinaryOp.LT, xv, lo);
                gmin = g[0].mul(hi == null ? m : Dispatch.binary(BinaryOp.MUL, m, Dispatch.mask(BinaryOp.LT, lo, hi)));
            }
            if (hi != null && n.needsInputGrad(2)) {
                Tensor m = Dispatch.mask(BinaryOp.GT, xv, hi);
                if (lo != null) {
                    // either condition: m + (max < min) - m * (max < min)
                    Tensor crossed = Dispatch.mask(BinaryOp.LT, hi, lo);
                    m = Dispatch.binary(BinaryOp.MAXIMUM, m, crossed);
                }
                gmax = g[0].mul(m);
            }
            return new Tensor[] {gx, gmin, gmax};
        });
    }

    /**
     * The elementwise maximum (or minimum) of two tensors, NaN if either is (MaximumBackward0 / MinimumBackward0).
     * The gradient goes to the larger (smaller) one and is halved between equal ones, as in PyTorch.
     */
    static Tensor maximum(Tensor a, Tensor b, boolean max) {
        Tensor out = Dispatch.binary(max ? BinaryOp.MAXIMUM : BinaryOp.MINIMUM, a, b);
        OpNode n = OpNode.record(max ? "MaximumBackward0" : "MinimumBackward0", a, b);
        if (n == null) {
            return out;
        }
        SavedTensor sa = n.save(a);
        SavedTensor sb = n.save(b);
        BinaryOp loses = max ? BinaryOp.LT : BinaryOp.GT;
        return n.finish(out, g -> {
            Tensor av = sa.unpack();
            Tensor bv = sb.unpack();
            return new Tensor[] {
                n.needsInputGrad(0) ? g[0].mul(share(av, bv, loses)) : null,
                n.needsInputGrad(1) ? g[0].mul(share(bv, av, loses)) : null};
        });
    }

    /** a's share of maximum's gradient: 1 - (a == b) / 2 - (a loses to b); 1 where either is NaN. */
    private static Tensor share(Tensor a, Tensor b, BinaryOp loses) {
        Tensor eq = Dispatch.mask(BinaryOp.EQ, a, b);
        Tensor one = Tensor.wrappedScalar(1, eq.dtype(), eq.device());
        Tensor half = Tensor.wrappedScalar(0.5, eq.dtype(), eq.device());
        return Dispatch.binary(BinaryOp.SUB, Dispatch.binary(BinaryOp.SUB, one, Dispatch.binary(BinaryOp.MUL, eq, half)),
                Dispatch.mask(loses, a, b));
    }

    /** min(max(x, min), max) without recording; null bounds are open. */
    private static Tensor clampValues(Tensor x, Tensor min, Tensor max) {
        if (min == null && max == null) {
            throw new IllegalArgumentException("torch.clamp: At least one of 'min' or 'max' must not be None");
        }
        Tensor out = x;
        if (min != null) {
            out = Dispatch.binary(BinaryOp.MAXIMUM, out, min);
        }
        if (max != null) {
            // the second bound in place into the first's result (x itself is never written)
            out = out == x ? Dispatch.binary(BinaryOp.MINIMUM, out, max) : Dispatch.binaryIntoTemporary(BinaryOp.MINIMUM, out, max);
        }
        return out;
    }

    /** 1 where min &lt;= x &lt;= max, else 0, in x's type (a constant for autograd). */
    static Tensor passMask(Tensor x, Tensor min, Tensor max) {
        Tensor m = null;
        if (min != null) {
            m = Dispatch.mask(BinaryOp.GE, x, min);
        }
        if (max != null) {
            Tensor le = Dispatch.mask(BinaryOp.LE, x, max);
            if (m == null) {
                m = le;
            } else {
                m = Dispatch.binaryIntoTemporary(BinaryOp.MUL, m, le);
                Dispatch.discard(le);
            }
        }
        return m;
    }
}
