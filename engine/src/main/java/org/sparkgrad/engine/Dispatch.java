package org.sparkgrad.engine;

import org.sparkgrad.engine.backend.Backend;
import org.sparkgrad.engine.backend.BinaryOp;
import org.sparkgrad.engine.backend.ReduceOp;
import org.sparkgrad.engine.backend.Strided;
import org.sparkgrad.engine.backend.UnaryOp;

/**
 * Raw computation without autograd: allocates outputs, applies broadcasting and type promotion, checks
 * devices, and calls the backend. Differentiable ops are built on these.
 */
final class Dispatch {
    private Dispatch() {
    }

    /** A zero-filled tensor. */
    static Tensor empty(Device device, DType dtype, int[] shape) {
        return allocate(device, dtype, shape, true);
    }

    /**
     * A tensor whose elements are unspecified (possibly a recycled buffer's), for an output the backend writes
     * completely: elementwise results, reductions, softmax, matrix products, gathers and copies.
     */
    static Tensor emptyForOverwrite(Device device, DType dtype, int[] shape) {
        return allocate(device, dtype, shape, false);
    }

    /** A new tensor, made known to the backward pass running on this thread (see {@link GradOwnership}). */
    private static Tensor allocate(Device device, DType dtype, int[] shape, boolean zeroed) {
        Shapes.checkSizes(shape);
        int n = Shapes.numel(shape);
        Backend b = Devices.backend(device);
        Tensor t = Tensor.wrap(zeroed ? b.allocate(dtype, n) : b.allocateForOverwrite(dtype, n), shape.clone());
        GradOwnership.allocated(t, n);
        return t;
    }

    /**
     * Hands a temporary's storage back to its backend for reuse: t must be a result of this class that the
     * calling op made for its own use and never let escape (not returned, saved, hooked or recorded in a graph).
     */
    static void discard(Tensor t) {
        t.backend().recycle(t.storage());
    }

    /**
     * a op= b in place when a is a temporary of the calling op and the result has a's shape and type, else a new
     * result; a's storage must not be visible to anyone else (it is overwritten).
     */
    static Tensor binaryIntoTemporary(BinaryOp op, Tensor a, Tensor b) {
        if (!a.isWrappedNumber() && a.isContiguous() && computeType(op, a, b) == a.dtype() && !op.isComparison()
                && java.util.Arrays.equals(Shapes.broadcast(a.shapeRef(), b.shapeRef()), a.shapeRef())) {
            sameDevice(a, b);
            a.backend().binary(op, a.strided(), as(b, a.dtype()).broadcastView(a.shapeRef()), a.strided());
            return a;
        }
        return binary(op, a, b);
    }

    static void sameDevice(Tensor... ts) {
        Device d = null;
        for (Tensor t : ts) {
            if (t == null || t.isWrappedNumber()) {
                continue;
            }
            if (d == null) {
                d = t.device();
            } else if (!d.equals(t.device())) {
                throw new IllegalArgumentException("Expected all tensors to be on the same device, but found at least two "
                        + "devices, " + d + " and " + t.device() + "!");
            }
        }
    }

    private static int category(DType t) {
        return switch (t) {
            case BOOL -> 0;
            case INT64 -> 1;
            case FLOAT32, FLOAT64 -> 2;
        };
    }

    private static int priority(Tensor t) {
        return t.isWrappedNumber() ? 0 : t.dim() == 0 ? 1 : 2;
    }

    /**
     * PyTorch's result_type: dimensioned tensors outrank 0-d tensors, which outrank Java scalars, except that
     * an operand of a higher category (bool &lt; integral &lt; floating) always lifts the result into its
     * category. A Java scalar (a wrapped number: int64 for a long, float64 for a double) that does so gives
     * that category's default type: bool + 1 is int64, int64 + 1.5 is float32, while int64 + 1 stays int64
     * and float32 + 1 stays float32.
     */
    static DType promote(Tensor a, Tensor b) {
        int ca = category(a.dtype());
        int cb = category(b.dtype());
        if (ca != cb) {
            Tensor hi = ca > cb ? a : b;
            if (hi.isWrappedNumber()) {
                return hi.dtype().isFloatingPoint() ? DType.FLOAT32 : DType.INT64;
            }
            return hi.dtype();
        }
        int pa = priority(a);
        int pb = priority(b);
        if (pa != pb) {
            return (pa > pb ? a : b).dtype();
        }
        return a.dtype().ordinal() >= b.dtype().ordinal() ? a.dtype() : b.dtype();
    }

