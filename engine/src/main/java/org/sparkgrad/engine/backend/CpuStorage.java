package org.sparkgrad.engine.backend;

import java.lang.ref.Cleaner;

import org.sparkgrad.engine.DType;

/**
 * Host storage: a float array for FLOAT32, a double array for every other type (INT64 and BOOL values
 * are exact there up to 2^53).
 */
final class CpuStorage implements Storage {
    final DType dtype;
    /** The elements; null once {@link #recycle} has handed the array to the {@link BufferPool}. */
    float[] f;
    double[] d;
    /**
     * Hands the array to the pool: on {@link #recycle}, or for a large array also when the garbage collector finds
     * this storage unreachable (a dead forward output, as PyTorch frees a tensor when its last reference goes).
     * Null for arrays the pool does not take and for storages wrapping a caller's array ({@link CpuBackend#share}).
     */
    private final Cleaner.Cleanable toPool;

    /** A zero-filled storage of its own array that the pool does not take back (a temporary, a host copy). */
    CpuStorage(DType dtype, int length) {
        this(dtype, length, true, false);
    }

    /**
     * A storage of its own array: zero-filled when {@code zeroed}, else possibly a recycled array's old values.
     * With {@code pooled}, a large array goes back to the pool when this storage dies; then no one may hold the
     * array beyond this storage's life (the backend keeps its operands reachable while it runs).
     */
    CpuStorage(DType dtype, int length, boolean zeroed, boolean pooled) {
        this.dtype = dtype;
        boolean returns = pooled && length >= BufferPool.MIN_LENGTH;
        boolean tracked = returns && BufferPool.tracks(length, dtype == DType.FLOAT32 ? 4 : 8);
        if (dtype == DType.FLOAT32) {
            float[] a = BufferPool.takeFloats(length);
            if (a != null && zeroed) {
                java.util.Arrays.fill(a, 0f);
            }
            this.f = a != null ? a : new float[length];
            this.d = null;
            this.toPool = !returns ? null : tracked ? BufferPool.returnWhenUnreachable(this, f) : BufferPool.returnOnClean(f);
        } else {
            double[] a = BufferPool.takeDoubles(length);
            if (a != null && zeroed) {
                java.util.Arrays.fill(a, 0.0);
            }
            this.f = null;
            this.d = a != null ? a : new double[length];
            this.toPool = !returns ? null : tracked ? BufferPool.returnWhenUnreachable(this, d) : BufferPool.returnOnClean(d);
        }
    }

    /**
     * Gives the array to the pool now (if the pool takes it) and drops it from this storage, so that a wrong
     * later use fails with a NullPointerException instead of reading another tensor's data. Storages wrapping a
     * caller's array ({@link CpuBackend#share}) keep it.
     */
    void recycle() {
        if (toPool == null || f == null && d == null) {
            return; // not the pool's, or handed back already
        }
        f = null;
        d = null;
        toPool.clean();
    }

    CpuStorage(float[] values) {
        this.dtype = DType.FLOAT32;
        this.f = values;
        this.d = null;
        this.toPool = null;
    }

    CpuStorage(DType dtype, double[] values) {
        if (dtype == DType.FLOAT32) {
            throw new IllegalArgumentException("FLOAT32 storage holds floats");
        }
        this.dtype = dtype;
        this.f = null;
        this.d = values;
        this.toPool = null;
    }

    boolean isFloat() {
        return dtype == DType.FLOAT32;
    }

    double get(int i) {
        return isFloat() ? f[i] : d[i];
    }

    void set(int i, double v) {
        if (isFloat()) {
            f[i] = (float) v;
        } else {
            d[i] = dtype == DType.BOOL ? (v != 0 ? 1 : 0) : dtype == DType.INT64 ? truncate(v) : v;
        }
    }

    private static double truncate(double v) {
        return v < 0 ? Math.ceil(v) : Math.floor(v);
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int length() {
        return isFloat() ? f.length : d.length;
    }

    @Override
    public Backend backend() {
        return CpuBackend.INSTANCE;
    }
}
