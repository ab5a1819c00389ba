package org.sparkgrad.engine.backend;

/**
 * Copies a transposed view (its last dimension strided, its second-to-last dense) into a contiguous tensor in
 * square tiles, so that both sides are read and written along cache lines: an element-by-element copy of a
 * transposed matrix touches a new cache line per element (e.g. a Linear weight's gradient, which backward produces
 * as the transpose of {@code x^T g}). Leading dimensions are looped over. Used by {@link CpuBackend#copy}.
 */
final class TransposedCopy {
    /** Tile side: 32 x 32 floats or doubles stay in L1 on both sides. */
    private static final int TILE = 32;
    /** Smaller copies gain nothing from tiling. */
    private static final int MIN_NUMEL = 1 << 12;

    private TransposedCopy() {
    }

    /** Whether src (copied into a contiguous dst of the same shape) is a transposed layout worth tiling. */
    static boolean applies(Strided src, Strided dst) {
        int[] shape = src.shape();
        int d = shape.length;
        return d >= 2 && java.util.Arrays.equals(shape, dst.shape()) && dst.isContiguous() && src.numel() >= MIN_NUMEL && src.strides()[d - 1] != 1
                && src.strides()[d - 2] == 1 && shape[d - 1] > 1 && shape[d - 2] > 1;
    }

    static void copy(float[] a, Strided src, float[] o, Strided dst) {
        int[] shape = src.shape();
        int d = shape.length;
        int rows = shape[d - 2];
        int cols = shape[d - 1];
        int colStride = src.strides()[d - 1];
        int matrices = src.numel() / (rows * cols);
        int[] index = new int[Math.max(0, d - 2)];
        int out = dst.offset();
        for (int m = 0; m < matrices; m++) {
            int in = src.offset() + batchOffset(index, src.strides());
            for (int i0 = 0; i0 < rows; i0 += TILE) {
                int i1 = Math.min(rows, i0 + TILE);
                for (int j0 = 0; j0 < cols; j0 += TILE) {
                    int j1 = Math.min(cols, j0 + TILE);
                    for (int j = j0; j < j1; j++) {
                        int from = in + j * colStride;
                        for (int i = i0; i < i1; i++) {
                            o[out + i * cols + j] = a[from + i];
                        }
                    }
                }
            }
            out += rows * cols;
            next(index, shape);
        }
    }

    static void copy(double[] a, Strided src, double[] o, Strided dst) {
        int[] shape = src.shape();
        int d = shape.length;
        int rows = shape[d - 2];
        int cols = shape[d - 1];
        int colStride = src.strides()[d - 1];
        int matrices = src.numel() / (rows * cols);
        int[] index = new int[Math.max(0, d - 2)];
        int out = dst.offset();
        for (int m = 0; m < matrices; m++) {
            int in = src.offset() + batchOffset(index, src.strides());
            for (int i0 = 0; i0 < rows; i0 += TILE) {
                int i1 = Math.min(rows, i0 + TILE);
                for (int j0 = 0; j0 < cols; j0 += TILE) {
                    int j1 = Math.min(cols, j0 + TILE);
                    for (int j = j0; j < j1; j++) {
                        int from = in + j * colStride;
                        for (int i = i0; i < i1; i++) {
                            o[out + i * cols + j] = a[from + i];
                        }
                    }
                }
            }
            out += rows * cols;
            next(index, shape);
        }
    }

    private static int batchOffset(int[] index, int[] strides) {
        int off = 0;
        for (int k = 0; k < index.length; k++) {
            off += index[k] * strides[k];
        }
        return off;
    }

    /** Advances the leading-dimension index (row-major). */
    private static void next(int[] index, int[] shape) {
        for (int k = index.length - 1; k >= 0; k--) {
            if (++index[k] < shape[k]) {
                return;
            }
            index[k] = 0;
        }
    }
}