    /** The floating type an op like exp computes in: integers and bools become float32. */
    static DType floating(DType t) {
        return t.isFloatingPoint() ? t : DType.FLOAT32;
    }

    /** A contiguous copy of t with the given type. */
    static Tensor cast(Tensor t, DType dtype) {
        if (t.isWrappedNumber()) {
            return Tensor.wrappedScalar(t.wrappedValue(), dtype, t.device());
        }
        Tensor out = emptyForOverwrite(t.device(), dtype, t.shapeRef());
        t.backend().copy(t.strided(), out.strided());
        return out;
    }

    static Tensor as(Tensor t, DType dtype) {
        return t.dtype() == dtype ? t : cast(t, dtype);
    }

    static Tensor contiguousCopy(Tensor t) {
        return cast(t, t.dtype());
    }

    static Tensor unary(UnaryOp op, Tensor x) {
        DType t = op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.SIGN || op == UnaryOp.RELU || op == UnaryOp.STEP
                ? x.dtype() : floating(x.dtype());
        Tensor in = as(x, t);
        Tensor out = emptyForOverwrite(x.device(), t, x.shapeRef());
        x.backend().unary(op, in.strided(), out.strided());
        return out;
    }

    /** The type a binary op computes in (comparisons then write a BOOL mask). */
    static DType computeType(BinaryOp op, Tensor a, Tensor b) {
        DType t = promote(a, b);
        return op == BinaryOp.DIV ? floating(t) : t; // true division, as Python's /
    }

    /**
     * PyTorch's canCast for an in-place result: a floating result may not go into an integer or bool tensor,
     * nor an integer result into a bool tensor.
     */
    static void checkCastable(DType result, DType out) {
        if (category(result) > category(out)) {
            throw new IllegalArgumentException("result type " + result.scalarName() + " can't be cast to the desired "
                    + "output type " + out.scalarName());
        }
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        sameDevice(a, b);
        int[] shape = Shapes.broadcast(a.shapeRef(), b.shapeRef());
        DType t = computeType(op, a, b);
        Device device = a.isWrappedNumber() ? b.device() : a.device();
        Tensor out = emptyForOverwrite(device, op.isComparison() ? DType.BOOL : t, shape);
        Devices.backend(device).binary(op, as(a, t).broadcastView(shape), as(b, t).broadcastView(shape), out.strided());
        return out;
    }

    /** A comparison written as 1 or 0 in the operands' promoted floating type (a derivative mask). */
    static Tensor mask(BinaryOp op, Tensor a, Tensor b) {
        sameDevice(a, b);
        int[] shape = Shapes.broadcast(a.shapeRef(), b.shapeRef());
        DType t = floating(promote(a, b));
        Device device = a.isWrappedNumber() ? b.device() : a.device();
        Tensor out = emptyForOverwrite(device, t, shape);
        Devices.backend(device).binary(op, as(a, t).broadcastView(shape), as(b, t).broadcastView(shape), out.strided());
        return out;
    }

    /** dst = op(dst, src) in place, src broadcast to dst's shape and converted to its type. */
    static void binaryInPlace(BinaryOp op, Tensor dst, Tensor src) {
        sameDevice(dst, src);
        int[] shape = Shapes.broadcast(dst.shapeRef(), src.shapeRef());
        if (!java.util.Arrays.equals(shape, dst.shapeRef())) {
            throw new IllegalArgumentException("output with shape " + Shapes.str(dst.shapeRef())
                    + " doesn't match the broadcast shape " + Shapes.str(shape));
        }
        checkCastable(computeType(op, dst, src), dst.dtype());
        dst.backend().binary(op, dst.strided(), as(src, dst.dtype()).broadcastView(shape), dst.strided());
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        sameDevice(cond, a, b);
        if (cond.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("where expected condition to be a boolean tensor, but got a tensor with dtype "
                    + cond.dtype().pyName());
        }
        int[] shape = Shapes.broadcast(Shapes.broadcast(cond.shapeRef(), a.shapeRef()), b.shapeRef());
        DType t = promote(a, b);
        Device device = cond.device();
        Tensor out = empty(device, t, shape);
        Devices.backend(device).where(cond.broadcastView(shape), as(a, t).broadcastView(shape),
                as(b, t).broadcastView(shape), out.strided());
        return out;
    }

