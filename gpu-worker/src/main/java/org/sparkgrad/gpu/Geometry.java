package org.sparkgrad.gpu;

import org.sparkgrad.engine.backend.Strided;

/**
 * Packs a launch's geometry into the kernels' {@code SgGeom} struct, passed by value as 46 ints: ndim, numel,
 * shape[8], offset[4], stride[4][8] (operand-major).
 */
final class Geometry {
    static final int MAX_DIMS = 8;
    static final int MAX_OPERANDS = 4;
    static final int INTS = 2 + MAX_DIMS + MAX_OPERANDS + MAX_OPERANDS * MAX_DIMS;

    private Geometry() {
    }

    /** The geometry of operands viewed with one shape (each operand's own strides and offset). */
    static int[] of(int[] shape, Strided... operands) {
        int[][] strides = new int[operands.length][];
        int[] offsets = new int[operands.length];
        for (int k = 0; k < operands.length; k++) {
            strides[k] = operands[k].strides();
            offsets[k] = operands[k].offset();
        }
        return of(shape, offsets, strides);
    }

    /** The geometry from explicit offsets and strides per operand. */
    static int[] of(int[] shape, int[] offsets, int[][] strides) {
        if (shape.length > MAX_DIMS) {
            throw new UnsupportedOperationException("the CUDA kernels take at most " + MAX_DIMS
                    + " dimensions, got a tensor of shape " + java.util.Arrays.toString(shape));
        }
        if (offsets.length > MAX_OPERANDS) {
            throw new IllegalArgumentException("at most " + MAX_OPERANDS + " operands, got " + offsets.length);
        }
        int[] g = new int[INTS];
        g[0] = shape.length;
        long numel = 1;
        for (int d = 0; d < shape.length; d++) {
            g[2 + d] = shape[d];
            numel *= shape[d];
        }
        g[1] = Math.toIntExact(numel);
        for (int k = 0; k < offsets.length; k++) {
            g[2 + MAX_DIMS + k] = offsets[k];
            if (strides[k].length != shape.length) {
                throw new IllegalArgumentException("operand " + k + " has " + strides[k].length
                        + " strides for a shape of rank " + shape.length);
            }
            System.arraycopy(strides[k], 0, g, 2 + MAX_DIMS + MAX_OPERANDS + k * MAX_DIMS, shape.length);
        }
        return g;
    }
}
