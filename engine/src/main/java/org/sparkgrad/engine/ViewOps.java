package org.sparkgrad.engine;

import java.util.function.UnaryOperator;

/**
 * Ops that only change geometry (views sharing storage, no copy), plus clone and type/device copies:
 * forward and vector-Jacobian product side by side.
 */
final class ViewOps {
    private ViewOps() {
    }

    /**
     * Records the node of a view op whose gradient is computed by {@code vjp}, and marks {@code out} as a view
     * of {@code x} (in-place ops on it then rewrite its base's history).
     */
    private static Tensor viewNode(String name, Tensor x, Tensor out, UnaryOperator<Tensor> vjp) {
        out.markViewOf(x);
        return copyNode(name, x, out, vjp);
    }

    /** Records the node of a one-input op whose output is not a view (clone, type copies). */
    private static Tensor copyNode(String name, Tensor x, Tensor out, UnaryOperator<Tensor> vjp) {
        OpNode n = OpNode.record(name, x);
        return n == null ? out : n.finish(out, g -> new Tensor[] {vjp.apply(g[0])});
    }

    static Tensor alias(Tensor x, String name) {
        Tensor out = x.viewRaw(x.shapeRef(), x.strides(), x.storageOffset());
        return viewNode(name, x, out, g -> g);
    }

    static Tensor transpose(Tensor x, int dim0, int dim1, String name) {
        int nd = x.dim();
        int a = Shapes.wrapDim(dim0, nd);
        int b = Shapes.wrapDim(dim1, nd);
        if (nd == 0) {
            return alias(x, name);
        }
        int[] shape = x.shape();
        int[] strides = x.strides();
        swap(shape, a, b);
        swap(strides, a, b);
        Tensor out = x.viewRaw(shape, strides, x.storageOffset());
        return viewNode(name, x, out, g -> g.transpose(a, b));
    }

    private static void swap(int[] v, int a, int b) {
        int t = v[a];
        v[a] = v[b];
        v[b] = t;
    }

    static Tensor permute(Tensor x, int[] dims) {
        int nd = x.dim();
        if (dims.length != nd) {
            throw new IllegalArgumentException("permute(sparse_coo): number of dimensions in the tensor input does not "
                    + "match the length of the desired ordering of dimensions i.e. input.dim() = " + nd
                    + " is not equal to len(dims) = " + dims.length);
        }
        int[] shape = new int[nd];
        int[] strides = new int[nd];
        int[] inverse = new int[nd];
        boolean[] seen = new boolean[nd];
        for (int i = 0; i < nd; i++) {
            int d = Shapes.wrapDim(dims[i], nd);
            if (seen[d]) {
                throw new IllegalArgumentException("permute(): duplicate dims are not allowed.");
            }
            seen[d] = true;
            shape[i] = x.size(d);
            strides[i] = x.strides()[d];
            inverse[d] = i;
        }
        Tensor out = x.viewRaw(shape, strides, x.storageOffset());
        return viewNode("PermuteBackward0", x, out, g -> g.permute(inverse));
    }

