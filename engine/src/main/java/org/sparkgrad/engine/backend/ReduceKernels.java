package org.sparkgrad.engine.backend;

/**
 * Sum, max and min of a dense input over one run of adjacent dimensions: the input seen as [P, R, Q] (R
 * reduced), the output as [P, Q]. Q = 1 reduces dense runs ({@link Simd#sum} and friends); Q &gt; 1 adds rows
 * of Q elements into an accumulator row. Float32 sums are accurate: runs are summed in vector lanes per block
 * of {@link Simd#SUM_BLOCK} and the blocks in double; accumulator rows are float for {@link #ROW_BLOCK} rows at
 * a time, then added into a double row.
 *
 * <p>The order of every addition depends only on the shape, never on the thread count: a long run is cut
 * into {@link #CHUNK}-element chunks whose partial sums are added in chunk order whether they ran on one
 * thread or several, and otherwise threads take whole outputs (ranges of p, or of q columns).
 */
final class ReduceKernels {
    /** Elements of one run summed as one chunk (a multiple of {@link Simd#SUM_BLOCK}). */
    static final int CHUNK = 1 << 15;
    /** Rows added into a float accumulator row before it is flushed into the double row. */
    static final int ROW_BLOCK = 32;
    /** Columns of one task when threads split the q dimension (a multiple of every vector length). */
    private static final int COLUMN_TASK = 64;

    private ReduceKernels() {
    }

    /** Whether op has a kernel here (PROD takes the general loop). */
    static boolean handles(ReduceOp op) {
        return op != ReduceOp.PROD;
    }

    /**
     * Reduces x[base + (p * R + r) * Q + q] over r into out (set through {@code out.set(outOffset + p * Q + q)}).
     */
    static void reduce(ReduceOp op, CpuStorage x, int base, int p, int r, int q, CpuStorage out, int outOffset) {
        long work = (long) p * r * q;
        if (r == 0) {
            // Only a sum reaches here with nothing to reduce (max and min refuse empty dimensions).
            for (int i = 0; i < p * q; i++) {
                out.set(outOffset + i, 0);
            }
        } else if (q == 1 && p == 1) {
            out.set(outOffset, run(op, x, base, r));
        } else if (q == 1) {
            int tasks = Math.min(p, Parallel.tasksFor(work));
            Parallel.forEach(tasks, t -> {
                int from = (int) ((long) p * t / tasks);
                int to = (int) ((long) p * (t + 1) / tasks);
                if (op == ReduceOp.SUM && x.isFloat() && r <= Simd.SUM_BLOCK && VectorApi.AVAILABLE) {
                    // short rows: runSerial's sums, computed in one call
                    double[] sums = new double[to - from];
                    Simd.sumRows(x.f, base + from * r, r, to - from, sums);
                    for (int i = from; i < to; i++) {
                        out.set(outOffset + i, sums[i - from]);
                    }
                    return;
                }
                Scratch scratch = new Scratch();
                for (int i = from; i < to; i++) {
                    out.set(outOffset + i, runSerial(op, x, base + i * r, r, scratch));
                }
            });
        } else if (p > 1 && p >= Parallel.THREADS) {
            int tasks = Math.min(p, Parallel.tasksFor(work));
            Parallel.forEach(tasks, t -> {
                int from = (int) ((long) p * t / tasks);
                int to = (int) ((long) p * (t + 1) / tasks);
                for (int i = from; i < to; i++) {
                    columns(op, x, base + i * r * q, r, q, 0, q, out, outOffset + i * q);
                }
            });
        } else {
            int tasks = (int) Math.min((q + COLUMN_TASK - 1) / COLUMN_TASK, Parallel.tasksFor(work));
            int perTask = (q + tasks - 1) / tasks;
            int cols = (perTask + COLUMN_TASK - 1) / COLUMN_TASK * COLUMN_TASK;
            for (int i = 0; i < p; i++) {
                int rowBase = base + i * r * q;
                int outBase = outOffset + i * q;
                Parallel.forEach((q + cols - 1) / cols, t -> {
                    int from = t * cols;
                    columns(op, x, rowBase, r, q, from, Math.min(q, from + cols), out, outBase);
                });
            }
        }
    }