    /** Reduces over the flagged dimensions; the result keeps them as size 1 when keepdim. */
    static Tensor reduce(ReduceOp op, Tensor x, boolean[] mask, boolean keepdim) {
        int nd = x.dim();
        int[] kept = new int[nd];
        int outRank = 0;
        for (int d = 0; d < nd; d++) {
            kept[d] = mask[d] ? 1 : x.size(d);
            outRank += mask[d] ? 0 : 1;
            if (mask[d] && x.size(d) == 0 && (op == ReduceOp.MAX || op == ReduceOp.MIN)) {
                throw new IllegalArgumentException(op.name().toLowerCase(java.util.Locale.ROOT) + "(): Expected reduction dim "
                        + d + " to have non-zero size.");
            }
        }
        DType t = op == ReduceOp.SUM || op == ReduceOp.PROD ? (x.dtype() == DType.BOOL ? DType.INT64 : x.dtype()) : x.dtype();
        Tensor out = emptyForOverwrite(x.device(), t, kept);
        x.backend().reduce(op, as(x, t).strided(), mask, out.strided());
        if (keepdim) {
            return out;
        }
        int[] shape = new int[outRank];
        for (int d = 0, k = 0; d < nd; d++) {
            if (!mask[d]) {
                shape[k++] = x.size(d);
            }
        }
        return out.viewRaw(shape);
    }

    /** Values and int64 indices of the max or min along dim. */
    static Tensor[] argReduce(boolean max, Tensor x, int dim, boolean keepdim) {
        if (x.dim() == 0) {
            return new Tensor[] {contiguousCopy(x), Tensor.wrap(Devices.backend(x.device()).allocate(DType.INT64, 1), new int[0])};
        }
        if (x.size(dim) == 0) {
            throw new IllegalArgumentException((max ? "max" : "min") + "(): Expected reduction dim " + dim
                    + " to have non-zero size.");
        }
        int[] kept = x.shapeRef().clone();
        kept[dim] = 1;
        Tensor values = empty(x.device(), x.dtype(), kept);
        Tensor indices = empty(x.device(), DType.INT64, kept);
        x.backend().argReduce(max, x.strided(), dim, values.strided(), indices.strided());
        if (keepdim) {
            return new Tensor[] {values, indices};
        }
        int[] shape = new int[x.dim() - 1];
        for (int d = 0, k = 0; d < x.dim(); d++) {
            if (d != dim) {
                shape[k++] = x.size(d);
            }
        }
        return new Tensor[] {values.viewRaw(shape), indices.viewRaw(shape)};
    }

    /** softmax or log-softmax of x along dim (already wrapped), in x's floating type. */
    static Tensor softmax(boolean log, Tensor x, int dim) {
        Tensor in = as(x, floating(x.dtype()));
        Tensor out = emptyForOverwrite(x.device(), in.dtype(), x.shapeRef());
        x.backend().softmax(log, in.strided(), dim, out.strided());
        return out;
    }

    /** The softmax VJP from the forward output y and its gradient gy (converted to y's type). */
    static Tensor softmaxBackward(boolean log, Tensor y, Tensor gy, int dim) {
        sameDevice(y, gy);
        Tensor gx = emptyForOverwrite(y.device(), y.dtype(), y.shapeRef());
        y.backend().softmaxBackward(log, y.strided(), as(gy, y.dtype()).broadcastView(y.shapeRef()), dim, gx.strided());
        return gx;
    }

    /** [B, M, K] @ [B, K, N] (batch dimensions may be broadcast by stride 0). */
    static Tensor bmm(Tensor a, Tensor b) {
        sameDevice(a, b);
        DType t = promote(a, b);
        if (!t.isFloatingPoint()) {
            throw new IllegalArgumentException("matrix products need floating-point tensors, got " + a.dtype().pyName()
                    + " and " + b.dtype().pyName());
        }
        Tensor out = emptyForOverwrite(a.device(), t, new int[] {a.size(0), a.size(1), b.size(2)});
        a.backend().matmul(as(a, t).strided(), as(b, t).strided(), out.strided());
        return out;
    }

    static Tensor gather(Tensor x, int dim, Tensor index) {
        sameDevice(x, index);
        Tensor out = emptyForOverwrite(x.device(), x.dtype(), index.shapeRef());
        x.backend().gather(x.strided(), dim, index.strided(), out.strided());
        return out;
    }

    /** zeros(shape) with src added at index along dim. */
    static Tensor scatterAddInto(int[] shape, DType dtype, int dim, Tensor index, Tensor src) {
        sameDevice(index, src);
        Tensor out = empty(src.device(), dtype, shape);
        src.backend().scatterAdd(out.strided(), dim, index.strided(), as(src, dtype).strided());
        return out;
    }

    static void checkIndexTensor(Tensor index, String op) {
        if (index.dtype() != DType.INT64) {
            throw new IllegalArgumentException(op + "(): Expected dtype int64 for index, got " + index.dtype().pyName());
        }
    }
}
