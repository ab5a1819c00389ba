package org.sparkgrad.gpu;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.backend.Backend;
import org.sparkgrad.engine.backend.BinaryOp;
import org.sparkgrad.engine.backend.ReduceOp;
import org.sparkgrad.engine.backend.Storage;
import org.sparkgrad.engine.backend.Strided;
import org.sparkgrad.engine.backend.UnaryOp;

/**
 * The {@link Backend} of one CUDA device: storages from a {@link CachingAllocator}, elementwise and reduction
 * kernels compiled with NVRTC ({@link KernelCache}), matmul through cuBLAS ({@link RowMajorGemm}). Host and
 * device exchange data only in {@code fromHost} and {@code toHost*}. Created by {@link CudaBackendProvider}
 * after a successful {@link CudaProbe}.
 */
public final class CudaBackend implements Backend {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final int BLOCK = 256;
    private static final int MAX_GRID = 65535;

    private final CudaContext context;
    private final Device device;
    private final CachingAllocator<CUdeviceptr> allocator;
    private final KernelCache kernels;

    CudaBackend(CudaContext context) {
        this.context = context;
        this.device = Device.cuda(context.index());
        this.allocator = new CachingAllocator<>(device.toString(), new CudaDeviceMemory(context));
        // Compiled and loaded now, so a device whose kernels fail (no libnvrtc-builtins, an arch NVRTC does not
        // know, a driver that rejects the image) makes CudaBackendProvider fall back to the CPU, not a job fail.
        this.kernels = KernelCache.load(context);
    }

    CudaContext context() {
        return context;
    }

    /** The device memory held by tensors and by the cache. */
    public String memorySummary() {
        return device + ": " + allocator.usedBytes() + " bytes in use, " + allocator.cachedBytes() + " bytes cached";
    }

    /** Frees the allocator's cached blocks to the driver. */
    public void emptyCache() {
        allocator.emptyCache();
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public void synchronize() {
        context.makeCurrent();
        JCudaDriver.cuCtxSynchronize();
    }

    // ---------------------------------------------------------------- storage and transfers

    @Override
    public Storage allocate(DType dtype, int length) {
        CudaStorage s = newStorage(dtype, length); // stays reachable: returned below
        JCudaDriver.cuMemsetD8(s.pointer, (byte) 0, (long) length * dtype.itemSize());
        return s;
    }

    private CudaStorage newStorage(DType dtype, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("Expected a length >= 0, got " + length);
        }
        context.makeCurrent();
        CachingAllocator.Block<CUdeviceptr> block = allocator.allocate((long) length * dtype.itemSize());
        CudaStorage s = new CudaStorage(this, dtype, length, block.pointer());
        CachingAllocator<CUdeviceptr> a = allocator;
        CLEANER.register(s, () -> a.release(block));
        return s;
    }

    @Override
    public Storage fromHost(DType dtype, double[] values) {
        CudaStorage s = newStorage(dtype, values.length);
        if (values.length > 0) {
            JCudaDriver.cuMemcpyHtoD(s.pointer, HostArrays.pack(dtype, values), (long) values.length * dtype.itemSize());
        }
        return s;
    }

    @Override
    public Storage fromHost(float[] values) {
        CudaStorage s = newStorage(DType.FLOAT32, values.length);
        if (values.length > 0) {
            JCudaDriver.cuMemcpyHtoD(s.pointer, Pointer.to(values), (long) values.length * 4);
        }
        return s;
    }

    @Override
    public double[] toHostDouble(Strided src) {
        Strided c = contiguous(src);
        int n = c.numel();
        DType t = c.storage().dtype();
        HostArrays.Buffer buf = HostArrays.buffer(t, n);
        if (n > 0) {
            CudaStorage s = ptr(c);
            JCudaDriver.cuMemcpyDtoH(buf.pointer(), s.at(c.offset()), (long) n * t.itemSize());
            Reference.reachabilityFence(s); // a dense copy's block must not be reused before the copy ran
        }
        return buf.toDoubles();
    }

