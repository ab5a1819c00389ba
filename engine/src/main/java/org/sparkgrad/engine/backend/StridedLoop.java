package org.sparkgrad.engine.backend;

/**
 * Walks several views of one shape together, calling an inner kernel once per row of the innermost
 * (coalesced) dimension. Adjacent dimensions that are contiguous in every operand are merged first, so
 * dense operands run as one long row. Large loops are split across cores ({@link Parallel}) at boundaries
 * that depend only on the shape.
 */
final class StridedLoop {

    /** An inner kernel over n elements; off[k] is operand k's first index, st[k] its step. */
    interface Inner {
        void run(int n, int[] off, int[] st);
    }

    /**
     * An inner kernel over {@code rows} rows of n elements: row r of operand k starts at
     * {@code off[k] + r * rowStep[k]}, its elements st[k] apart. One call covers many short rows, so the kernel
     * loops over them itself instead of being called (through an interface) once per row.
     */
    interface Rows {
        void run(int rows, int n, int[] off, int[] rowStep, int[] st);
    }

    /** The fewest rows a task of {@link #runRows} gets when the rows allow one task per thread. */
    static final int MIN_ROWS = 16;

    private final int[] shape;
    private final int[][] strides;
    private final int[] offsets;

    private StridedLoop(int[] shape, int[][] strides, int[] offsets) {
        this.shape = shape;
        this.strides = strides;
        this.offsets = offsets;
    }

    /** Plans a loop over views that all have the given shape. */
    static StridedLoop of(int[] shape, Strided... views) {
        int k = views.length;
        // Drop size-1 dimensions, then merge dimension d into d+1 where every operand allows it.
        int[] dims = new int[shape.length];
        int[][] st = new int[k][shape.length];
        int nd = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            boolean merge = nd > 0;
            for (int j = 0; j < k && merge; j++) {
                merge = st[j][nd - 1] == views[j].strides()[d] * shape[d];
            }
            if (merge) {
                dims[nd - 1] *= shape[d];
                for (int j = 0; j < k; j++) {
                    st[j][nd - 1] = views[j].strides()[d];
                }
            } else {
                dims[nd] = shape[d];
                for (int j = 0; j < k; j++) {
                    st[j][nd] = views[j].strides()[d];
                }
                nd++;
            }
        }
        int[] offs = new int[k];
        for (int j = 0; j < k; j++) {
            offs[j] = views[j].offset();
        }
        int[] finalDims = java.util.Arrays.copyOf(dims, nd);
        int[][] finalStrides = new int[k][];
        for (int j = 0; j < k; j++) {
            finalStrides[j] = java.util.Arrays.copyOf(st[j], nd);
        }
        return new StridedLoop(finalDims, finalStrides, offs);
    }

    /** Runs the kernel over every element, in parallel when the loop is large. */
    void run(Inner inner) {
        run(inner, 1);
    }

    /**
     * Runs the kernel, in parallel when the loop is large counting each element as {@code cost} (a kernel
     * whose element is a whole row of work passes the row length).
     */
    void run(Inner inner, int cost) {
        run(inner, true, Math.max(1, cost));
    }

    /**
     * Runs a row kernel over every element, in parallel when the loop is large (each element counting as
     * {@code cost}). A loop of two dimensions goes to the kernel in blocks of whole rows (one per task); other
     * loops one row per call.
     */
    void runRows(Rows inner, int cost) {
        int k = offsets.length;
        if (shape.length != 2) {
            int[] none = new int[k];
            run((n, off, st) -> inner.run(1, n, off, none, st), cost);
            return;
        }
        int rows = shape[0];
        int rowLen = shape[1];
        long total = (long) rows * rowLen;
        if (total == 0) {
            return;
        }
        int[] rowStep = new int[k];
        int[] st = new int[k];
        for (int j = 0; j < k; j++) {
            rowStep[j] = strides[j][0];
            st[j] = strides[j][1];
        }
        // Tasks of at least MIN_ROWS rows where that still leaves one per thread (a kernel may tile its rows);
        // the split does not change any element's value.
        int parts = (int) Math.min(Parallel.tasksFor(total * Math.max(1, cost)),
                Math.max(Math.min(rows, Parallel.THREADS), rows / MIN_ROWS));
        if (parts <= 1) {
            inner.run(rows, rowLen, offsets.clone(), rowStep, st);
            return;
        }
        Parallel.forEach(parts, p -> {
            int from = (int) ((long) rows * p / parts);
            int to = (int) ((long) rows * (p + 1) / parts);
            int[] off = new int[k];
            for (int j = 0; j < k; j++) {
                off[j] = offsets[j] + from * rowStep[j];
            }
            inner.run(to - from, rowLen, off, rowStep, st);
        });
    }

    /** Runs the kernel over every element in order on the calling thread (for kernels with state). */
    void runSerial(Inner inner) {
        run(inner, false, 1);
    }

    private void run(Inner inner, boolean mayParallelize, int cost) {
        int k = offsets.length;
        int nd = shape.length;
        if (nd == 0) {
            inner.run(1, offsets.clone(), new int[k]);
            return;
        }
        int rowLen = shape[nd - 1];
        int rows = 1;
        for (int d = 0; d < nd - 1; d++) {
            rows *= shape[d];
        }
        long total = (long) rows * rowLen;
        if (total == 0) {
            return;
        }
        int[] rowStrides = new int[k];
        for (int j = 0; j < k; j++) {
            rowStrides[j] = strides[j][nd - 1];
        }
        int tasks = mayParallelize ? Parallel.tasksFor(total * cost) : 1;
        if (tasks <= 1) {
            runRows(inner, 0, rows, rowStrides);
        } else if (rows == 1) {
            // One long row: split it into chunks.
            int chunk = (rowLen + tasks - 1) / tasks;
            Parallel.forEach(tasks, t -> {
                int from = t * chunk;
                int n = Math.min(rowLen, from + chunk) - from;
                if (n > 0) {
                    int[] off = new int[k];
                    for (int j = 0; j < k; j++) {
                        off[j] = offsets[j] + from * rowStrides[j];
                    }
                    inner.run(n, off, rowStrides);
                }
            });
        } else {
            int parts = Math.min(rows, tasks);
            int finalRows = rows;
            Parallel.forEach(parts, p -> {
                long from = (long) finalRows * p / parts;
                long to = (long) finalRows * (p + 1) / parts;
                runRows(inner, (int) from, (int) to, rowStrides);
            });
        }
    }

    private void runRows(Inner inner, int fromRow, int toRow, int[] rowStrides) {
        int k = offsets.length;
        int nd = shape.length;
        int rowLen = shape[nd - 1];
        int[] idx = new int[Math.max(nd - 1, 0)];
        int[] off = offsets.clone();
        // Position the counter at fromRow.
        int r = fromRow;
        for (int d = nd - 2; d >= 0; d--) {
            idx[d] = r % shape[d];
            r /= shape[d];
            for (int j = 0; j < k; j++) {
                off[j] += idx[d] * strides[j][d];
            }
        }
        int[] scratch = new int[k];
        for (int row = fromRow; row < toRow; row++) {
            System.arraycopy(off, 0, scratch, 0, k);
            inner.run(rowLen, scratch, rowStrides);
            for (int d = nd - 2; d >= 0; d--) {
                idx[d]++;
                for (int j = 0; j < k; j++) {
                    off[j] += strides[j][d];
                }
                if (idx[d] < shape[d]) {
                    break;
                }
                for (int j = 0; j < k; j++) {
                    off[j] -= strides[j][d] * shape[d];
                }
                idx[d] = 0;
            }
        }
    }
}
