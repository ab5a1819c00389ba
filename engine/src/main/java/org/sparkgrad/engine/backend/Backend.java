package org.sparkgrad.engine.backend;

import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Device;

/**
 * The primitives a device must provide. Everything else (autograd, broadcasting rules, composite ops,
 * dtype promotion) is done once in the engine on top of these. Unless a method says otherwise, inputs may
 * be arbitrary strided views (stride 0 for broadcast dimensions), inputs already have the output's
 * element type, and outputs are views of storages this backend allocated.
 *
 * <p>Backends other than the CPU are found with {@link java.util.ServiceLoader} through
 * {@link BackendProvider}.
 */
public interface Backend {
    /** The device this backend computes on. */
    Device device();

    /** A new zero-filled storage. */
    Storage allocate(DType dtype, int length);

    /**
     * A new storage whose elements are unspecified, for an output the caller writes completely before anything
     * reads it; a backend may hand out a recycled buffer without clearing it. By default {@link #allocate}.
     */
    default Storage allocateForOverwrite(DType dtype, int length) {
        return allocate(dtype, length);
    }

    /**
     * Takes back a storage this backend allocated that nothing will read or write again, so that a later
     * allocation may reuse its memory; the caller must have proved that no tensor refers to it any more. By
     * default nothing happens (the garbage collector or the device's own allocator frees it).
     */
    default void recycle(Storage storage) {
    }

    /** Copies host values into a new storage of the given type (values are rounded to the type). */
    Storage fromHost(DType dtype, double[] values);

    /** Copies host floats into a new {@link DType#FLOAT32} storage. */
    Storage fromHost(float[] values);

    /** Reads a view into a new row-major host array. */
    double[] toHostDouble(Strided src);

    /** Reads a view into a new row-major host array, rounding to float. */
    float[] toHostFloat(Strided src);

    /** dst = src elementwise, converting the element type; src is broadcast to dst's shape. */
    void copy(Strided src, Strided dst);

    /** Sets every element of dst to value. */
    void fill(Strided dst, double value);

    /** out = op(x). */
    void unary(UnaryOp op, Strided x, Strided out);

    /** out = op(a, b); a and b have out's shape (broadcast by strides). */
    void binary(BinaryOp op, Strided a, Strided b, Strided out);

    /** y += alpha * x, in place; x has y's shape (broadcast by strides). */
    void axpy(double alpha, Strided x, Strided y);

    /** out = cond ? a : b; all of out's shape, cond of type BOOL. */
    void where(Strided cond, Strided a, Strided b, Strided out);

    /**
     * Reduces x over the dimensions flagged in {@code reduce}; out has x's rank with size 1 on those
     * dimensions, and is contiguous.
     */
    void reduce(ReduceOp op, Strided x, boolean[] reduce, Strided out);

    /**
     * Max or min along one dimension with the index of the first extreme element; values and indices
     * (INT64) have x's rank with size 1 on {@code dim} and are contiguous.
     */
    void argReduce(boolean max, Strided x, int dim, Strided values, Strided indices);

    /**
     * Softmax ({@code log} false) or log-softmax ({@code log} true) of x along {@code dim}. x may be any
     * strided view (stride 0 included); out is contiguous with x's shape and x's element type, which is
     * FLOAT32 or FLOAT64. A 0-dim x is one row of one element ({@code dim} is then ignored). Each row is
     * shifted by its max before exp; a row whose max is not finite (+-inf or NaN) is shifted by 0, so -inf
     * entries get probability 0, a row of only -inf gives NaN, a NaN gives a NaN row, and a +inf entry gives
     * NaN at itself and 0 at finite entries (as the engine's former composed softmax did). Sums accumulate in
     * double; the CPU rounds each step to the element type, other backends may differ in the last bit.
     */
    void softmax(boolean log, Strided x, int dim, Strided out);

    /**
     * The vector-Jacobian product of {@link #softmax} given its output y and the output gradient gy (both
     * of y's shape, any strides): for softmax gx = y * (gy - sum(gy * y)), for log-softmax
     * gx = gy - exp(y) * sum(gy), sums along {@code dim}. gx is contiguous with y's shape; all three have
     * the same element type, FLOAT32 or FLOAT64. Not differentiable itself: the engine composes the VJP
     * from other primitives when a double-backward graph is being recorded.
     */
    void softmaxBackward(boolean log, Strided y, Strided gy, int dim, Strided gx);

    /** out[b] = a[b] @ b[b]: shapes [B, M, K], [B, K, N], contiguous out [B, M, N]. */
    void matmul(Strided a, Strided b, Strided out);

    /** out[i][j][k] = x[index[i][j][k]][j][k] along dim (here dim = 0); index is INT64 of out's shape. */
    void gather(Strided x, int dim, Strided index, Strided out);

    /** out[index[i][j][k]][j][k] += src[i][j][k] along dim; index is INT64 of src's shape. */
    void scatterAdd(Strided out, int dim, Strided index, Strided src);

    /**
     * Waits until the work queued on this device is done, like {@code torch.cuda.synchronize()}: for timing,
     * since a device may run kernels asynchronously. Reads to the host synchronize by themselves. The CPU
     * computes synchronously, so by default this does nothing.
     */
    default void synchronize() {
    }
}
