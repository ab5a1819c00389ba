package org.sparkgrad.engine;

import java.util.Arrays;

/** Helpers shared by the differentiable ops. */
final class Ops {
    private Ops() {
    }

    /** Sums a broadcast gradient back down to {@code shape} (differentiably). */
    static Tensor sumToShape(Tensor g, int[] shape) {
        int[] gs = g.shapeRef();
        if (Arrays.equals(gs, shape)) {
            return g;
        }
        int lead = gs.length - shape.length;
        int count = 0;
        int[] dims = new int[gs.length];
        for (int d = 0; d < gs.length; d++) {
            if (d < lead || (shape[d - lead] == 1 && gs[d] != 1)) {
                dims[count++] = d;
            }
        }
        Tensor s = count == 0 ? g : g.sum(Arrays.copyOf(dims, count), true);
        return Arrays.equals(s.shapeRef(), shape) ? s : s.reshape(shape);
    }

    /** A gradient that is zero everywhere, shaped like t. */
    static Tensor zeros(Tensor like) {
        return Tensor.zerosLike(like);
    }
}