    static Tensor view(Tensor x, int[] requested) {
        int[] shape = Shapes.inferSize(requested, x.numel());
        int[] strides = Shapes.viewStrides(x.shapeRef(), x.strides(), shape);
        if (strides == null) {
            throw new IllegalStateException("view size is not compatible with input tensor's size and stride (at least one "
                    + "dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
        }
        Tensor out = x.viewRaw(shape, strides, x.storageOffset());
        int[] in = x.shapeRef();
        return viewNode("ViewBackward0", x, out, g -> g.reshape(in));
    }

    static Tensor reshape(Tensor x, int[] requested) {
        int[] shape = Shapes.inferSize(requested, x.numel());
        int[] strides = Shapes.viewStrides(x.shapeRef(), x.strides(), shape);
        int[] in = x.shapeRef();
        if (strides != null) {
            Tensor out = x.viewRaw(shape, strides, x.storageOffset());
            return viewNode("ReshapeAliasBackward0", x, out, g -> g.reshape(in));
        }
        Tensor copy = cloneTensor(x);
        Tensor out = copy.viewRaw(shape, org.sparkgrad.engine.backend.Strided.contiguousStrides(shape), 0);
        return copyNode("UnsafeViewBackward0", copy, out, g -> g.reshape(in));
    }

    static Tensor flatten(Tensor x, int startDim, int endDim) {
        if (x.dim() == 0) {
            return reshape(x, new int[] {1});
        }
        int s = Shapes.wrapDim(startDim, x.dim());
        int e = Shapes.wrapDim(endDim, x.dim());
        if (s > e) {
            throw new IllegalArgumentException("flatten() has invalid args: start_dim cannot come after end_dim");
        }
        int[] shape = new int[x.dim() - (e - s)];
        int k = 0;
        for (int d = 0; d < s; d++) {
            shape[k++] = x.size(d);
        }
        int merged = 1;
        for (int d = s; d <= e; d++) {
            merged *= x.size(d);
        }
        shape[k++] = merged;
        for (int d = e + 1; d < x.dim(); d++) {
            shape[k++] = x.size(d);
        }
        return s == e ? x : reshape(x, shape);
    }

    static Tensor squeeze(Tensor x) {
        int count = 0;
        for (int s : x.shapeRef()) {
            count += s == 1 ? 0 : 1;
        }
        int[] shape = new int[count];
        int[] strides = new int[count];
        for (int d = 0, k = 0; d < x.dim(); d++) {
            if (x.size(d) != 1) {
                shape[k] = x.size(d);
                strides[k++] = x.strides()[d];
            }
        }
        Tensor out = x.viewRaw(shape, strides, x.storageOffset());
        int[] in = x.shapeRef();
        return viewNode("SqueezeBackward0", x, out, g -> g.reshape(in));
    }

    static Tensor squeeze(Tensor x, int dim, String name) {
        if (x.dim() == 0) {
            return alias(x, name);
        }
        int d = Shapes.wrapDim(dim, x.dim());
        if (x.size(d) != 1) {
            return alias(x, name);
        }
        int[] shape = new int[x.dim() - 1];
        int[] strides = new int[x.dim() - 1];
        for (int i = 0, k = 0; i < x.dim(); i++) {
            if (i != d) {
                shape[k] = x.size(i);
                strides[k++] = x.strides()[i];
            }
        }
        Tensor out = x.viewRaw(shape, strides, x.storageOffset());
        return viewNode(name, x, out, g -> g.unsqueeze(d));
    }

    static Tensor unsqueeze(Tensor x, int dim) {
        int d = Shapes.wrapDim(dim, x.dim() + 1);
        int[] shape = new int[x.dim() + 1];
        int[] strides = new int[x.dim() + 1];
        for (int i = 0, k = 0; i <= x.dim(); i++) {
            if (i == d) {
                shape[i] = 1;
                strides[i] = d < x.dim() ? x.strides()[d] * x.size(d) : 1;
            } else {
                shape[i] = x.size(k);
                strides[i] = x.strides()[k++];
            }
        }
        Tensor out = x.viewRaw(shape, strides, x.storageOffset());
        return viewNode("UnsqueezeBackward0", x, out, g -> g.squeeze(d));
    }

    static Tensor expand(Tensor x, int[] sizes) {
        int nd = sizes.length;
        if (nd < x.dim()) {
            throw new IllegalArgumentException("expand(" + x.dtype().legacyName() + "{" + Shapes.str(x.shapeRef())
                    + "}, size=" + Shapes.str(sizes) + "): the number of sizes provided (" + nd + ") must be greater or "
                    + "equal to the number of dimensions in the tensor (" + x.dim() + ")");
        }
        int[] shape = new int[nd];
        int[] strides = new int[nd];
        int lead = nd - x.dim();
        for (int i = 0; i < nd; i++) {
            int want = sizes[i];
            if (i < lead) {
                if (want < 0) {
                    throw new IllegalArgumentException("The expanded size of the tensor (" + want + ") isn't allowed in a "
                            + "leading, non-existing dimension " + i);
                }
                shape[i] = want;
                strides[i] = 0;
                continue;
            }
            int have = x.size(i - lead);
            if (want == -1) {
                want = have;
            }
            if (have == want) {
                shape[i] = have;
                strides[i] = x.strides()[i - lead];
            } else if (have == 1 && want >= 0) {
                shape[i] = want;
                strides[i] = 0;
            } else {
                throw new IllegalArgumentException("The expanded size of the tensor (" + want + ") must match the existing "
                        + "size (" + have + ") at non-singleton dimension " + i + ".  Target sizes: " + Shapes.str(sizes)
                        + ".  Tensor sizes: " + Shapes.str(x.shapeRef()));
            }
        }
        // Even to the same shape the result is a new view with its own node, as in PyTorch.
        Tensor out = x.viewRaw(shape, strides, x.storageOffset());
        int[] in = x.shapeRef();
        return viewNode("ExpandBackward0", x, out, g -> ReductionOps.sumToShape(g, in));
    }

    static Tensor select(Tensor x, int dim, int index) {
        if (x.dim() == 0) {
            throw new IndexOutOfBoundsException("select() cannot be applied to a 0-dim tensor.");
        }
        int d = Shapes.wrapDim(dim, x.dim());
        int size = x.size(d);
        if (index < -size || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " is out of bounds for dimension " + d + " with size " + size);
        }
        int i = index < 0 ? index + size : index;
        int[] shape = new int[x.dim() - 1];
        int[] strides = new int[x.dim() - 1];
        for (int k = 0, j = 0; k < x.dim(); k++) {
            if (k != d) {
                shape[j] = x.size(k);
                strides[j++] = x.strides()[k];
            }
        }
        Tensor out = x.viewRaw(shape, strides, x.storageOffset() + i * x.strides()[d]);
        int[] in = x.shapeRef();
        return viewNode("SelectBackward0", x, out, g -> embed(g, in, t -> t.select(d, i), "SelectBackwardBackward0"));
    }

