package org.sparkgrad.gpu;

import jcuda.Pointer;
import org.sparkgrad.engine.DType;

/** Host arrays in the device element layout (float, double, long long, one byte per BOOL) and back. */
final class HostArrays {
    private HostArrays() {
    }

    /**
     * A host array for {@code n} elements of a type, readable as doubles.
     *
     * @param pointer the array for a device-to-host copy
     * @param array the Java array behind it
     */
    record Buffer(Pointer pointer, Object array) {
        double[] toDoubles() {
            if (array instanceof float[] f) {
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    d[i] = f[i];
                }
                return d;
            }
            if (array instanceof long[] l) {
                double[] d = new double[l.length];
                for (int i = 0; i < l.length; i++) {
                    d[i] = l[i];
                }
                return d;
            }
            if (array instanceof byte[] b) {
                double[] d = new double[b.length];
                for (int i = 0; i < b.length; i++) {
                    d[i] = b[i] != 0 ? 1 : 0;
                }
                return d;
            }
            return (double[]) array;
        }
    }

    static Buffer buffer(DType t, int n) {
        return switch (t) {
            case FLOAT32 -> {
                float[] a = new float[n];
                yield new Buffer(Pointer.to(a), a);
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                yield new Buffer(Pointer.to(a), a);
            }
            case INT64 -> {
                long[] a = new long[n];
                yield new Buffer(Pointer.to(a), a);
            }
            case BOOL -> {
                byte[] a = new byte[n];
                yield new Buffer(Pointer.to(a), a);
            }
        };
    }

    /** Values converted to a type's device layout: rounded to float, truncated to long, 1/0 for BOOL. */
    static Pointer pack(DType t, double[] v) {
        return switch (t) {
            case FLOAT32 -> {
                float[] a = new float[v.length];
                for (int i = 0; i < v.length; i++) {
                    a[i] = (float) v[i];
                }
                yield Pointer.to(a);
            }
            case FLOAT64 -> Pointer.to(v.clone());
            case INT64 -> {
                long[] a = new long[v.length];
                for (int i = 0; i < v.length; i++) {
                    a[i] = (long) v[i];
                }
                yield Pointer.to(a);
            }
            case BOOL -> {
                byte[] a = new byte[v.length];
                for (int i = 0; i < v.length; i++) {
                    a[i] = (byte) (v[i] != 0 ? 1 : 0);
                }
                yield Pointer.to(a);
            }
        };
    }
}
