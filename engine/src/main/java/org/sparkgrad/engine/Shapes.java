package org.sparkgrad.engine;

import java.util.Arrays;
import org.sparkgrad.engine.backend.Strided;

/** Shape arithmetic: broadcasting, dimension wrapping and PyTorch-style printing of sizes. */
final class Shapes {
    private Shapes() {
    }

    static int numel(int[] shape) {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Tensor of shape " + str(shape) + " has " + n
                    + " elements; at most " + Integer.MAX_VALUE + " are supported");
        }
        return (int) n;
    }

    static void checkSizes(int[] shape) {
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException(
                        "Trying to create tensor with negative dimension " + s + ": " + str(shape));
            }
        }
        numel(shape);
    }

    /** The broadcast shape of a and b, or PyTorch's error naming the first dimension that disagrees. */
    static int[] broadcast(int[] a, int[] b) {
        int nd = Math.max(a.length, b.length);
        int[] out = new int[nd];
        for (int i = 0; i < nd; i++) {
            int da = i - (nd - a.length);
            int db = i - (nd - b.length);
            int sa = da >= 0 ? a[da] : 1;
            int sb = db >= 0 ? b[db] : 1;
            if (sa != sb && sa != 1 && sb != 1) {
                throw new IllegalArgumentException("The size of tensor a (" + sa + ") must match the size of tensor b ("
                        + sb + ") at non-singleton dimension " + i);
            }
            out[i] = sa == 1 ? sb : sa;
        }
        return out;
    }

    /** Whether {@code from} broadcasts to {@code to}. */
    static boolean broadcastsTo(int[] from, int[] to) {
        if (from.length > to.length) {
            return false;
        }
        for (int i = 0; i < from.length; i++) {
            int f = from[from.length - 1 - i];
            int t = to[to.length - 1 - i];
            if (f != t && f != 1) {
                return false;
            }
        }
        return true;
    }

    /** Wraps a possibly negative dimension index, with PyTorch's message when out of range. */
    static int wrapDim(int dim, int ndim) {
        int n = Math.max(ndim, 1);
        if (dim < -n || dim >= n) {
            throw new IndexOutOfBoundsException("Dimension out of range (expected to be in range of [" + (-n) + ", "
                    + (n - 1) + "], but got " + dim + ")");
        }
        return dim < 0 ? dim + n : dim;
    }

    static boolean[] dimMask(int[] dims, int ndim) {
        boolean[] mask = new boolean[ndim];
        for (int d : dims) {
            int w = wrapDim(d, ndim);
            if (mask[w]) {
                throw new IllegalArgumentException("dim " + w + " appears multiple times in the list of dims");
            }
            mask[w] = true;
        }
        return mask;
    }

    /** Python-style list: {@code [2, 3]}. */
    static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** PyTorch's {@code torch.Size([2, 3])}. */
    static String size(int[] shape) {
        return "torch.Size(" + Arrays.toString(shape) + ")";
    }

    /** {@code 64x1000} as in matrix-product messages. */
    static String times(int[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            sb.append(i > 0 ? "x" : "").append(shape[i]);
        }
        return sb.toString();
    }

    /** Resolves one -1 in a requested shape against numel, with PyTorch's messages. */
    static int[] inferSize(int[] requested, int numel) {
        int[] shape = requested.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("only one dimension can be inferred");
                }
                infer = i;
            } else if (shape[i] < 0) {
                throw new IllegalArgumentException("invalid shape dimension " + shape[i]);
            } else {
                known *= shape[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 && numel == 0) {
                throw new IllegalArgumentException("cannot reshape tensor of 0 elements into shape " + str(requested)
                        + " because the unspecified dimension size -1 can be any value and is ambiguous");
            }
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException("shape '" + str(requested) + "' is invalid for input of size " + numel);
            }
            shape[infer] = (int) (numel / known);
        } else if (known != numel) {
            throw new IllegalArgumentException("shape '" + str(requested) + "' is invalid for input of size " + numel);
        }
        return shape;
    }

    /**
     * Strides that let a tensor of (shape, strides) be viewed as newShape without a copy, or null when a
     * view is impossible (a dimension would span two non-contiguous chunks).
     */
    static int[] viewStrides(int[] shape, int[] strides, int[] newShape) {
        int[] out = new int[newShape.length];
        if (shape.length == 0) {
            java.util.Arrays.fill(out, 1);
            return out;
        }
        if (numel(shape) == 0) {
            return Strided.contiguousStrides(newShape);
        }
        int viewD = newShape.length - 1;
        long chunkBase = strides.length == 0 ? 1 : strides[strides.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    out[viewD] = (int) (viewNumel * chunkBase);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (d > 0) {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        if (viewD != -1) {
            return null;
        }
        return out;
    }
}
