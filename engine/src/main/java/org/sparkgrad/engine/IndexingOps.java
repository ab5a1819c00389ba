package org.sparkgrad.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** gather, index_select, advanced indexing, cat, stack, where, masked_fill: forward and VJP side by side. */
final class IndexingOps {
    private IndexingOps() {
    }

    static Tensor gather(Tensor x, int dim, Tensor index) {
        Dispatch.checkIndexTensor(index, "gather");
        int d = Shapes.wrapDim(dim, x.dim());
        if (x.dim() == 0 && index.dim() <= 1) {
            // PyTorch treats a 0-d input (and a 0-d index) as one element of a 1-d one.
            Tensor x1 = x.viewRaw(new int[] {1}, new int[] {1}, x.storageOffset());
            Tensor i1 = index.reshape(index.numel());
            Tensor out = Dispatch.gather(x1, 0, i1).viewRaw(index.shape());
            OpNode n = OpNode.record("GatherBackward0", x);
            return n == null ? out : n.finish(out, g -> new Tensor[] {
                scatterAddInto(new int[] {1}, 0, i1, g[0].reshape(i1.numel())).reshape()});
        }
        if (index.dim() != x.dim()) {
            throw new IllegalArgumentException("Index tensor must have the same number of dimensions as input tensor ("
                    + index.dim() + " vs " + x.dim() + ")");
        }
        for (int i = 0; i < x.dim(); i++) {
            if (i != d && index.size(i) > x.size(i)) {
                throw new IllegalArgumentException("Size does not match at dimension " + i + " expected index "
                        + Shapes.str(index.shapeRef()) + " to be smaller than self " + Shapes.str(x.shapeRef())
                        + " apart from dimension " + d);
            }
        }
        Tensor out = Dispatch.gather(x, d, index);
        OpNode n = OpNode.record("GatherBackward0", x);
        if (n == null) {
            return out;
        }
        int[] shape = x.shapeRef();
        return n.finish(out, g -> new Tensor[] {scatterAddInto(shape, d, index, g[0])});
    }

