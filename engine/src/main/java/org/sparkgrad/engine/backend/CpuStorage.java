package org.sparkgrad.engine.backend;

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
    /** Whether the array is this storage's own (allocated by the backend), so that it may go to the pool. */
    private final boolean own;

    CpuStorage(DType dtype, int length) {
        this(dtype, length, true);
    }

    /** A storage of its own array: zero-filled when {@code zeroed}, else possibly a recycled array. */
    CpuStorage(DType dtype, int length, boolean zeroed) {
        this.dtype = dtype;
        this.own = true;
        if (dtype == DType.FLOAT32) {
            float[] a = BufferPool.takeFloats(length);
            if (a != null && zeroed) {
                java.util.Arrays.fill(a, 0f);
            }
            this.f = a != null ? a : new float[length];
            this.d = null;
        } else {
            double[] a = BufferPool.takeDoubles(length);
            if (a != null && zeroed) {
                java.util.Arrays.fill(a, 0.0);
            }
            this.f = null;
            this.d = a != null ? a : new double[length];
        }
    }

    /**
     * Gives the array to the pool and drops it from this storage, so that a wrong later use fails with a
     * NullPointerException instead of reading another tensor's data. Storages wrapping a caller's array
     * ({@link CpuBackend#share}) keep it.
     */
    void recycle() {
        if (!own) {
            return;
        }
        if (f != null) {
            float[] a = f;
            f = null;
            BufferPool.give(a);
        } else if (d != null) {
            double[] a = d;
            d = null;
            BufferPool.give(a);
        }
    }

    CpuStorage(float[] values) {
        this.dtype = DType.FLOAT32;
        this.f = values;
        this.d = null;
        this.own = false;
    }

    CpuStorage(DType dtype, double[] values) {
        if (dtype == DType.FLOAT32) {
            throw new IllegalArgumentException("FLOAT32 storage holds floats");
        }
        this.dtype = dtype;
        this.f = null;
        this.d = values;
        this.own = false;
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
