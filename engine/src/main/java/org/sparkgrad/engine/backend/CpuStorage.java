package org.sparkgrad.engine.backend;

import org.sparkgrad.engine.DType;

/**
 * Host storage: a float array for FLOAT32, a double array for every other type (INT64 and BOOL values
 * are exact there up to 2^53).
 */
final class CpuStorage implements Storage {
    final DType dtype;
    final float[] f;
    final double[] d;

    CpuStorage(DType dtype, int length) {
        this.dtype = dtype;
        if (dtype == DType.FLOAT32) {
            this.f = new float[length];
            this.d = null;
        } else {
            this.f = null;
            this.d = new double[length];
        }
    }

    CpuStorage(float[] values) {
        this.dtype = DType.FLOAT32;
        this.f = values;
        this.d = null;
    }

    CpuStorage(DType dtype, double[] values) {
        if (dtype == DType.FLOAT32) {
            throw new IllegalArgumentException("FLOAT32 storage holds floats");
        }
        this.dtype = dtype;
        this.f = null;
        this.d = values;
    }

    boolean isFloat() {
        return f != null;
    }

    double get(int i) {
        return f != null ? f[i] : d[i];
    }

    void set(int i, double v) {
        if (f != null) {
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
        return f != null ? f.length : d.length;
    }

    @Override
    public Backend backend() {
        return CpuBackend.INSTANCE;
    }
}
