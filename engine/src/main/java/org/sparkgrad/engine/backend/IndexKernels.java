package org.sparkgrad.engine.backend;

/**
 * The float32 and float64 loops of gather, scatter-add and arg-max/min on the arrays themselves (the generic
 * paths of {@link CpuBackend} go through {@link CpuStorage#get}/{@link CpuStorage#set} per element). Indices
 * are INT64 storages, that is doubles. A row whose index is one repeated element (an {@code index_select},
 * whose index is expanded by stride 0) moves as one block.
 */
final class IndexKernels {
    private IndexKernels() {
    }

    /** Checks an index against a dimension's size and wraps a negative one. */
    static int checkedIndex(double value, int size, int dim) {
        // the common case in one comparison pair, the wrap and the error out of line (keeps this one inlined)
        return value >= 0 && value < size ? (int) value : wrappedIndex(value, size, dim);
    }

    private static int wrappedIndex(double value, int size, int dim) {
        long v = (long) value;
        if (v < -size || v >= size) {
            throw new IndexOutOfBoundsException(
                    "index " + v + " is out of bounds for dimension " + dim + " with size " + size);
        }
        return (int) (v < 0 ? v + size : v);
    }

    /**
     * Whether a gather along dim with this index is an index_select: the index varies along dim only (stride 0
     * elsewhere) and has x's sizes on the other dimensions, so each index picks a whole block of x.
     */
    static boolean selectsBlocks(int[] xShape, int dim, Strided index) {
        for (int k = 0; k < xShape.length; k++) {
            if (k != dim && (index.shape()[k] != xShape[k] || (index.strides()[k] != 0 && index.shape()[k] != 1))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The index_select of contiguous x (float[] or double[], seen as [P, size, q]) into contiguous out ([P, r, q],
     * total elements): out[p, j, :] = x[p, index[ii + j * ti], :], blocks of q elements copied whole and spread
     * over threads.
     */
    static void selectBlocks(Object x, int xo, int size, double[] index, int ii, int ti, int r, Object out, int oo,
            int total, int q, int dim) {
        if (total == 0) {
            return;
        }
        int blocks = total / q;
        int tasks = Math.min(blocks, Parallel.tasksFor(total));
        Parallel.forEach(tasks, t -> {
            int from = (int) ((long) blocks * t / tasks);
            int to = (int) ((long) blocks * (t + 1) / tasks);
            // typed copies: an arraycopy between Objects goes through the generic (type-checking) stub
            if (x instanceof float[] xf) {
                selectBlocks(xf, xo, size, index, ii, ti, r, (float[]) out, oo, q, dim, from, to);
            } else {
                selectBlocks((double[]) x, xo, size, index, ii, ti, r, (double[]) out, oo, q, dim, from, to);
            }
        });
    }

    /** Blocks from .. to - 1 of {@link #selectBlocks(Object, int, int, double[], int, int, int, Object, int, int, int, int)}. */
    private static void selectBlocks(float[] x, int xo, int size, double[] index, int ii, int ti, int r, float[] out,
            int oo, int q, int dim, int from, int to) {
        for (int b = from, p = from / r, j = from - p * r; b < to; b++) {
            int at = checkedIndex(index[ii + j * ti], size, dim);
            System.arraycopy(x, xo + (p * size + at) * q, out, oo + b * q, q);
            if (++j == r) {
                j = 0;
                p++;
            }
        }
    }

    private static void selectBlocks(double[] x, int xo, int size, double[] index, int ii, int ti, int r, double[] out,
            int oo, int q, int dim, int from, int to) {
        for (int b = from, p = from / r, j = from - p * r; b < to; b++) {
            int at = checkedIndex(index[ii + j * ti], size, dim);
            System.arraycopy(x, xo + (p * size + at) * q, out, oo + b * q, q);
            if (++j == r) {
                j = 0;
                p++;
            }
        }
    }

    /**
     * Whether gather(x, dim, index) into out can take {@link #gatherContiguous}: all three contiguous, index
     * (and out) of x's sizes on every dimension but dim.
     */
    static boolean gathersContiguous(Strided x, int dim, Strided index, Strided out) {
        if (!x.isContiguous() || !index.isContiguous() || !out.isContiguous()) {
            return false;
        }
        for (int k = 0; k < x.shape().length; k++) {
            if (k != dim && index.shape()[k] != x.shape()[k]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The gather of contiguous x (seen as [P, size, q]) by a contiguous index into contiguous o (both [P, m, q]):
     * o[p, j, k] = x[p, index[p, j, k], k], the p spread over threads.
     */
    static void gatherContiguous(Object x, int xo, int size, double[] index, int ii, Object o, int oo, int outer,
            int m, int q, int dim) {
        int tasks = Math.min(outer, Parallel.tasksFor((long) outer * m * q));
        Parallel.forEach(tasks, t -> {
            int from = (int) ((long) outer * t / tasks);
            int to = (int) ((long) outer * (t + 1) / tasks);
            if (q == 1) {
                if (x instanceof float[] xf) {
                    gatherLast(xf, xo, size, index, ii, (float[]) o, oo, m, from, to, dim);
                } else {
                    gatherLast((double[]) x, xo, size, index, ii, (double[]) o, oo, m, from, to, dim);
                }
                return;
            }
            // runs of q, one per (p, j)
            for (int p = from; p < to; p++) {
                for (int j = 0; j < m; j++) {
                    int e = (p * m + j) * q;
                    int xb = xo + p * size * q;
                    if (x instanceof float[] xf) {
                        gather(xf, xb, 1, index, ii + e, 1, (float[]) o, oo + e, 1, q, q, size, dim);
                    } else {
                        gather((double[]) x, xb, 1, index, ii + e, 1, (double[]) o, oo + e, 1, q, q, size, dim);
                    }
                }
            }
        });
    }

    /**
     * Rows from .. to - 1 of a gather along the last dimension: o[p * m + j] = x[p * size + index[p * m + j]]. One
     * flat loop over the elements, so that a gather of one element a row (cross entropy's pick) and one of
     * long rows compile the same loop (a nested loop compiled for one-element rows ran long rows slowly).
     */
    private static void gatherLast(float[] x, int xo, int size, double[] index, int ii, float[] o, int oo, int m,
            int from, int to, int dim) {
        int xb = xo + from * size;
        for (int e = from * m, end = to * m, j = 0; e < end; e++) {
            o[oo + e] = x[xb + checkedIndex(index[ii + e], size, dim)];
            if (++j == m) {
                j = 0;
                xb += size;
            }
        }
    }

    private static void gatherLast(double[] x, int xo, int size, double[] index, int ii, double[] o, int oo, int m,
            int from, int to, int dim) {
        int xb = xo + from * size;
        for (int e = from * m, end = to * m, j = 0; e < end; e++) {
            o[oo + e] = x[xb + checkedIndex(index[ii + e], size, dim)];
            if (++j == m) {
                j = 0;
                xb += size;
            }
        }
    }

    /** o[io + i*to] = a[ia + i*ta + index[ii + i*ti] * step] for i < n. */
    static void gather(float[] a, int ia, int ta, double[] index, int ii, int ti, float[] o, int io, int to, int n,
            int step, int size, int dim) {
        if (ti == 0) {
            int from = ia + checkedIndex(index[ii], size, dim) * step;
            if (ta == 1 && to == 1) {
                System.arraycopy(a, from, o, io, n);
            } else {
                for (int i = 0; i < n; i++, from += ta, io += to) {
                    o[io] = a[from];
                }
            }
            return;
        }
        if (ti == 1 && to == 1) {
            // contiguous index and output (the usual case): indexed by i, so the JIT drops their range checks
            for (int i = 0; i < n; i++) {
                o[io + i] = a[ia + i * ta + checkedIndex(index[ii + i], size, dim) * step];
            }
            return;
        }
        for (int i = 0; i < n; i++, ia += ta, ii += ti, io += to) {
            o[io] = a[ia + checkedIndex(index[ii], size, dim) * step];
        }
    }

    static void gather(double[] a, int ia, int ta, double[] index, int ii, int ti, double[] o, int io, int to, int n,
            int step, int size, int dim) {
        if (ti == 0) {
            int from = ia + checkedIndex(index[ii], size, dim) * step;
            if (ta == 1 && to == 1) {
                System.arraycopy(a, from, o, io, n);
            } else {
                for (int i = 0; i < n; i++, from += ta, io += to) {
                    o[io] = a[from];
                }
            }
            return;
        }
        if (ti == 1 && to == 1) {
            // contiguous index and output (the usual case): indexed by i, so the JIT drops their range checks
            for (int i = 0; i < n; i++) {
                o[io + i] = a[ia + i * ta + checkedIndex(index[ii + i], size, dim) * step];
            }
            return;
        }
        for (int i = 0; i < n; i++, ia += ta, ii += ti, io += to) {
            o[io] = a[ia + checkedIndex(index[ii], size, dim) * step];
        }
    }

    /**
     * The scatter-add into contiguous o (seen as [P, size, q]) of contiguous s by a contiguous index (both
     * [P, m, q]): o[p, index[p, j, k], k] += s[p, j, k], serially in element order (several may land on one).
     */
    static void scatterAddContiguous(Object o, int oo, int size, double[] index, int ii, Object s, int so, int outer,
            int m, int q, int dim) {
        // dim last (q == 1): one run of m per p, o's base fixed (step 0); else runs of q, one per (p, j)
        int runs = q == 1 ? 1 : m;
        int n = q == 1 ? m : q;
        int to = q == 1 ? 0 : 1;
        for (int p = 0; p < outer; p++) {
            for (int j = 0; j < runs; j++) {
                int e = (p * m + j) * q;
                int ob = oo + p * size * q;
                if (o instanceof float[] of) {
                    scatterAdd(of, ob, to, index, ii + e, 1, (float[]) s, so + e, 1, n, q, size, dim);
                } else {
                    scatterAdd((double[]) o, ob, to, index, ii + e, 1, (double[]) s, so + e, 1, n, q, size, dim);
                }
            }
        }
    }

    /** o[io + i*to + index[ii + i*ti] * step] += s[is + i*ts] for i < n, in order. */
    static void scatterAdd(float[] o, int io, int to, double[] index, int ii, int ti, float[] s, int is, int ts, int n,
            int step, int size, int dim) {
        if (ti == 0) {
            int at = io + checkedIndex(index[ii], size, dim) * step;
            if (to == 1 && ts == 1) {
                for (int i = 0; i < n; i++) {
                    o[at + i] += s[is + i];
                }
            } else {
                for (int i = 0; i < n; i++, at += to, is += ts) {
                    o[at] += s[is];
                }
            }
            return;
        }
        if (ti == 1 && ts == 1) {
            // contiguous index and source: indexed by i, so the JIT drops their range checks
            for (int i = 0; i < n; i++) {
                o[io + i * to + checkedIndex(index[ii + i], size, dim) * step] += s[is + i];
            }
            return;
        }
        for (int i = 0; i < n; i++, io += to, ii += ti, is += ts) {
            o[io + checkedIndex(index[ii], size, dim) * step] += s[is];
        }
    }

    static void scatterAdd(double[] o, int io, int to, double[] index, int ii, int ti, double[] s, int is, int ts, int n,
            int step, int size, int dim) {
        if (ti == 0) {
            int at = io + checkedIndex(index[ii], size, dim) * step;
            if (to == 1 && ts == 1) {
                for (int i = 0; i < n; i++) {
                    o[at + i] += s[is + i];
                }
            } else {
                for (int i = 0; i < n; i++, at += to, is += ts) {
                    o[at] += s[is];
                }
            }
            return;
        }
        if (ti == 1 && ts == 1) {
            // contiguous index and source: indexed by i, so the JIT drops their range checks
            for (int i = 0; i < n; i++) {
                o[io + i * to + checkedIndex(index[ii + i], size, dim) * step] += s[is + i];
            }
            return;
        }
        for (int i = 0; i < n; i++, io += to, ii += ti, is += ts) {
            o[io + checkedIndex(index[ii], size, dim) * step] += s[is];
        }
    }

    /**
     * The first max (min) of each of n runs of len elements along {@code step}, the runs starting {@code runStep}
     * apart from {@code from}: values to v[vo + r], indices to idx[xo + r]. A NaN is the extreme (the first one).
     */
    static void argReduce(boolean max, float[] a, int from, int runStep, int n, int len, int step, float[] v, int vo,
            double[] idx, int xo) {
        for (int r = 0, base = from; r < n; r++, base += runStep) {
            float best = a[base];
            int bestAt = 0;
            for (int i = 1, at = base + step; i < len && best == best; i++, at += step) {
                float e = a[at];
                if (e != e || (max ? e > best : e < best)) {
                    best = e;
                    bestAt = i;
                }
            }
            v[vo + r] = best;
            idx[xo + r] = bestAt;
        }
    }

    static void argReduce(boolean max, double[] a, int from, int runStep, int n, int len, int step, double[] v, int vo,
            double[] idx, int xo) {
        for (int r = 0, base = from; r < n; r++, base += runStep) {
            double best = a[base];
            int bestAt = 0;
            for (int i = 1, at = base + step; i < len && best == best; i++, at += step) {
                double e = a[at];
                if (e != e || (max ? e > best : e < best)) {
                    best = e;
                    bestAt = i;
                }
            }
            v[vo + r] = best;
            idx[xo + r] = bestAt;
        }
    }
}