    @Override
    public float[] toHostFloat(Strided src) {
        if (src.storage().dtype() == DType.FLOAT32) {
            Strided c = contiguous(src);
            float[] out = new float[c.numel()];
            if (out.length > 0) {
                CudaStorage s = ptr(c);
                JCudaDriver.cuMemcpyDtoH(Pointer.to(out), s.at(c.offset()), (long) out.length * 4);
                Reference.reachabilityFence(s);
            }
            return out;
        }
        double[] d = toHostDouble(src);
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (float) d[i];
        }
        return out;
    }

    /** The view itself when dense, else a dense copy of it on this device. */
    Strided contiguous(Strided x) {
        context.makeCurrent();
        if (x.isContiguous()) {
            return x;
        }
        Strided dense = Strided.contiguous(newStorage(x.storage().dtype(), x.numel()), x.shape());
        copy(x, dense);
        return dense;
    }

    /** A dense copy of x converted to type t (x itself when it already is dense of type t). */
    private Strided as(DType t, Strided x) {
        if (x.storage().dtype() == t) {
            return x;
        }
        Strided dense = Strided.contiguous(newStorage(t, x.numel()), x.shape());
        copy(x, dense);
        return dense;
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void copy(Strided src, Strided dst) {
        launch(KernelNames.copy(src.storage().dtype(), dst.storage().dtype()), dst.numel(),
                Geometry.of(dst.shape(), src, dst), ptr(src), ptr(dst));
    }

    @Override
    public void fill(Strided dst, double value) {
        DType t = dst.storage().dtype();
        HostValue v = new HostValue(switch (t) {
            case FLOAT32 -> Pointer.to(new float[] {(float) value});
            case FLOAT64 -> Pointer.to(new double[] {value});
            case INT64 -> Pointer.to(new long[] {(long) value});
            case BOOL -> Pointer.to(new byte[] {(byte) (value != 0 ? 1 : 0)});
        });
        launch(KernelNames.fill(t), dst.numel(), Geometry.of(dst.shape(), dst), v, ptr(dst));
    }

    @Override
    public void unary(UnaryOp op, Strided x, Strided out) {
        DType t = out.storage().dtype();
        if (!t.isFloatingPoint() || x.storage().dtype() != t) {
            Strided tmp = Strided.contiguous(newStorage(DType.FLOAT64, out.numel()), out.shape());
            unary(op, as(DType.FLOAT64, x), tmp);
            copy(tmp, out);
            return;
        }
        launch(KernelNames.unary(t), out.numel(), op.ordinal(), Geometry.of(out.shape(), x, out), ptr(x), ptr(out));
    }

    @Override
    public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
        DType ta = a.storage().dtype();
        DType t = out.storage().dtype();
        if (t.isFloatingPoint() && ta == t && b.storage().dtype() == t) {
            launch(KernelNames.binary(t), out.numel(), op.ordinal(), Geometry.of(out.shape(), a, b, out), ptr(a), ptr(b),
                    ptr(out));
            return;
        }
        // Masks (BOOL out), integer operands or mixed types: compute in the operands' floating type (float64
        // for integers) and convert into out.
        DType ct = ta.isFloatingPoint() && b.storage().dtype() == ta ? ta : DType.FLOAT64;
        Strided tmp = Strided.contiguous(newStorage(ct, out.numel()), out.shape());
        binary(op, as(ct, a), as(ct, b), tmp);
        copy(tmp, out);
    }

    @Override
    public void axpy(double alpha, Strided x, Strided y) {
        DType t = y.storage().dtype();
        if (!t.isFloatingPoint()) {
            // INT64 / BOOL y: add in float64 and convert back (truncating / != 0), as the CPU's set() does.
            Strided tmp = Strided.contiguous(newStorage(DType.FLOAT64, y.numel()), y.shape());
            copy(y, tmp);
            axpy(alpha, as(DType.FLOAT64, x), tmp);
            copy(tmp, y);
            return;
        }
        HostValue a = new HostValue(t == DType.FLOAT32 ? Pointer.to(new float[] {(float) alpha}) : Pointer.to(new double[] {alpha}));
        Strided xt = as(t, x);
        launch(KernelNames.axpy(t), y.numel(), Geometry.of(y.shape(), xt, y), a, ptr(xt), ptr(y));
    }

    @Override
    public void where(Strided cond, Strided a, Strided b, Strided out) {
        DType t = out.storage().dtype();
        if (!t.isFloatingPoint()) {
            Strided tmp = Strided.contiguous(newStorage(DType.FLOAT64, out.numel()), out.shape());
            where(cond, as(DType.FLOAT64, a), as(DType.FLOAT64, b), tmp);
            copy(tmp, out);
            return;
        }
        DType ct = cond.storage().dtype();
        Strided c = ct == DType.BOOL || ct == t ? cond : as(DType.BOOL, cond);
        Strided xa = as(t, a);
        Strided xb = as(t, b);
        launch(KernelNames.where(c.storage().dtype(), t), out.numel(), Geometry.of(out.shape(), c, xa, xb, out), ptr(c),
                ptr(xa), ptr(xb), ptr(out));
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public void reduce(ReduceOp op, Strided x, boolean[] reduce, Strided out) {
        DType t = out.storage().dtype();
        if (!t.isFloatingPoint() || x.storage().dtype() != t) {
            Strided tmp = Strided.contiguous(newStorage(DType.FLOAT64, out.numel()), out.shape());
            reduce(op, as(DType.FLOAT64, x), reduce, tmp);
            copy(tmp, out);
            return;
        }
        int mask = 0;
        int inner = 1;
        for (int d = 0; d < reduce.length; d++) {
            if (reduce[d]) {
                mask |= 1 << d;
                inner *= x.shape()[d];
            }
        }
        int outer = out.numel();
        if (outer == 0) {
            return;
        }
        context.makeCurrent();
        kernel(KernelNames.reduce(t), Math.min(outer, MAX_GRID), BLOCK, op.ordinal(), Geometry.of(x.shape(), x), mask,
                outer, inner, ptr(x), out.offset(), ptr(out));
    }

    @Override
    public void argReduce(boolean max, Strided x, int dim, Strided values, Strided indices) {
        DType t = values.storage().dtype();
        if (!t.isFloatingPoint() || x.storage().dtype() != t) {
            Strided tmp = Strided.contiguous(newStorage(DType.FLOAT64, values.numel()), values.shape());
            argReduce(max, as(DType.FLOAT64, x), dim, tmp, indices);
            copy(tmp, values);
            return;
        }
        int len = x.shape()[dim];
        if (len == 0) {
            throw new IndexOutOfBoundsException("cannot take the " + (max ? "max" : "min") + " over dimension " + dim
                    + " of size 0");
        }
        int outer = x.numel() / len;
        launch(KernelNames.argReduce(t), outer, max ? 1 : 0, Geometry.of(x.shape(), x), dim, ptr(x), values.offset(),
                ptr(values), indices.offset(), ptr(indices));
    }

    // ---------------------------------------------------------------- softmax

    /*
     * The row kernels of reduce.cu take a [rows, cols] matrix with dense columns, one block of BLOCK threads
     * per row. A softmax along a dimension other than the last, or of a view that is not dense, runs on a
     * dense copy with dim moved last, and its result is copied back through the same permutation.
     */

    @Override
    public void softmax(boolean log, Strided x, int dim, Strided out) {
        DType t = softmaxType("softmax", x, out);
        int n = out.numel();
        if (n == 0) {
            return;
        }
        int cols = x.shape().length == 0 ? 1 : x.shape()[dim];
        int rows = n / cols;
        Strided in = contiguous(dimLast(x, dim));
        Strided o = dimLast(out, dim);
        Strided y = o.isContiguous() ? o : Strided.contiguous(newStorage(t, n), o.shape());
        context.makeCurrent();
        kernel(KernelNames.softmax(t), Math.min(rows, MAX_GRID), BLOCK, log ? 1 : 0, rows, cols, ptr(in), in.offset(),
                cols, ptr(y), y.offset(), cols);
        if (y != o) {
            copy(y, o);
        }
    }

    @Override
    public void softmaxBackward(boolean log, Strided y, Strided gy, int dim, Strided gx) {
        DType t = softmaxType("softmaxBackward", y, gx);
        softmaxType("softmaxBackward", gy, gx);
        int n = gx.numel();
        if (n == 0) {
            return;
        }
        int cols = y.shape().length == 0 ? 1 : y.shape()[dim];
        int rows = n / cols;
        Strided yd = contiguous(dimLast(y, dim));
        Strided gd = contiguous(dimLast(gy, dim));
        Strided o = dimLast(gx, dim);
        Strided g = o.isContiguous() ? o : Strided.contiguous(newStorage(t, n), o.shape());
        context.makeCurrent();
        kernel(KernelNames.softmaxBackward(t), Math.min(rows, MAX_GRID), BLOCK, log ? 1 : 0, rows, cols, ptr(yd),
                yd.offset(), ptr(gd), gd.offset(), ptr(g), g.offset());
        if (g != o) {
            copy(g, o);
        }
    }

    private static DType softmaxType(String op, Strided in, Strided out) {
        DType t = out.storage().dtype();
        if (!t.isFloatingPoint() || in.storage().dtype() != t) {
            throw new IllegalArgumentException(op + " expected float32 or float64 operands of one type, got "
                    + in.storage().dtype().pyName() + " and " + t.pyName());
        }
        return t;
    }

    /** The view v with dimension dim moved last (no copy); a 0-dim view as it is. */
    static Strided dimLast(Strided v, int dim) {
        int nd = v.shape().length;
        if (nd == 0 || dim == nd - 1) {
            return v;
        }
        int[] shape = new int[nd];
        int[] strides = new int[nd];
        for (int d = 0, k = 0; d < nd; d++) {
            if (d != dim) {
                shape[k] = v.shape()[d];
                strides[k++] = v.strides()[d];
            }
        }
        shape[nd - 1] = v.shape()[dim];
        strides[nd - 1] = v.strides()[dim];
        return new Strided(v.storage(), v.offset(), shape, strides);
    }

    @Override
    public void matmul(Strided a, Strided b, Strided out) {
        context.makeCurrent();
        RowMajorGemm.matmul(this, a, b, out);
    }

    // ---------------------------------------------------------------- indexing

    @Override
    public void gather(Strided x, int dim, Strided index, Strided out) {
        DType t = out.storage().dtype();
        if (!t.isFloatingPoint()) {
            // INT64 / BOOL (labels, masks): gather in float64, exact for integers up to 2^53 like the CPU's
            // double-backed INT64 storage, and convert into out.
            Strided tmp = Strided.contiguous(newStorage(DType.FLOAT64, out.numel()), out.shape());
            gather(as(DType.FLOAT64, x), dim, index, tmp);
            copy(tmp, out);
            return;
        }
        x = as(t, x);
        index = as(DType.INT64, index);
        int[] xs = x.strides().clone();
        xs[dim] = 0;
        int size = x.shape()[dim];
        int[] g = Geometry.of(index.shape(), new int[] {x.offset(), index.offset(), out.offset()},
                new int[][] {xs, index.strides(), out.strides()});
        indexed(KernelNames.gather(t), index.numel(), dim, size, g, x.strides()[dim], ptr(x),
                ptr(index), ptr(out));
    }

    @Override
    public void scatterAdd(Strided out, int dim, Strided index, Strided src) {
        DType t = out.storage().dtype();
        if (!t.isFloatingPoint()) {
            // INT64 / BOOL out: add in float64 and convert back once at the end (the CPU converts after every
            // add; the same for integer or boolean sources).
            Strided tmp = Strided.contiguous(newStorage(DType.FLOAT64, out.numel()), out.shape());
            copy(out, tmp);
            scatterAdd(tmp, dim, index, as(DType.FLOAT64, src));
            copy(tmp, out);
            return;
        }
        src = as(t, src);
        index = as(DType.INT64, index);
        int[] os = out.strides().clone();
        os[dim] = 0;
        int size = out.shape()[dim];
        int[] g = Geometry.of(index.shape(), new int[] {out.offset(), index.offset(), src.offset()},
                new int[][] {os, index.strides(), src.strides()});
        indexed(KernelNames.scatterAdd(t), index.numel(), dim, size, g, out.strides()[dim], ptr(out),
                ptr(index), ptr(src));
    }

    /** Launches a gather/scatter kernel with an error flag and throws like the CPU when an index was out of range. */
    private void indexed(String name, int n, int dim, int size, int[] g, int step, CudaStorage p0, CudaStorage p1,
            CudaStorage p2) {
        if (n == 0) {
            return;
        }
        CudaStorage flag = (CudaStorage) allocate(DType.BOOL, 4);
        launch(name, n, g, size, step, p0, p1, p2, flag);
        int[] error = new int[1];
        JCudaDriver.cuMemcpyDtoH(Pointer.to(error), flag.pointer, 4);
        Reference.reachabilityFence(flag); // its block must not be reused before this read
        if (error[0] != 0) {
            throw new IndexOutOfBoundsException("an index is out of bounds for dimension " + dim + " with size " + size);
        }
    }

    // ---------------------------------------------------------------- launching

    static CudaStorage cuda(Strided s) {
        if (s.storage() instanceof CudaStorage c) {
            return c;
        }
        throw new IllegalArgumentException("Expected a tensor on a CUDA device, got storage of "
                + s.storage().backend().device());
    }

    /**
     * The storage of a view on this device. Launches take storages, not raw pointers, and keep them reachable
     * until the launch is enqueued: a storage's block goes back to the allocator once its CudaStorage is
     * collected, and another thread could otherwise reuse it before this launch reads or writes it.
     */
    CudaStorage ptr(Strided s) {
        CudaStorage c = cuda(s);
        if (c.backend() != this) {
            throw new IllegalArgumentException("Expected a tensor on " + device + ", got one on " + c.backend().device());
        }
        return c;
    }

    /** A 1-d launch of {@code n} elements (grid-stride kernels). */
    private void launch(String name, int n, Object... args) {
        if (n == 0) {
            return;
        }
        context.makeCurrent();
        kernel(name, (int) Math.min(((long) n + BLOCK - 1) / BLOCK, MAX_GRID), BLOCK, args);
    }

    /**
     * Launches a kernel; arguments are Integer (int), int[] (an SgGeom struct by value), CudaStorage (its device
     * pointer) or HostValue (a float/double/long/byte scalar). The storages stay reachable until the launch
     * is enqueued.
     */
    private void kernel(String name, int grid, int block, Object... args) {
        List<NativePointerObject> params = new ArrayList<>();
        for (Object a : args) {
            if (a instanceof Integer i) {
                params.add(Pointer.to(new int[] {i}));
            } else if (a instanceof int[] ints) {
                params.add(Pointer.to(ints));
            } else if (a instanceof CudaStorage c) {
                params.add(Pointer.to(c.pointer));
            } else if (a instanceof HostValue v) {
                params.add(v.pointer());
            } else {
                throw new IllegalArgumentException("unsupported kernel argument " + a);
            }
        }
        try {
            JCudaDriver.cuLaunchKernel(kernels.function(name), grid, 1, 1, block, 1, 1, 0, null,
                    Pointer.to(params.toArray(new NativePointerObject[0])), null);
        } finally {
            Reference.reachabilityFence(args);
        }
    }

    /** A scalar kernel argument passed by value: a pointer to a one-element host array. */
    private record HostValue(Pointer pointer) {
    }
}