    /** One dense run of n elements, chunked (and the chunks spread over threads when it is long). */
    private static double run(ReduceOp op, CpuStorage x, int from, int n) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        if (chunks <= 1) {
            return runSerial(op, x, from, n, new Scratch());
        }
        double[] partial = new double[chunks];
        Parallel.forEach(chunks, c -> partial[c] = runSerial(op, x, from + c * CHUNK, Math.min(CHUNK, n - c * CHUNK),
                new Scratch()));
        double acc = partial[0];
        for (int c = 1; c < chunks; c++) {
            acc = combine(op, acc, partial[c]);
        }
        return acc;
    }

    private static double combine(ReduceOp op, double a, double b) {
        return switch (op) {
            case SUM -> a + b;
            case MAX -> a != a || b != b ? Double.NaN : Math.max(a, b);
            case MIN -> a != a || b != b ? Double.NaN : Math.min(a, b);
            case PROD -> a * b;
        };
    }

    /** Lane buffers for {@link Simd#sum}, one per task. */
    private static final class Scratch {
        final float[] f = new float[64];
        final double[] d = new double[64];
    }

    /** One dense run on this thread, in chunks of {@link #CHUNK} added in order. */
    private static double runSerial(ReduceOp op, CpuStorage x, int from, int n, Scratch scratch) {
        if (n == 0) {
            return op == ReduceOp.SUM ? 0 : op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (n > CHUNK) {
            double acc = runSerial(op, x, from, CHUNK, scratch);
            for (int c = CHUNK; c < n; c += CHUNK) {
                acc = combine(op, acc, runSerial(op, x, from + c, Math.min(CHUNK, n - c), scratch));
            }
            return acc;
        }
        boolean simd = VectorApi.AVAILABLE;
        if (op == ReduceOp.SUM) {
            if (x.isFloat()) {
                return simd ? Simd.sum(x.f, from, n, scratch.f) : plainSum(x.f, from, n);
            }
            return simd ? Simd.sum(x.d, from, n, scratch.d) : plainSum(x.d, from, n);
        }
        boolean max = op == ReduceOp.MAX;
        if (x.isFloat()) {
            return simd ? Simd.extreme(max, x.f, from, n) : plainExtreme(max, x.f, from, n);
        }
        return simd ? Simd.extreme(max, x.d, from, n) : plainExtreme(max, x.d, from, n);
    }

    /** The sum in double, element by element (the loop without the Vector API). */
    static double plainSum(float[] a, int from, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += a[from + i];
        }
        return s;
    }

    static double plainSum(double[] a, int from, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += a[from + i];
        }
        return s;
    }

    static float plainExtreme(boolean max, float[] a, int from, int n) {
        float best = a[from];
        for (int i = 1; i < n; i++) {
            best = max ? Math.max(best, a[from + i]) : Math.min(best, a[from + i]);
        }
        return best;
    }

    static double plainExtreme(boolean max, double[] a, int from, int n) {
        double best = a[from];
        for (int i = 1; i < n; i++) {
            best = max ? Math.max(best, a[from + i]) : Math.min(best, a[from + i]);
        }
        return best;
    }

    /** Columns [c0, c1) of one [R, Q] block reduced over its R rows. */
    private static void columns(ReduceOp op, CpuStorage x, int base, int r, int q, int c0, int c1, CpuStorage out,
            int outBase) {
        int w = c1 - c0;
        BinaryOp acc = op == ReduceOp.SUM ? BinaryOp.ADD : op == ReduceOp.MAX ? BinaryOp.MAXIMUM : BinaryOp.MINIMUM;
        if (x.isFloat()) {
            float[] row = new float[w];
            double[] total = op == ReduceOp.SUM ? new double[w] : null;
            System.arraycopy(x.f, base + c0, row, 0, w);
            for (int i = 1; i < r; ) {
                if (total != null && i % ROW_BLOCK == 0) {
                    flush(row, total);
                    System.arraycopy(x.f, base + i * q + c0, row, 0, w);
                    i++;
                } else if (VectorApi.AVAILABLE) {
                    // the rows up to the next flush in one call, in the same order
                    int end = total == null ? r : Math.min(r, (i / ROW_BLOCK + 1) * ROW_BLOCK);
                    Simd.accumulateRows(acc, x.f, base + i * q + c0, q, end - i, row, w);
                    i = end;
                } else {
                    FloatKernels.binary(acc, row, 0, 1, x.f, base + i * q + c0, 1, row, 0, 1, w);
                    i++;
                }
            }
            if (total != null) {
                flush(row, total);
                for (int j = 0; j < w; j++) {
                    out.set(outBase + c0 + j, total[j]);
                }
            } else {
                for (int j = 0; j < w; j++) {
                    out.set(outBase + c0 + j, row[j]);
                }
            }
        } else {
            double[] row = new double[w];
            System.arraycopy(x.d, base + c0, row, 0, w);
            for (int i = 1; i < r; i++) {
                DoubleKernels.binary(acc, row, 0, 1, x.d, base + i * q + c0, 1, row, 0, 1, w);
            }
            for (int j = 0; j < w; j++) {
                out.set(outBase + c0 + j, row[j]);
            }
        }
    }

    private static void flush(float[] row, double[] total) {
        for (int j = 0; j < row.length; j++) {
            total[j] += row[j];
        }
    }
}