    /** zeros(shape) with src added at index along dim; differentiable in src. */
    static Tensor scatterAddInto(int[] shape, int dim, Tensor index, Tensor src) {
        Tensor out = Dispatch.scatterAddInto(shape, src.dtype(), dim, index, src);
        OpNode n = OpNode.record("ScatterAddBackward0", src);
        return n == null ? out : n.finish(out, g -> new Tensor[] {g[0].gather(dim, index)});
    }

    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        Dispatch.checkIndexTensor(index, "index_select");
        if (index.dim() > 1) {
            throw new IllegalArgumentException("index_select(): Index is supposed to be a vector, got " + index.dim() + "-d");
        }
        int d = Shapes.wrapDim(dim, x.dim());
        if (x.dim() == 0) {
            return indexSelectScalar(x, index);
        }
        int[] shape = x.shape();
        shape[d] = index.numel();
        // The index repeated across the other dimensions by stride 0: index_select is a gather.
        int[] strides = new int[shape.length];
        if (shape.length > 0) {
            strides[d] = index.dim() == 0 ? 0 : index.strides()[0];
        }
        Tensor expanded = index.viewRaw(shape, strides, index.storageOffset());
        Tensor out = Dispatch.gather(x, d, expanded);
        OpNode n = OpNode.record("IndexSelectBackward0", x);
        if (n == null) {
            return out;
        }
        int[] in = x.shapeRef();
        return n.finish(out, g -> new Tensor[] {scatterAddInto(in, d, expanded, g[0])});
    }

    /** index_select of a 0-d tensor: the index must be one 0 (or -1), the result is the element. */
    private static Tensor indexSelectScalar(Tensor x, Tensor index) {
        if (index.numel() != 1) {
            throw new IllegalArgumentException("index_select(): Index to scalar can have only 1 value, got "
                    + index.numel() + " value(s)");
        }
        long at = (long) index.item();
        if (at != 0 && at != -1) {
            throw new IndexOutOfBoundsException("index_select(): index " + at + " out of range for tensor of size [] at "
                    + "dimension 0");
        }
        Tensor out = Dispatch.contiguousCopy(x);
        OpNode n = OpNode.record("IndexSelectBackward0", x);
        return n == null ? out : n.finish(out, g -> new Tensor[] {g[0]});
    }

    /** x[i0, i1, ...] with int64 index tensors on the leading dimensions, or one bool mask. */
    static Tensor index(Tensor x, Tensor... indices) {
        if (indices.length == 1 && indices[0].dtype() == DType.BOOL) {
            indices = nonzero(indices[0], x);
        }
        int k = indices.length;
        if (k == 0 || k > x.dim()) {
            throw new IndexOutOfBoundsException("too many indices for tensor of dimension " + x.dim() + " (got " + k + ")");
        }
        int[] ishape = new int[0];
        for (Tensor t : indices) {
            Dispatch.checkIndexTensor(t, "index");
            Dispatch.sameDevice(x, t);
            ishape = Shapes.broadcast(ishape, t.shapeRef());
        }
        int count = Shapes.numel(ishape);
        double[] linear = new double[count];
        for (int j = 0; j < k; j++) {
            double[] v = x.backend().toHostDouble(indices[j].broadcastView(ishape));
            int size = x.size(j);
            for (int i = 0; i < count; i++) {
                long at = (long) v[i];
                if (at < -size || at >= size) {
                    throw new IndexOutOfBoundsException("index " + at + " is out of bounds for dimension " + j
                            + " with size " + size);
                }
                linear[i] = linear[i] * size + (at < 0 ? at + size : at);
            }
        }
        int lead = 1;
        for (int j = 0; j < k; j++) {
            lead *= x.size(j);
        }
        int[] rest = Arrays.copyOfRange(x.shapeRef(), k, x.dim());
        int[] flatShape = new int[rest.length + 1];
        flatShape[0] = lead;
        System.arraycopy(rest, 0, flatShape, 1, rest.length);
        int[] outShape = new int[ishape.length + rest.length];
        System.arraycopy(ishape, 0, outShape, 0, ishape.length);
        System.arraycopy(rest, 0, outShape, ishape.length, rest.length);
        Tensor lin = Tensor.tensor(linear, DType.INT64, count).to(x.device());
        Tensor flat;
        Tensor picked;
        try (GradMode.Scope s = GradMode.noGrad()) {
            flat = x.reshape(flatShape);
            picked = flat.indexSelect(0, lin).reshape(outShape);
        }
        Tensor out = Dispatch.contiguousCopy(picked);
        OpNode n = OpNode.record("IndexBackward0", x);
        if (n == null) {
            return out;
        }
        int[] in = x.shapeRef();
        return n.finish(out, g -> {
            Tensor gf = g[0].reshape(prepend(count, rest));
            // lin along dimension 0, repeated (stride 0) across the trailing dimensions.
            int[] st = new int[flatShape.length];
            st[0] = 1;
            Tensor expanded = lin.viewRaw(prepend(count, rest), st, lin.storageOffset());
            return new Tensor[] {scatterAddInto(flatShape, 0, expanded, gf).reshape(in)};
        });
    }

    private static int[] prepend(int first, int[] rest) {
        int[] s = new int[rest.length + 1];
        s[0] = first;
        System.arraycopy(rest, 0, s, 1, rest.length);
        return s;
    }

    /** The int64 coordinates of a bool mask's true elements, one index tensor per mask dimension. */
    private static Tensor[] nonzero(Tensor mask, Tensor x) {
        int nd = mask.dim();
        if (nd > x.dim()) {
            throw new IndexOutOfBoundsException("too many indices for tensor of dimension " + x.dim());
        }
        for (int d = 0; d < nd; d++) {
            if (mask.size(d) != x.size(d)) {
                throw new IndexOutOfBoundsException("The shape of the mask " + Shapes.str(mask.shapeRef()) + " at index " + d
                        + " does not match the shape of the indexed tensor " + Shapes.str(x.shapeRef()) + " at index " + d);
            }
        }
        double[] m = mask.toArray();
        List<int[]> hits = new ArrayList<>();
        for (int i = 0; i < m.length; i++) {
            if (m[i] != 0) {
                int[] idx = new int[nd];
                int r = i;
                for (int d = nd - 1; d >= 0; d--) {
                    idx[d] = r % mask.size(d);
                    r /= mask.size(d);
                }
                hits.add(idx);
            }
        }
        Tensor[] out = new Tensor[nd];
        for (int d = 0; d < nd; d++) {
            double[] v = new double[hits.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = hits.get(i)[d];
            }
            out[d] = Tensor.tensor(v, DType.INT64, v.length).to(x.device());
        }
        return out;
    }

    /** A 1-d tensor of size 0: cat skips it whatever the others' shapes (a legacy rule PyTorch keeps). */
    private static boolean legacyEmpty(Tensor x) {
        return x.dim() == 1 && x.size(0) == 0;
    }

    static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("torch.cat(): expected a non-empty list of Tensors");
        }
        Tensor first = tensors.stream().filter(x -> !legacyEmpty(x)).findFirst().orElse(tensors.get(0));
        int position = tensors.indexOf(first);
        if (first.dim() == 0) {
            throw new IllegalArgumentException("zero-dimensional tensor (at position " + position + ") cannot be concatenated");
        }
        int d = Shapes.wrapDim(dim, first.dim());
        DType t = first.dtype();
        int total = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor x = tensors.get(i);
            Dispatch.sameDevice(first, x);
            t = Dispatch.promote(Dispatch.as(first, t), x);
            if (legacyEmpty(x) && x != first) {
                continue;
            }
            if (x.dim() == 0) {
                throw new IllegalArgumentException("zero-dimensional tensor (at position " + i + ") cannot be concatenated");
            }
            if (x.dim() != first.dim()) {
                throw new IllegalArgumentException("Tensors must have same number of dimensions: got " + first.dim()
                        + " and " + x.dim());
            }
            for (int k = 0; k < x.dim(); k++) {
                if (k != d && x.size(k) != first.size(k)) {
                    throw new IllegalArgumentException("Sizes of tensors must match except in dimension " + d
                            + ". Expected size " + first.size(k) + " but got size " + x.size(k) + " for tensor number "
                            + i + " in the list.");
                }
            }
            total += x.size(d);
        }
        int[] shape = first.shape();
        shape[d] = total;
        Tensor out = Dispatch.emptyForOverwrite(first.device(), t, shape);
        int[] offsets = new int[tensors.size()];
        int[] sizes = new int[tensors.size()];
        int at = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor x = tensors.get(i);
            offsets[i] = at;
            if (legacyEmpty(x) && x != first) {
                sizes[i] = -1;
                continue;
            }
            sizes[i] = x.size(d);
            at += x.size(d);
        }
        copyParts(tensors, sizes, offsets, d, out);
        OpNode n = OpNode.record("CatBackward0", tensors.toArray(new Tensor[0]));
        if (n == null) {
            return out;
        }
        return n.finish(out, g -> {
            Tensor[] grads = new Tensor[sizes.length];
            for (int i = 0; i < sizes.length; i++) {
                if (!n.needsInputGrad(i)) {
                    continue;
                }
                grads[i] = sizes[i] < 0 ? Tensor.zeros(g[0].dtype(), 0).to(g[0].device())
                        : g[0].slice(d, offsets[i], offsets[i] + sizes[i]);
            }
            return grads;
        });
    }

    /** Output elements per block of {@link #copyParts}: a block of the output stays in the L2 cache. */
    private static final int CAT_BLOCK = 1 << 16;

    /**
     * Copies each part into its slice of out along d. Along an inner dim the parts' slices interleave: each
     * part's copy would then pass over the whole (cold) output once, so the copies go block by block of the
     * outermost dim, all parts into one block while it is in the cache.
     */
    private static void copyParts(List<Tensor> tensors, int[] sizes, int[] offsets, int d, Tensor out) {
        int[] st = out.strides();
        int rows = out.size(0);
        int perRow = rows == 0 ? 0 : out.numel() / rows;
        int block = d > 0 && perRow > 0 ? Math.max(1, CAT_BLOCK / perRow) : Math.max(1, rows);
        for (int r0 = 0; r0 < rows; r0 += block) {
            int len = Math.min(block, rows - r0);
            for (int i = 0; i < tensors.size(); i++) {
                if (sizes[i] < 0) {
                    continue;
                }
                Tensor x = tensors.get(i);
                int[] shape = x.shape();
                if (d > 0) {
                    shape[0] = len;
                }
                Tensor src = d > 0 ? x.viewRaw(shape, x.strides(), x.storageOffset() + r0 * x.strides()[0]) : x;
                Tensor part = out.viewRaw(shape, st, offsets[i] * st[d] + (d > 0 ? r0 * st[0] : 0));
                out.backend().copy(src.strided(), part.strided());
            }
        }
    }

    static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("stack expects a non-empty TensorList");
        }
        int[] shape = tensors.get(0).shapeRef();
        int d = Shapes.wrapDim(dim, shape.length + 1);
        List<Tensor> parts = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor x = tensors.get(i);
            if (!Arrays.equals(x.shapeRef(), shape)) {
                throw new IllegalArgumentException("stack expects each tensor to be equal size, but got "
                        + Shapes.str(shape) + " at entry 0 and " + Shapes.str(x.shapeRef()) + " at entry " + i);
            }
            parts.add(x.detach().unsqueeze(d));
        }
        Tensor out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            out = cat(parts, d);
        }
        OpNode n = OpNode.record("StackBackward0", tensors.toArray(new Tensor[0]));
        if (n == null) {
            return out;
        }
        int count = tensors.size();
        return n.finish(out, g -> {
            Tensor[] grads = new Tensor[count];
            for (int i = 0; i < count; i++) {
                grads[i] = n.needsInputGrad(i) ? g[0].select(d, i) : null;
            }
            return grads;
        });
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        Tensor out = Dispatch.where(cond, a, b);
        OpNode n = OpNode.record("WhereBackward0", a, b);
        if (n == null) {
            return out;
        }
        SavedTensor sc = n.save(cond);
        return n.finish(out, g -> {
            Tensor c = sc.unpack();
            Tensor zero = Tensor.zerosLike(g[0]);
            return new Tensor[] {
                n.needsInputGrad(0) ? Tensor.where(c, g[0], zero) : null,
                n.needsInputGrad(1) ? Tensor.where(c, zero, g[0]) : null};
        });
    }

    /** value where mask is true, else x; the result has the broadcast shape of x and mask, as in PyTorch. */
    static Tensor maskedFill(Tensor x, Tensor mask, double value) {
        return maskedFill(x, mask, Tensor.wrappedScalar(value, x.dtype(), x.device()), "MaskedFillBackward0");
    }

    /** masked_fill with a 0-d tensor value, differentiable in the value too (MaskedFillBackward1). */
    static Tensor maskedFill(Tensor x, Tensor mask, Tensor value) {
        if (value.dim() != 0) {
            throw new IllegalArgumentException("masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                    + "with " + value.dim() + " dimension(s).");
        }
        return maskedFill(x, mask, value, "MaskedFillBackward1");
    }

    private static Tensor maskedFill(Tensor x, Tensor mask, Tensor value, String name) {
        if (mask.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("masked_fill_ only supports boolean masks, but got mask with dtype "
                    + mask.dtype().pyName());
        }
        Tensor out = Dispatch.where(mask, Dispatch.as(value, x.dtype()), x);
        OpNode n = OpNode.record(name, x, value);
        if (n == null) {
            return out;
        }
        SavedTensor sm = n.save(mask);
        return n.finish(out, g -> {
            Tensor m = sm.unpack();
            Tensor zero = Tensor.zerosLike(g[0]);
            return new Tensor[] {
                n.needsInputGrad(0) ? Tensor.where(m, zero, g[0]) : null,
                n.needsInputGrad(1) ? Tensor.where(m, g[0], zero).sum() : null};
        });
    }
}
