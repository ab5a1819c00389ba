package org.sparkgrad.engine.backend;

import java.lang.ref.Reference;
import java.util.Arrays;

import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Device;

/**
 * The host backend: loops over Java arrays for elementwise work ({@link FloatKernels}, {@link DoubleKernels},
 * vectorised in {@link Simd}) and reductions ({@link ReduceKernels}), BLAS for matrix products (see
 * {@link Blas}), large loops split over {@link Parallel}'s threads.
 *
 * <p>Every operation keeps its operands reachable until its kernel returns ({@link Reference#reachabilityFence}):
 * once a kernel holds an array, the compiler may treat the tensor that owned it as dead, and the
 * {@link BufferPool} would then hand the array to another allocation while the kernel still reads or writes it.
 */
public final class CpuBackend implements Backend {
    /** The one instance. */
    public static final CpuBackend INSTANCE = new CpuBackend();

    /** Elements from which y += alpha x goes to BLAS. */
    private static final int BLAS_AXPY_MIN = 4096;

    private CpuBackend() {
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public Storage allocate(DType dtype, int length) {
        return new CpuStorage(dtype, length, true, true);
    }

    /** A storage that may hold a recycled array's old values (see {@link BufferPool}). */
    @Override
    public Storage allocateForOverwrite(DType dtype, int length) {
        return new CpuStorage(dtype, length, false, true);
    }

    /** Gives the storage's array to the {@link BufferPool}; the storage must not be used again. */
    @Override
    public void recycle(Storage storage) {
        cpu(storage).recycle();
    }

    @Override
    public Storage fromHost(DType dtype, double[] values) {
        if (dtype == DType.FLOAT32) {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) values[i];
            }
            return new CpuStorage(f);
        }
        CpuStorage s = new CpuStorage(dtype, values.length);
        for (int i = 0; i < values.length; i++) {
            s.set(i, values[i]);
        }
        return s;
    }

    @Override
    public Storage fromHost(float[] values) {
        return new CpuStorage(values.clone());
    }

    /** A FLOAT32 storage that is values itself (no copy): writes to either show in the other. */
    public Storage share(float[] values) {
        return new CpuStorage(values);
    }

    /**
     * A storage of a type other than FLOAT32 that is values itself (no copy). The values must already be
     * of the type, as {@link #fromHost(DType, double[])} would round them: 0 or 1 for BOOL, integers for INT64.
     *
     * @throws IllegalArgumentException naming the first value the type can't hold
     */
    public Storage share(DType dtype, double[] values) {
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            if (dtype == DType.BOOL ? v != 0 && v != 1 : dtype == DType.INT64 && v != Math.rint(v)) {
                throw new IllegalArgumentException("a tensor of dtype " + dtype.pyName() + " can't hold the value " + v
                        + " (element " + i + ")");
            }
        }
        return new CpuStorage(dtype, values);
    }

    @Override
    public double[] toHostDouble(Strided src) {
        CpuStorage out = new CpuStorage(DType.FLOAT64, src.numel());
        copy(src, Strided.contiguous(out, src.shape()));
        return out.d;
    }

    @Override
    public float[] toHostFloat(Strided src) {
        CpuStorage out = new CpuStorage(DType.FLOAT32, src.numel());
        copy(src, Strided.contiguous(out, src.shape()));
        return out.f;
    }

    private static CpuStorage cpu(Strided v) {
        return cpu(v.storage());
    }

    private static CpuStorage cpu(Storage storage) {
        if (storage instanceof CpuStorage s) {
            return s;
        }
        throw new IllegalArgumentException("Expected a cpu tensor, got one on " + storage.backend().device());
    }

    @Override
    public void copy(Strided src, Strided dst) {
        copyKernel(src, dst);
        Reference.reachabilityFence(src);
        Reference.reachabilityFence(dst);
    }

    private void copyKernel(Strided src, Strided dst) {
        CpuStorage s = cpu(src);
        CpuStorage d = cpu(dst);
        if (s.isFloat() && d.isFloat()) {
            float[] a = s.f;
            float[] o = d.f;
            StridedLoop.of(dst.shape(), src, dst).runRows((rows, n, off, step, st) -> {
                int sa = st[0], so = st[1];
                if (sa == 0 && so == 1 && rows > 1 && VectorApi.AVAILABLE) {
                    // a broadcast source along the rows (an expanded gradient): each row one element repeated
                    Simd.fillRows(a, off[0], step[0], o, off[1], step[1], rows, n);
                    return;
                }
                if (so == 1 && step[0] == 1 && sa != 1 && rows > 1) {
                    transposeCopy(a, off[0], sa, o, off[1], step[1], rows, n);
                    return;
                }
                if (sa == 1 && so == 1 && rows > 1 && n <= Simd.SHORT_ROW && a != o && VectorApi.AVAILABLE) {
                    Simd.copyRows(a, off[0], step[0], o, off[1], step[1], rows, n);
                    return;
                }
                for (int r = 0, ra = off[0], ro = off[1]; r < rows; r++, ra += step[0], ro += step[1]) {
                    if (sa == 1 && so == 1) {
                        System.arraycopy(a, ra, o, ro, n);
                    } else if (sa == 0 && so == 1) {
                        // a broadcast source (an expanded gradient): the element loop would not vectorize
                        Arrays.fill(o, ro, ro + n, a[ra]);
                    } else {
                        for (int i = 0, ia = ra, io = ro; i < n; i++, ia += sa, io += so) {
                            o[io] = a[ia];
                        }
                    }
                }
            }, 1);
        } else if (!s.isFloat() && !d.isFloat() && s.dtype == d.dtype) {
            double[] a = s.d;
            double[] o = d.d;
            StridedLoop.of(dst.shape(), src, dst).runRows((rows, n, off, step, st) -> {
                int sa = st[0], so = st[1];
                if (sa == 0 && so == 1 && rows > 1 && VectorApi.AVAILABLE) {
                    // a broadcast source along the rows (an expanded gradient): each row one element repeated
                    Simd.fillRows(a, off[0], step[0], o, off[1], step[1], rows, n);
                    return;
                }
                if (so == 1 && step[0] == 1 && sa != 1 && rows > 1) {
                    transposeCopy(a, off[0], sa, o, off[1], step[1], rows, n);
                    return;
                }
                if (sa == 1 && so == 1 && rows > 1 && n <= Simd.SHORT_ROW && a != o && VectorApi.AVAILABLE) {
                    Simd.copyRows(a, off[0], step[0], o, off[1], step[1], rows, n);
                    return;
                }
                for (int r = 0, ra = off[0], ro = off[1]; r < rows; r++, ra += step[0], ro += step[1]) {
                    if (sa == 1 && so == 1) {
                        System.arraycopy(a, ra, o, ro, n);
                    } else if (sa == 0 && so == 1) {
                        // a broadcast source (an expanded gradient): the element loop would not vectorize
                        Arrays.fill(o, ro, ro + n, a[ra]);
                    } else {
                        for (int i = 0, ia = ra, io = ro; i < n; i++, ia += sa, io += so) {
                            o[io] = a[ia];
                        }
                    }
                }
            }, 1);
        } else {
            StridedLoop.of(dst.shape(), src, dst).run((n, off, st) -> {
                int ia = off[0], io = off[1], sa = st[0], so = st[1];
                for (int i = 0; i < n; i++, ia += sa, io += so) {
                    d.set(io, s.get(ia));
                }
            });
        }
    }

    /** Rows per tile of a transposing copy: 16 floats (or 8 doubles) of a source column fill a cache line. */
    private static final int TILE = 16;
    /** Columns per tile: TILE x COLUMNS source lines stay in the first-level cache. */
    private static final int COLUMNS = 256;

    /**
     * o[ro + r * os + i] = a[ra + r + i * sa] for r &lt; rows, i &lt; n: a transposed source (its rows adjacent
     * elements, its columns sa apart) copied in tiles, so that every source cache line is read once instead of
     * once per destination row.
     */
    private static void transposeCopy(float[] a, int ra, int sa, float[] o, int ro, int os, int rows, int n) {
        if (sa > os) {
            transposeCopyBySource(a, ra, sa, o, ro, os, rows, n);
            return;
        }
        for (int r0 = 0; r0 < rows; r0 += TILE) {
            int r1 = Math.min(rows, r0 + TILE);
            for (int i0 = 0; i0 < n; i0 += COLUMNS) {
                int i1 = Math.min(n, i0 + COLUMNS);
                int r = r0;
                // four destination rows per pass: their source elements share a cache line
                for (; r + 4 <= r1; r += 4) {
                    for (int i = i0, ia = ra + r + i0 * sa, io = ro + r * os + i0; i < i1; i++, ia += sa, io++) {
                        o[io] = a[ia];
                        o[io + os] = a[ia + 1];
                        o[io + 2 * os] = a[ia + 2];
                        o[io + 3 * os] = a[ia + 3];
                    }
                }
                for (; r < r1; r++) {
                    for (int i = i0, ia = ra + r + i0 * sa, io = ro + r * os + i0; i < i1; i++, ia += sa, io++) {
                        o[io] = a[ia];
                    }
                }
            }
        }
    }

    /**
     * The same copy walking the source's rows instead: for a source whose columns lie far apart (sa &gt; os, as
     * the transposed gradient of a tall matrix), reading TILE x COLUMNS elements column by column would touch
     * lines that all share one cache set (strides of a power of two) and evict each other before their next
     * element is read; here each source line is read to its end at once and the destination tile stays cached.
     */
    private static void transposeCopyBySource(float[] a, int ra, int sa, float[] o, int ro, int os, int rows, int n) {
        for (int i0 = 0; i0 < n; i0 += TILE) {
            int i1 = Math.min(n, i0 + TILE);
            for (int r0 = 0; r0 < rows; r0 += COLUMNS) {
                int r1 = Math.min(rows, r0 + COLUMNS);
                for (int i = i0; i < i1; i++) {
                    for (int r = r0, ia = ra + r0 + i * sa, io = ro + r0 * os + i; r < r1; r++, ia++, io += os) {
                        o[io] = a[ia];
                    }
                }
            }
        }
    }

    private static void transposeCopy(double[] a, int ra, int sa, double[] o, int ro, int os, int rows, int n) {
        if (sa > os) {
            transposeCopyBySource(a, ra, sa, o, ro, os, rows, n);
            return;
        }
        for (int r0 = 0; r0 < rows; r0 += TILE) {
            int r1 = Math.min(rows, r0 + TILE);
            for (int i0 = 0; i0 < n; i0 += COLUMNS) {
                int i1 = Math.min(n, i0 + COLUMNS);
                for (int r = r0; r < r1; r++) {
                    for (int i = i0, ia = ra + r + i0 * sa, io = ro + r * os + i0; i < i1; i++, ia += sa, io++) {
                        o[io] = a[ia];
                    }
                }
            }
        }
    }

    private static void transposeCopyBySource(double[] a, int ra, int sa, double[] o, int ro, int os, int rows, int n) {
        for (int i0 = 0; i0 < n; i0 += TILE) {
            int i1 = Math.min(n, i0 + TILE);
            for (int r0 = 0; r0 < rows; r0 += COLUMNS) {
                int r1 = Math.min(rows, r0 + COLUMNS);
                for (int i = i0; i < i1; i++) {
                    for (int r = r0, ia = ra + r0 + i * sa, io = ro + r0 * os + i; r < r1; r++, ia++, io += os) {
                        o[io] = a[ia];
                    }
                }
            }
        }
    }

    @Override
    public void fill(Strided dst, double value) {
        fillKernel(dst, value);
        Reference.reachabilityFence(dst);
    }

    private void fillKernel(Strided dst, double value) {
        CpuStorage d = cpu(dst);
        StridedLoop.of(dst.shape(), dst).run((n, off, st) -> {
            int io = off[0], so = st[0];
            if (d.isFloat()) {
                FloatKernels.fill(d.f, io, so, n, (float) value);
            } else {
                for (int i = 0; i < n; i++, io += so) {
                    d.set(io, value);
                }
            }
        });
    }

    // ---------------------------------------------------------------- unary

    @Override
    public void unary(UnaryOp op, Strided x, Strided out) {
        unaryKernel(op, x, out);
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(out);
    }

    private void unaryKernel(UnaryOp op, Strided x, Strided out) {
        CpuStorage s = cpu(x);
        CpuStorage d = cpu(out);
        StridedLoop loop = StridedLoop.of(out.shape(), x, out);
        if (s.isFloat() && d.isFloat()) {
            float[] a = s.f;
            float[] o = d.f;
            loop.runRows((rows, n, off, step, st) -> {
                for (int r = 0, ia = off[0], io = off[1]; r < rows; r++, ia += step[0], io += step[1]) {
                    FloatKernels.unary(op, a, ia, st[0], o, io, st[1], n);
                }
            }, unaryCost(op));
        } else if (s.dtype == DType.FLOAT64 && d.dtype == DType.FLOAT64) {
            double[] a = s.d;
            double[] o = d.d;
            loop.run((n, off, st) -> DoubleKernels.unary(op, a, off[0], st[0], o, off[1], st[1], n), unaryCost(op));
        } else {
            loop.run((n, off, st) -> {
                int ia = off[0], io = off[1], sa = st[0], so = st[1];
                for (int i = 0; i < n; i++, ia += sa, io += so) {
                    d.set(io, DoubleKernels.apply(op, s.get(ia)));
                }
            });
        }
    }

    /** Work per element relative to a copy, for the parallel grain: transcendental ops cost about 8. */
    private static int unaryCost(UnaryOp op) {
        return switch (op) {
            case EXP, LOG, SIN, COS, TANH, SIGMOID -> 8;
            default -> 1;
        };
    }

    // ---------------------------------------------------------------- binary

    @Override
    public void binary(BinaryOp op, Strided x, Strided y, Strided out) {
        binaryKernel(op, x, y, out);
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(y);
        Reference.reachabilityFence(out);
    }

    private void binaryKernel(BinaryOp op, Strided x, Strided y, Strided out) {
        CpuStorage sa = cpu(x);
        CpuStorage sb = cpu(y);
        CpuStorage d = cpu(out);
        StridedLoop loop = StridedLoop.of(out.shape(), x, y, out);
        if (sa.isFloat() && sb.isFloat() && d.isFloat()) {
            float[] a = sa.f;
            float[] b = sb.f;
            float[] o = d.f;
            // whole blocks of rows per call: a broadcast row or column makes many short rows
            loop.runRows((rows, n, off, step, st) -> FloatKernels.binary(op, a, off[0], step[0], st[0], b, off[1], step[1],
                    st[1], o, off[2], step[2], st[2], rows, n), 1);
            return;
        }
        if (sa.isFloat() && sb.isFloat() && op.isComparison()) {
            float[] a = sa.f;
            float[] b = sb.f;
            double[] o = d.d;
            loop.run((n, off, st) -> {
                int ia = off[0], ib = off[1], io = off[2], ta = st[0], tb = st[1], to = st[2];
                for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) {
                    o[io] = DoubleKernels.apply(op, a[ia], b[ib]);
                }
            });
            return;
        }
        if (sa.dtype == DType.FLOAT64 && sb.dtype == DType.FLOAT64 && d.dtype == DType.FLOAT64) {
            double[] a = sa.d;
            double[] b = sb.d;
            double[] o = d.d;
            loop.runRows((rows, n, off, step, st) -> DoubleKernels.binary(op, a, off[0], step[0], st[0], b, off[1], step[1],
                    st[1], o, off[2], step[2], st[2], rows, n), 1);
            return;
        }
        loop.run((n, off, st) -> {
            int ia = off[0], ib = off[1], io = off[2], ta = st[0], tb = st[1], to = st[2];
            for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) {
                d.set(io, DoubleKernels.apply(op, sa.get(ia), sb.get(ib)));
            }
        });
    }

    @Override
    public void axpy(double alpha, Strided x, Strided y) {
        axpyKernel(alpha, x, y);
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(y);
    }

    private void axpyKernel(double alpha, Strided x, Strided y) {
        CpuStorage s = cpu(x);
        CpuStorage d = cpu(y);
        int n = y.numel();
        // Small updates stay in Java: a native call (and loading the library) costs more than the loop.
        if (n >= BLAS_AXPY_MIN && x.isContiguous() && y.isContiguous() && s.dtype == d.dtype && s.dtype.isFloatingPoint()) {
            Blas.axpy(n, alpha, s, x.offset(), d, y.offset());
            return;
        }
        if (s.isFloat() && d.isFloat()) {
            float a = (float) alpha;
            float[] xs = s.f;
            float[] ys = d.f;
            StridedLoop.of(y.shape(), x, y).run((len, off, st) -> {
                int ia = off[0], io = off[1];
                for (int i = 0; i < len; i++, ia += st[0], io += st[1]) {
                    ys[io] += a * xs[ia];
                }
            });
            return;
        }
        StridedLoop.of(y.shape(), x, y).run((len, off, st) -> {
            int ia = off[0], io = off[1];
            for (int i = 0; i < len; i++, ia += st[0], io += st[1]) {
                d.set(io, d.get(io) + alpha * s.get(ia));
            }
        });
    }

    @Override
    public void where(Strided cond, Strided x, Strided y, Strided out) {
        whereKernel(cond, x, y, out);
        Reference.reachabilityFence(cond);
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(y);
        Reference.reachabilityFence(out);
    }

    private void whereKernel(Strided cond, Strided x, Strided y, Strided out) {
        CpuStorage c = cpu(cond);
        CpuStorage a = cpu(x);
        CpuStorage b = cpu(y);
        CpuStorage d = cpu(out);
        StridedLoop.of(out.shape(), cond, x, y, out).run((n, off, st) -> {
            int ic = off[0], ia = off[1], ib = off[2], io = off[3];
            for (int i = 0; i < n; i++, ic += st[0], ia += st[1], ib += st[2], io += st[3]) {
                d.set(io, c.get(ic) != 0 ? a.get(ia) : b.get(ib));
            }
        });
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public void reduce(ReduceOp op, Strided x, boolean[] reduce, Strided out) {
        reduceKernel(op, x, reduce, out);
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(out);
    }

    private void reduceKernel(ReduceOp op, Strided x, boolean[] reduce, Strided out) {
        CpuStorage s = cpu(x);
        CpuStorage d = cpu(out);
        int nd = x.shape().length;
        int[] prq = ReduceKernels.handles(op) ? oneReducedRun(x.shape(), reduce) : null;
        if (prq != null) {
            Strided dense = x;
            if (!x.isContiguous()) {
                dense = Strided.contiguous(new CpuStorage(s.dtype, x.numel()), x.shape());
                copy(x, dense);
            }
            ReduceKernels.reduce(op, cpu(dense), dense.offset(), prq[0], prq[1], prq[2], d, out.offset());
            return;
        }
        int nk = 0;
        for (boolean r : reduce) {
            nk += r ? 0 : 1;
        }
        // Kept dimensions walk the output in row-major order; reduced ones form the inner block.
        int[] keptShape = new int[nk];
        int[] keptStrides = new int[nk];
        int[] redShape = new int[nd - nk];
        int[] redStrides = new int[nd - nk];
        for (int dd = 0, k = 0, r = 0; dd < nd; dd++) {
            if (reduce[dd]) {
                redShape[r] = x.shape()[dd];
                redStrides[r++] = x.strides()[dd];
            } else {
                keptShape[k] = x.shape()[dd];
                keptStrides[k++] = x.strides()[dd];
            }
        }
        double init = switch (op) {
            case SUM -> 0;
            case PROD -> 1;
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
        };
        int outer = 1;
        for (int v : keptShape) {
            outer *= v;
        }
        int[] idx = new int[nk];
        int base = x.offset();
        double[] acc = new double[1];
        for (int o = 0; o < outer; o++) {
            acc[0] = init;
            Strided block = new Strided(s, base, redShape, redStrides);
            StridedLoop.of(redShape, block).runSerial((n, off, st) -> {
                int ia = off[0], sa = st[0];
                double a = acc[0];
                if (s.isFloat()) {
                    float[] v = s.f;
                    switch (op) {
                        case SUM -> {
                            for (int i = 0; i < n; i++, ia += sa) {
                                a += v[ia];
                            }
                        }
                        case PROD -> {
                            for (int i = 0; i < n; i++, ia += sa) {
                                a *= v[ia];
                            }
                        }
                        case MAX -> {
                            for (int i = 0; i < n; i++, ia += sa) {
                                float e = v[ia];
                                a = e > a || e != e ? e : a;
                            }
                        }
                        case MIN -> {
                            for (int i = 0; i < n; i++, ia += sa) {
                                float e = v[ia];
                                a = e < a || e != e ? e : a;
                            }
                        }
                    }
                } else {
                    double[] v = s.d;
                    for (int i = 0; i < n; i++, ia += sa) {
                        double e = v[ia];
                        a = switch (op) {
                            case SUM -> a + e;
                            case PROD -> a * e;
                            case MAX -> e > a || e != e ? e : a;
                            case MIN -> e < a || e != e ? e : a;
                        };
                    }
                }
                // NaN stays NaN once seen by max/min because comparisons with NaN are false.
                acc[0] = a;
            });
            d.set(out.offset() + o, acc[0]);
            for (int k = nk - 1; k >= 0; k--) {
                idx[k]++;
                base += keptStrides[k];
                if (idx[k] < keptShape[k]) {
                    break;
                }
                base -= keptStrides[k] * keptShape[k];
                idx[k] = 0;
            }
        }
    }

    /**
     * [P, R, Q] when the reduced dimensions of size above 1 are adjacent (x seen as P kept elements, R reduced,
     * Q kept), else null.
     */
    private static int[] oneReducedRun(int[] shape, boolean[] reduce) {
        int p = 1, r = 1, q = 1;
        int state = 0; // 0: before the reduced run, 1: in it, 2: after it
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) {
                continue;
            }
            if (reduce[i]) {
                if (state == 2) {
                    return null;
                }
                state = 1;
                r *= shape[i];
            } else if (state == 0) {
                p *= shape[i];
            } else {
                state = 2;
                q *= shape[i];
            }
        }
        return new int[] {p, r, q};
    }

    @Override
    public void argReduce(boolean max, Strided x, int dim, Strided values, Strided indices) {
        argReduceKernel(max, x, dim, values, indices);
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(values);
        Reference.reachabilityFence(indices);
    }

    private void argReduceKernel(boolean max, Strided x, int dim, Strided values, Strided indices) {
        CpuStorage s = cpu(x);
        CpuStorage dv = cpu(values);
        CpuStorage di = cpu(indices);
        int len = x.shape()[dim];
        int step = x.strides()[dim];
        int[] keptShape = x.shape().clone();
        keptShape[dim] = 1;
        Strided kept = new Strided(s, x.offset(), keptShape, x.strides());
        boolean floats = s.isFloat() && dv.isFloat();
        if ((floats || (s.dtype == DType.FLOAT64 && dv.dtype == DType.FLOAT64)) && len > 0
                && values.isContiguous() && indices.isContiguous()) {
            // The kept elements in row-major order are the outputs' order: each loop row is n consecutive outputs.
            Strided vo = new Strided(dv, values.offset(), keptShape, Strided.contiguousStrides(keptShape));
            StridedLoop.of(keptShape, kept, vo).run((n, off, st) -> {
                int at = off[1] - values.offset() + indices.offset();
                if (floats) {
                    IndexKernels.argReduce(max, s.f, off[0], st[0], n, len, step, dv.f, off[1], di.d, at);
                } else {
                    IndexKernels.argReduce(max, s.d, off[0], st[0], n, len, step, dv.d, off[1], di.d, at);
                }
            }, len);
            return;
        }
        int[] o = {0};
        StridedLoop.of(keptShape, kept).runSerial((n, off, st) -> {
            int base = off[0];
            for (int r = 0; r < n; r++, base += st[0]) {
                double best = s.get(base);
                int bestAt = 0;
                for (int i = 1; i < len && best == best; i++) {
                    double e = s.get(base + i * step);
                    if (e != e || (max ? e > best : e < best)) {
                        best = e;
                        bestAt = i;
                    }
                }
                dv.set(values.offset() + o[0], best);
                di.set(indices.offset() + o[0], bestAt);
                o[0]++;
            }
        });
    }

    // ---------------------------------------------------------------- softmax

    @Override
    public void softmax(boolean log, Strided x, int dim, Strided out) {
        softmaxKernel(log, x, dim, out);
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(out);
    }

    private void softmaxKernel(boolean log, Strided x, int dim, Strided out) {
        CpuStorage s = cpu(x);
        CpuStorage d = cpu(out);
        checkSoftmaxTypes("softmax", s, d);
        int len = rowLength(x, dim);
        int sx = rowStep(x, dim);
        int so = rowStep(out, dim);
        // One loop element per row: the views with size 1 on dim.
        Strided rx = rowStarts(x, dim);
        StridedLoop rows = StridedLoop.of(rx.shape(), rx, rowStarts(out, dim));
        if (s.isFloat()) {
            rows.run((n, off, st) -> {
                for (int r = 0, ix = off[0], io = off[1]; r < n; r++, ix += st[0], io += st[1]) {
                    SoftmaxKernels.forward(log, s.f, ix, sx, d.f, io, so, len);
                }
            }, len);
        } else {
            rows.run((n, off, st) -> {
                for (int r = 0, ix = off[0], io = off[1]; r < n; r++, ix += st[0], io += st[1]) {
                    SoftmaxKernels.forward(log, s.d, ix, sx, d.d, io, so, len);
                }
            }, len);
        }
    }

    @Override
    public void softmaxBackward(boolean log, Strided y, Strided gy, int dim, Strided gx) {
        softmaxBackwardKernel(log, y, gy, dim, gx);
        Reference.reachabilityFence(y);
        Reference.reachabilityFence(gy);
        Reference.reachabilityFence(gx);
    }

    private void softmaxBackwardKernel(boolean log, Strided y, Strided gy, int dim, Strided gx) {
        CpuStorage sy = cpu(y);
        CpuStorage sg = cpu(gy);
        CpuStorage d = cpu(gx);
        checkSoftmaxTypes("softmaxBackward", sy, d);
        checkSoftmaxTypes("softmaxBackward", sg, d);
        int len = rowLength(y, dim);
        int ty = rowStep(y, dim);
        int tg = rowStep(gy, dim);
        int to = rowStep(gx, dim);
        Strided ry = rowStarts(y, dim);
        StridedLoop rows = StridedLoop.of(ry.shape(), ry, rowStarts(gy, dim), rowStarts(gx, dim));
        if (d.isFloat()) {
            rows.run((n, off, st) -> {
                for (int r = 0, a = off[0], b = off[1], c = off[2]; r < n; r++, a += st[0], b += st[1], c += st[2]) {
                    SoftmaxKernels.backward(log, sy.f, a, ty, sg.f, b, tg, d.f, c, to, len);
                }
            }, len);
        } else {
            rows.run((n, off, st) -> {
                for (int r = 0, a = off[0], b = off[1], c = off[2]; r < n; r++, a += st[0], b += st[1], c += st[2]) {
                    SoftmaxKernels.backward(log, sy.d, a, ty, sg.d, b, tg, d.d, c, to, len);
                }
            }, len);
        }
    }

    private static void checkSoftmaxTypes(String op, CpuStorage in, CpuStorage out) {
        if (!out.dtype.isFloatingPoint() || in.dtype != out.dtype) {
            throw new IllegalArgumentException(op + " expected float32 or float64 operands of one type, got "
                    + in.dtype.pyName() + " and " + out.dtype.pyName());
        }
    }

    /** The length of the rows along dim (a 0-dim view is one row of one element). */
    private static int rowLength(Strided v, int dim) {
        return v.shape().length == 0 ? 1 : v.shape()[dim];
    }

    private static int rowStep(Strided v, int dim) {
        return v.shape().length == 0 ? 0 : v.strides()[dim];
    }

    /** v with size 1 on dim: one element per row, at the row's first element. */
    private static Strided rowStarts(Strided v, int dim) {
        if (v.shape().length == 0) {
            return v;
        }
        int[] shape = v.shape().clone();
        shape[dim] = 1;
        return new Strided(v.storage(), v.offset(), shape, v.strides());
    }

    // ---------------------------------------------------------------- matrix products

    @Override
    public void matmul(Strided a, Strided b, Strided out) {
        matmulKernel(a, b, out);
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(out);
    }

    private void matmulKernel(Strided a, Strided b, Strided out) {
        CpuStorage sa = cpu(a);
        CpuStorage sb = cpu(b);
        CpuStorage so = cpu(out);
        int batch = a.shape()[0];
        int m = a.shape()[1];
        int k = a.shape()[2];
        int n = b.shape()[2];
        for (int i = 0; i < batch; i++) {
            Blas.gemm(sa, a.offset() + i * a.strides()[0], a.strides()[1], a.strides()[2],
                    sb, b.offset() + i * b.strides()[0], b.strides()[1], b.strides()[2],
                    so, out.offset() + i * m * n, m, n, k);
        }
    }

    // ---------------------------------------------------------------- indexing

    @Override
    public void gather(Strided x, int dim, Strided index, Strided out) {
        gatherKernel(x, dim, index, out);
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(index);
        Reference.reachabilityFence(out);
    }

    private void gatherKernel(Strided x, int dim, Strided index, Strided out) {
        CpuStorage s = cpu(x);
        CpuStorage si = cpu(index);
        CpuStorage d = cpu(out);
        int size = x.shape()[dim];
        if (s.dtype == d.dtype && s.dtype.isFloatingPoint() && x.isContiguous() && out.isContiguous()
                && IndexKernels.selectsBlocks(x.shape(), dim, index)) {
            int q = 1;
            for (int k = dim + 1; k < x.shape().length; k++) {
                q *= x.shape()[k];
            }
            IndexKernels.selectBlocks(s.isFloat() ? s.f : s.d, x.offset(), size, si.d, index.offset(),
                    index.strides()[dim], index.shape()[dim], d.isFloat() ? d.f : d.d, out.offset(), index.numel(), q, dim);
            return;
        }
        if (s.dtype == d.dtype && s.dtype.isFloatingPoint() && IndexKernels.gathersContiguous(x, dim, index, out)) {
            int q = 1;
            for (int k = dim + 1; k < x.shape().length; k++) {
                q *= x.shape()[k];
            }
            int outer = 1;
            for (int k = 0; k < dim; k++) {
                outer *= x.shape()[k];
            }
            if (index.numel() > 0) {
                IndexKernels.gatherContiguous(s.isFloat() ? s.f : s.d, x.offset(), size, si.d, index.offset(),
                        d.isFloat() ? d.f : d.d, out.offset(), outer, index.shape()[dim], q, dim);
            }
            return;
        }
        // x viewed with index's shape, its stride on dim replaced by 0: the index adds the offset.
        int[] xs = x.strides().clone();
        xs[dim] = 0;
        Strided base = new Strided(s, x.offset(), index.shape(), xs);
        int step = x.strides()[dim];
        StridedLoop loop = StridedLoop.of(index.shape(), base, index, out);
        if (s.isFloat() && d.isFloat()) {
            loop.run((n, off, st) -> IndexKernels.gather(s.f, off[0], st[0], si.d, off[1], st[1], d.f, off[2], st[2], n,
                    step, size, dim));
            return;
        }
        if (!s.isFloat() && s.dtype == d.dtype) {
            loop.run((n, off, st) -> IndexKernels.gather(s.d, off[0], st[0], si.d, off[1], st[1], d.d, off[2], st[2], n,
                    step, size, dim));
            return;
        }
        loop.run((n, off, st) -> {
            int ib = off[0], ii = off[1], io = off[2];
            for (int i = 0; i < n; i++, ib += st[0], ii += st[1], io += st[2]) {
                int at = checkedIndex(si.get(ii), size, dim);
                d.set(io, s.get(ib + at * step));
            }
        });
    }

    @Override
    public void scatterAdd(Strided out, int dim, Strided index, Strided src) {
        scatterAddKernel(out, dim, index, src);
        Reference.reachabilityFence(out);
        Reference.reachabilityFence(index);
        Reference.reachabilityFence(src);
    }

    private void scatterAddKernel(Strided out, int dim, Strided index, Strided src) {
        CpuStorage d = cpu(out);
        CpuStorage si = cpu(index);
        CpuStorage s = cpu(src);
        int size = out.shape()[dim];
        boolean same = (d.isFloat() && s.isFloat()) || (d.dtype == DType.FLOAT64 && s.dtype == DType.FLOAT64);
        if (same && src.isContiguous() && Arrays.equals(src.shape(), index.shape())
                && IndexKernels.gathersContiguous(out, dim, index, out)) {
            int q = 1;
            for (int k = dim + 1; k < out.shape().length; k++) {
                q *= out.shape()[k];
            }
            int outer = 1;
            for (int k = 0; k < dim; k++) {
                outer *= out.shape()[k];
            }
            if (index.numel() > 0) {
                IndexKernels.scatterAddContiguous(d.isFloat() ? d.f : d.d, out.offset(), size, si.d, index.offset(),
                        s.isFloat() ? s.f : s.d, src.offset(), outer, index.shape()[dim], q, dim);
            }
            return;
        }
        int[] os = out.strides().clone();
        os[dim] = 0;
        Strided base = new Strided(d, out.offset(), index.shape(), os);
        int step = out.strides()[dim];
        // Sequential on purpose: several source elements may land on one output element.
        boolean floats = d.isFloat() && s.isFloat();
        if (floats || (d.dtype == DType.FLOAT64 && s.dtype == DType.FLOAT64)) {
            StridedLoop.of(index.shape(), base, index, src).runSerial((n, off, st) -> {
                if (floats) {
                    IndexKernels.scatterAdd(d.f, off[0], st[0], si.d, off[1], st[1], s.f, off[2], st[2], n, step, size, dim);
                } else {
                    IndexKernels.scatterAdd(d.d, off[0], st[0], si.d, off[1], st[1], s.d, off[2], st[2], n, step, size, dim);
                }
            });
            return;
        }
        int[] shape = index.shape();
        int[][] strides = {base.strides(), index.strides(), src.strides()};
        int[] idx = new int[shape.length];
        int total = index.numel();
        int ob = base.offset(), ii = index.offset(), is = src.offset();
        for (int e = 0; e < total; e++) {
            int at = checkedIndex(si.get(ii), size, dim);
            d.set(ob + at * step, d.get(ob + at * step) + s.get(is));
            for (int k = shape.length - 1; k >= 0; k--) {
                idx[k]++;
                ob += strides[0][k];
                ii += strides[1][k];
                is += strides[2][k];
                if (idx[k] < shape[k]) {
                    break;
                }
                ob -= strides[0][k] * shape[k];
                ii -= strides[1][k] * shape[k];
                is -= strides[2][k] * shape[k];
                idx[k] = 0;
            }
        }
    }

    private static int checkedIndex(double value, int size, int dim) {
        return IndexKernels.checkedIndex(value, size, dim);
    }
}
