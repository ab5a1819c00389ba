package org.sparkgrad.engine;

import java.util.Arrays;

/**
 * Autograd for in-place ops on views, as PyTorch's CopySlices: the op's result {@code r} is computed out of
 * place (with the view's history, which reaches the base's old history) and written into the view's region
 * of the storage; the base then takes a {@code CopySlices} node whose gradient for the base's old value is
 * the incoming gradient with the region zeroed, and whose gradient for {@code r} is the region. Views of
 * the base later see their history regenerated as an {@code AsStridedBackward0} view of the base's new
 * history (see {@code Tensor.syncViewHistory}). Both backwards are written with differentiable ops (gather,
 * scatter-add, where), so higher derivatives work.
 */
final class CopySlices {
    private CopySlices() {
    }

    /** Writes {@code result} (broadcast to the view's shape) into {@code view} and records CopySlices on base. */
    static void write(Tensor base, Tensor view, Tensor result) {
        Region region = Region.of(base, view, true);
        OpNode n = OpNode.record("CopySlices", base, result);
        view.backend().copy(result.broadcastView(view.shapeRef()), view.strided());
        view.bumpVersion();
        if (n != null) {
            n.finish(base, g -> new Tensor[] {
                n.needsInputGrad(0) ? region.zeroed(g[0]) : null,
                n.needsInputGrad(1) ? region.slice(g[0]) : null});
        }
    }

    /** The node making {@code view} a view of its base's current history (base requires grad). */
    static Node viewNode(Tensor base, Tensor view) {
        Region region = Region.of(base, view, false);
        // Built even when grad mode is off: the view's history is state, not something being recorded now.
        try (GradMode.Scope s = GradMode.enableGrad()) {
            OpNode n = OpNode.record("AsStridedBackward0", base);
            n.finish(view.detach(), g -> new Tensor[] {region.embed(g[0])}); // the caller installs n on the view
            return n;
        }
    }

    /**
     * Where a view's elements sit in its base: for each element of the view (row-major), the row-major index
     * of the same storage element in the base.
     */
    private static final class Region {
        private final int[] baseShape;
        private final int[] viewShape;
        private final long[] index;
        private final Device device;
        private Tensor indexTensor;

        private Region(int[] baseShape, int[] viewShape, long[] index, Device device) {
            this.baseShape = baseShape;
            this.viewShape = viewShape;
            this.index = index;
            this.device = device;
        }

        /**
         * The region of view in base. A region written to must not have two elements on one memory location (nor
         * may the base); a region only read from (a view's history, e.g. of an expand) may.
         */
        static Region of(Tensor base, Tensor view, boolean write) {
            int[] position = positions(view.shapeRef(), view.strides(), view.storageOffset());
            long[] index = new long[position.length];
            if (base.isContiguous()) {
                int n = base.numel();
                for (int i = 0; i < position.length; i++) {
                    int at = position[i] - base.storageOffset();
                    if (at < 0 || at >= n) {
                        throw outside(base, view);
                    }
                    index[i] = at;
                }
            } else {
                int[] basePositions = positions(base.shapeRef(), base.strides(), base.storageOffset());
                int lo = Arrays.stream(basePositions).min().orElse(0);
                int hi = Arrays.stream(basePositions).max().orElse(-1);
                int[] where = new int[hi - lo + 1];
                Arrays.fill(where, -1);
                for (int j = 0; j < basePositions.length; j++) {
                    if (where[basePositions[j] - lo] >= 0) {
                        if (!write) {
                            continue; // reading: the first base element on that location stands for it
                        }
                        throw new UnsupportedOperationException("in-place operation on a view of a tensor whose elements "
                                + "overlap in memory (shape " + Shapes.str(base.shapeRef()) + ", strides "
                                + Shapes.str(base.strides()) + ") is not supported; clone() the base first");
                    }
                    where[basePositions[j] - lo] = j;
                }
                for (int i = 0; i < position.length; i++) {
                    int p = position[i] - lo;
                    if (p < 0 || p >= where.length || where[p] < 0) {
                        throw outside(base, view);
                    }
                    index[i] = where[p];
                }
            }
            long[] sorted = index.clone();
            Arrays.sort(sorted);
            for (int i = 1; write && i < sorted.length; i++) {
                if (sorted[i] == sorted[i - 1]) {
                    throw new UnsupportedOperationException("unsupported operation: more than one element of the "
                            + "written-to tensor refers to a single memory location. Please clone() the tensor before "
                            + "performing the operation.");
                }
            }
            return new Region(base.shapeRef(), view.shapeRef(), index, base.device());
        }

        private static IllegalStateException outside(Tensor base, Tensor view) {
            return new IllegalStateException("view (shape " + Shapes.str(view.shapeRef()) + ", strides "
                    + Shapes.str(view.strides()) + ", offset " + view.storageOffset() + ") reaches outside its base (shape "
                    + Shapes.str(base.shapeRef()) + ", strides " + Shapes.str(base.strides()) + ", offset "
                    + base.storageOffset() + ")");
        }

        /** Storage positions of a geometry's elements in row-major order. */
        private static int[] positions(int[] shape, int[] strides, int offset) {
            int n = Shapes.numel(shape);
            int[] out = new int[n];
            int[] idx = new int[shape.length];
            int at = offset;
            for (int i = 0; i < n; i++) {
                out[i] = at;
                for (int d = shape.length - 1; d >= 0; d--) {
                    if (++idx[d] < shape[d]) {
                        at += strides[d];
                        break;
                    }
                    at -= strides[d] * (shape[d] - 1);
                    idx[d] = 0;
                }
            }
            return out;
        }

        private Tensor indexTensor() {
            if (indexTensor == null) {
                double[] v = new double[index.length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = index[i];
                }
                indexTensor = Tensor.tensor(v, DType.INT64, v.length).to(device);
            }
            return indexTensor;
        }

        /** The view's part of a base-shaped gradient, in the view's shape. */
        Tensor slice(Tensor g) {
            int n = Shapes.numel(baseShape);
            return g.reshape(n).gather(0, indexTensor()).reshape(viewShape);
        }

        /**
         * A base-shaped gradient with the view's part zeroed. The mask is rebuilt per call rather than kept:
         * a loop writing rows of a buffer makes one node per row, and base-sized masks would add up.
         */
        Tensor zeroed(Tensor g) {
            double[] mask = new double[Shapes.numel(baseShape)];
            Arrays.fill(mask, 1);
            for (long i : index) {
                mask[(int) i] = 0;
            }
            return Tensor.where(Tensor.tensor(mask, DType.BOOL, baseShape).to(device), g, 0.0);
        }

        /** zeros(base shape) with a view-shaped gradient placed at the view's elements. */
        Tensor embed(Tensor g) {
            int n = Shapes.numel(baseShape);
            return IndexingOps.scatterAddInto(new int[] {n}, 0, indexTensor(), g.reshape(index.length)).reshape(baseShape);
        }
    }
}