    static Tensor slice(Tensor x, int dim, int start, int end, int step) {
        if (x.dim() == 0) {
            throw new IndexOutOfBoundsException("slice() cannot be applied to a 0-dim tensor.");
        }
        if (step <= 0) {
            throw new IllegalArgumentException("slice step must be positive, got " + step);
        }
        int d = Shapes.wrapDim(dim, x.dim());
        int size = x.size(d);
        int s = clip(start, size);
        int e = Math.max(clip(end, size), s);
        int len = (e - s + step - 1) / step;
        int[] shape = x.shape();
        int[] strides = x.strides();
        shape[d] = len;
        int offset = x.storageOffset() + (len == 0 ? 0 : s * strides[d]);
        strides[d] *= step;
        Tensor out = x.viewRaw(shape, strides, offset);
        int[] in = x.shapeRef();
        return viewNode("SliceBackward0", x, out, g -> embed(g, in, t -> t.slice(d, s, e, step), "SliceBackwardBackward0"));
    }

    /** length elements from start along dim (start may be negative), a view recorded as PyTorch's slice. */
    static Tensor narrow(Tensor x, int dim, int start, int length) {
        if (x.dim() == 0) {
            throw new IndexOutOfBoundsException("narrow() cannot be applied to a 0-dim tensor.");
        }
        if (length < 0) {
            throw new IllegalArgumentException("narrow(): length must be non-negative.");
        }
        int d = Shapes.wrapDim(dim, x.dim());
        int size = x.size(d);
        if (start < -size || start > size) {
            throw new IndexOutOfBoundsException("start out of range (expected to be in range of [" + (-size) + ", " + size
                    + "], but got " + start + ")");
        }
        int s = start < 0 ? start + size : start;
        if (s + length > size) {
            throw new IllegalArgumentException("start (" + s + ") + length (" + length + ") exceeds dimension size ("
                    + size + ").");
        }
        return slice(x, d, s, s + length, 1);
    }

    private static int clip(int i, int size) {
        if (i < 0) {
            i += size;
        }
        return Math.max(0, Math.min(size, i));
    }

    /** zeros(shape) with g written into the part that {@code place} views; differentiable in g. */
    static Tensor embed(Tensor g, int[] shape, UnaryOperator<Tensor> place, String name) {
        Tensor out = Dispatch.empty(g.device(), g.dtype(), shape);
        Tensor target;
        try (GradMode.Scope s = GradMode.noGrad()) {
            target = place.apply(out);
        }
        out.backend().copy(g.broadcastView(target.shapeRef()), target.strided());
        OpNode n = OpNode.record(name, g);
        return n == null ? out : n.finish(out, gg -> new Tensor[] {place.apply(gg[0])});
    }

    static Tensor cloneTensor(Tensor x) {
        Tensor out = Dispatch.contiguousCopy(x);
        return copyNode("CloneBackward0", x, out, g -> g);
    }

    static Tensor toCopy(Tensor x, DType dtype, Device device) {
        Tensor out;
        if (device.equals(x.device())) {
            out = Dispatch.cast(x, dtype);
        } else {
            Tensor host = Dispatch.cast(x, dtype);
            out = Tensor.wrap(Devices.backend(device).fromHost(dtype, host.toArray()), x.shape());
        }
        if (!dtype.isFloatingPoint()) {
            return out;
        }
        DType from = x.dtype();
        Device at = x.device();
        return copyNode("ToCopyBackward0", x, out, g -> g.to(from).to(at));
    }
}
