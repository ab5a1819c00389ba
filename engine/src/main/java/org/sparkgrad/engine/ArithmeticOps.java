package org.sparkgrad.engine;

import org.sparkgrad.engine.backend.BinaryOp;
import org.sparkgrad.engine.backend.UnaryOp;

/** add, sub, mul, div, pow, neg: forward and vector-Jacobian product side by side. */
final class ArithmeticOps {
    private ArithmeticOps() {
    }

    static Tensor add(Tensor a, Tensor b) {
        Tensor out = Dispatch.binary(BinaryOp.ADD, a, b);
        OpNode n = OpNode.record("AddBackward0", a, b);
        return n == null ? out : n.finish(out, g -> new Tensor[] {g[0], g[0]});
    }

    static Tensor sub(Tensor a, Tensor b) {
        checkNoBool(a, b);
        Tensor out = Dispatch.binary(BinaryOp.SUB, a, b);
        OpNode n = OpNode.record("SubBackward0", a, b);
        return n == null ? out : n.finish(out, g -> new Tensor[] {g[0], n.needsInputGrad(1) ? g[0].neg() : null});
    }

    /** a + alpha * b, alpha a wrapped number (PyTorch's {@code add(a, b, alpha=...)}). */
    static Tensor add(Tensor a, Tensor b, Tensor alpha) {
        checkAlpha(a, b, alpha);
        Tensor out = Dispatch.binary(BinaryOp.ADD, a, scaled(b, alpha));
        OpNode n = OpNode.record("AddBackward0", a, b);
        return n == null ? out : n.finish(out, g -> new Tensor[] {g[0], n.needsInputGrad(1) ? times(g[0], alpha) : null});
    }

    /** a - alpha * b. */
    static Tensor sub(Tensor a, Tensor b, Tensor alpha) {
        checkNoBool(a, b);
        checkAlpha(a, b, alpha);
        Tensor out = Dispatch.binary(BinaryOp.SUB, a, scaled(b, alpha));
        OpNode n = OpNode.record("SubBackward0", a, b);
        return n == null ? out : n.finish(out, g -> new Tensor[] {g[0],
            n.needsInputGrad(1) ? times(g[0], alpha).neg() : null});
    }

    /** b - alpha * a, both tensors (PyTorch's {@code rsub(a, b, alpha=...)}, RsubBackward0). */
    static Tensor rsub(Tensor a, Tensor b, Tensor alpha) {
        checkNoBool(a, b);
        checkAlpha(a, b, alpha);
        Tensor out = Dispatch.binary(BinaryOp.SUB, b, scaled(a, alpha));
        OpNode n = OpNode.record("RsubBackward0", a, b);
        return n == null ? out : n.finish(out, g -> new Tensor[] {
            n.needsInputGrad(0) ? times(g[0], alpha).neg() : null, g[0]});
    }

    /** b * alpha without recording, or b itself when alpha is 1. */
    private static Tensor scaled(Tensor b, Tensor alpha) {
        return alpha.wrappedValue() == 1 ? b : Dispatch.binary(BinaryOp.MUL, b, alpha);
    }

    /** g * alpha (differentiable in g), or g itself when alpha is 1. */
    private static Tensor times(Tensor g, Tensor alpha) {
        double v = alpha.wrappedValue();
        return v == 1 ? g : alpha.dtype().isFloatingPoint() ? g.mul(v) : g.mul((long) v);
    }

    private static void checkAlpha(Tensor a, Tensor b, Tensor alpha) {
        if (!Dispatch.promote(a, b).isFloatingPoint() && alpha.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("For integral input tensors, argument alpha must not be a floating point number.");
        }
    }

    /** value - a, value a wrapped number. */
    static Tensor rsub(Tensor a, Tensor value) {
        checkNoBool(a, value);
        Tensor out = Dispatch.binary(BinaryOp.SUB, value, a);
        OpNode n = OpNode.record("RsubBackward1", a);
        return n == null ? out : n.finish(out, g -> new Tensor[] {g[0].neg()});
    }

