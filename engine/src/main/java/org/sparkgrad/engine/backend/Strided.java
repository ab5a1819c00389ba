package org.sparkgrad.engine.backend;

/**
 * A view handed to kernels: storage plus geometry. A stride of 0 repeats an element (broadcast).
 *
 * @param storage the elements
 * @param offset index of the first element in {@code storage}
 * @param shape sizes per dimension
 * @param strides element steps per dimension
 */
public record Strided(Storage storage, int offset, int[] shape, int[] strides) {
    /** The number of elements the view covers. */
    public int numel() {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    /** Whether the view is dense and row-major. */
    public boolean isContiguous() {
        int expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /** A dense row-major view of a whole storage. */
    public static Strided contiguous(Storage storage, int[] shape) {
        return new Strided(storage, 0, shape, contiguousStrides(shape));
    }

    /** Row-major strides for a shape. */
    public static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = s;
            s *= shape[d];
        }
        return strides;
    }
}
