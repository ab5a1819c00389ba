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

    static Tensor neg(Tensor a) {
        Tensor out = Dispatch.unary(UnaryOp.NEG, a);
        OpNode n = OpNode.record("NegBackward0", a);
        return n == null ? out : n.finish(out, g -> new Tensor[] {g[0].neg()});
    }
}