    /** PyTorch refuses to subtract bool tensors (a mask is inverted with logical_not, not 1 - mask). */
    private static void checkNoBool(Tensor a, Tensor b) {
        boolean ab = a.dtype() == DType.BOOL;
        boolean bb = b.dtype() == DType.BOOL;
        if (ab && bb) {
            throw new IllegalArgumentException("Subtraction, the `-` operator, with two bool tensors is not supported. "
                    + "Use the `^` or `logical_xor()` operator instead.");
        }
        if (ab || bb) {
            throw new IllegalArgumentException("Subtraction, the `-` operator, with a bool tensor is not supported. "
                    + "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
        }
    }

    static Tensor mul(Tensor a, Tensor b) {
        Tensor out = Dispatch.binary(BinaryOp.MUL, a, b);
        OpNode n = OpNode.record("MulBackward0", a, b);
        if (n == null) {
            return out;
        }
        // Each factor is saved only when the other one's gradient needs it.
        SavedTensor sa = n.needsInputGrad(1) ? n.save(a) : null;
        SavedTensor sb = n.needsInputGrad(0) ? n.save(b) : null;
        return n.finish(out, g -> new Tensor[] {
            sb == null ? null : g[0].mul(sb.unpack()),
            sa == null ? null : g[0].mul(sa.unpack())});
    }

    static Tensor div(Tensor a, Tensor b) {
        Tensor out = Dispatch.binary(BinaryOp.DIV, a, b);
        OpNode n = OpNode.record("DivBackward0", a, b);
        if (n == null) {
            return out;
        }
        SavedTensor sa = n.needsInputGrad(1) ? n.save(a) : null;
        SavedTensor sb = n.save(b);
        return n.finish(out, g -> {
            Tensor bv = sb.unpack();
            return new Tensor[] {
                n.needsInputGrad(0) ? g[0].div(bv) : null,
                sa == null ? null : g[0].neg().mul(sa.unpack()).div(bv.mul(bv))};
        });
    }

    /**
     * a / b rounded toward zero ("trunc") or down ("floor"), as {@code torch.div(a, b, rounding_mode=...)}: integer
     * operands give an integer result. The result is piecewise constant, so both gradients are zero (DivBackward2).
     */
    static Tensor div(Tensor a, Tensor b, String roundingMode) {
        if (roundingMode == null) {
            return div(a, b);
        }
        boolean floor = switch (roundingMode) {
            case "floor" -> true;
            case "trunc" -> false;
            default -> throw new IllegalArgumentException("div expected rounding_mode to be one of None, 'trunc', or "
                    + "'floor' but found '" + roundingMode + "'");
        };
        DType t = Dispatch.promote(a, b);
        if (!t.isFloatingPoint() && java.util.Arrays.stream(b.toArray()).anyMatch(v -> v == 0)) {
            throw new ArithmeticException("ZeroDivisionError: integer division by zero in div(rounding_mode='"
                    + roundingMode + "')");
        }
        // Integers divide in float64 (exact below 2^53), then round and convert back.
        Tensor q = t.isFloatingPoint() ? Dispatch.binary(BinaryOp.DIV, a, b)
                : Dispatch.binary(BinaryOp.DIV, Dispatch.as(a, DType.FLOAT64), Dispatch.as(b, DType.FLOAT64));
        Tensor out = floor ? MathOps.floor(q) : MathOps.trunc(q);
        out = Dispatch.as(out, t);
        OpNode n = OpNode.record("DivBackward2", a, b);
        return n == null ? out : n.finish(out, g -> new Tensor[] {
            n.needsInputGrad(0) ? Tensor.zerosLike(g[0]) : null, n.needsInputGrad(1) ? Tensor.zerosLike(g[0]) : null});
    }

    /**
     * a / value inside a composite op, recorded as PyTorch's C++ {@code tensor / number} (div.Scalar,
     * DivBackward1; from Java, {@code div(double)} is Python's {@code t / 2.0}, DivBackward0).
     */
    static Tensor divScalar(Tensor a, double value) {
        Tensor out = Dispatch.binary(BinaryOp.DIV, a, a.scalarLike(value));
        OpNode n = OpNode.record("DivBackward1", a);
        return n == null ? out : n.finish(out, g -> new Tensor[] {g[0].div(value)});
    }

    /** value / a, value a wrapped number: a.reciprocal() * value, recorded as PyTorch does (MulBackward0). */
    static Tensor rdiv(Tensor a, Tensor value) {
        return mul(powScalar(a, a.scalarLike(-1.0)), value);
    }

    /** a ** exponent, exponent a wrapped number (a Java double or long). */
    static Tensor powScalar(Tensor a, Tensor exponent) {
        double p = exponent.wrappedValue();
        DType t = Dispatch.promote(a, exponent);
        if (!t.isFloatingPoint() && p < 0) {
            throw new IllegalArgumentException("Integers to negative integer powers are not allowed.");
        }
        // x*x is exact and far cheaper than pow; PyTorch special-cases the square the same way.
        Tensor out = p == 2 ? Dispatch.binary(BinaryOp.MUL, Dispatch.as(a, t), Dispatch.as(a, t))
                : Dispatch.binary(BinaryOp.POW, a, exponent);
        OpNode n = OpNode.record("PowBackward0", a);
        if (n == null) {
            return out;
        }
        SavedTensor sa = n.save(a);
        return n.finish(out, g -> {
            if (p == 0) {
                return new Tensor[] {Tensor.zerosLike(g[0])};
            }
            Tensor x = sa.unpack();
            Tensor dx = p == 2 ? x.mul(2.0) : p == 1 ? null : x.pow(p - 1).mul(p);
            return new Tensor[] {dx == null ? g[0] : g[0].mul(dx)};
        });
    }

    static Tensor pow(Tensor a, Tensor b) {
        Tensor out = Dispatch.binary(BinaryOp.POW, a, b);
        OpNode n = OpNode.record("PowBackward1", a, b);
        if (n == null) {
            return out;
        }
        SavedTensor sa = n.save(a);
        SavedTensor sb = n.save(b);
        SavedTensor so = n.needsInputGrad(1) ? n.saveOutput(out) : null;
        return n.finish(out, g -> {
            Tensor x = sa.unpack();
            Tensor e = sb.unpack();
            Tensor ga = null;
            Tensor gb = null;
            if (n.needsInputGrad(0)) {
                // d/dx x^e = e x^(e-1); PyTorch masks it to 0 where e == 0.
                Tensor d = e.mul(x.pow(e.sub(1.0)));
                ga = g[0].mul(Tensor.where(e.eq(0.0), Tensor.zerosLike(d), d));
            }
            if (so != null) {
                // d/de x^e = x^e log x; 0 where x == 0 and e >= 0, as PyTorch.
                Tensor d = so.unpack().mul(x.log());
                gb = g[0].mul(Tensor.where(x.eq(0.0).mul(e.ge(0.0)).gt(0.0), Tensor.zerosLike(d), d));
            }
            return new Tensor[] {ga, gb};
        });
    }

    /** base ** e, base a wrapped number (PyTorch's {@code pow(2, t)}, PowBackward2). */
    static Tensor rpow(Tensor base, Tensor e) {
        Tensor out = Dispatch.binary(BinaryOp.POW, base, e);
        OpNode n = OpNode.record("PowBackward2", e);
        if (n == null) {
            return out;
        }
        double b = base.wrappedValue();
        SavedTensor so = n.saveOutput(out);
        SavedTensor se = b == 0 ? n.save(e) : null;
        return n.finish(out, g -> {
            // d/de b^e = b^e log b; at b == 0, 0 where e >= 0, as PyTorch.
            Tensor d = so.unpack().mul(Math.log(b));
            return new Tensor[] {g[0].mul(se == null ? d : Tensor.where(se.unpack().ge(0.0), 0.0, d))};
        });
    }

    static Tensor neg(Tensor a) {
        if (a.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                    + "trying to invert a mask, use the `~` or `logical_not()` operator instead.");
        }
        Tensor out = Dispatch.unary(UnaryOp.NEG, a);
        OpNode n = OpNode.record("NegBackward0", a);
        return n == null ? out : n.finish(out, g -> new Tensor[] {g[0].neg()});
    }
}
