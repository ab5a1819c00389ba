package org.sparkgrad.gpu;

import org.sparkgrad.engine.DType;

/**
 * The kernel entry points the backend launches, and the source files defining them (the one place to align
 * with {@code src/main/cuda/*.cu}).
 */
final class KernelNames {
    /** Classpath resources compiled with NVRTC, in this order. */
    static final String[] SOURCES = {"/cuda/elementwise.cu", "/cuda/reduce.cu"};

    private KernelNames() {
    }

    /** The suffix of a type in kernel names: f32, f64, i64 or u8. */
    static String suffix(DType t) {
        return switch (t) {
            case FLOAT32 -> "f32";
            case FLOAT64 -> "f64";
            case INT64 -> "i64";
            case BOOL -> "u8";
        };
    }

    static String binary(DType t) {
        return "binary_" + floating(t);
    }

    static String unary(DType t) {
        return "unary_" + floating(t);
    }

    /** where_f32 / where_f64 for a mask of the value type, where_u8_f32 / where_u8_f64 for a BOOL mask. */
    static String where(DType cond, DType t) {
        return cond == DType.BOOL ? "where_u8_" + floating(t) : "where_" + floating(t);
    }

    static String fill(DType t) {
        return "fill_" + suffix(t);
    }

    static String copy(DType from, DType to) {
        return "copy_" + suffix(from) + "_" + suffix(to);
    }

    static String axpy(DType t) {
        return "axpy_" + floating(t);
    }

    static String reduce(DType t) {
        return "reduce_" + floating(t);
    }

    static String argReduce(DType t) {
        return "argreduce_" + floating(t);
    }

    /** softmax_rows_f32 / _f64: row softmax or logSoftmax of a [rows, cols] matrix with dense columns. */
    static String softmax(DType t) {
        return "softmax_rows_" + floating(t);
    }

    /** softmax_backward_rows_f32 / _f64: the row VJP of softmax or logSoftmax on dense [rows, cols]. */
    static String softmaxBackward(DType t) {
        return "softmax_backward_rows_" + floating(t);
    }

    static String gather(DType t) {
        return "gather_" + floating(t);
    }

    static String scatterAdd(DType t) {
        return "scatter_add_" + floating(t);
    }

    private static String floating(DType t) {
        if (!t.isFloatingPoint()) {
            throw new UnsupportedOperationException("the CUDA kernels compute in float32 or float64, got " + t.pyName());
        }
        return suffix(t);
    }
}
