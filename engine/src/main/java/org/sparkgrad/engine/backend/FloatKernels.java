package org.sparkgrad.engine.backend;

/**
 * The float32 elementwise loops. Dense runs (and a dense run against one repeated element) go to the vector
 * loops of {@link Simd} where the Vector API is there and has the op; the rest run the plain loops here: all
 * dense with one shared offset (the case HotSpot turns into SIMD by itself: separate offsets make it assume
 * the arrays may overlap), a scalar (stride 0) operand read once into a local, and the general strided loop.
 * Maximum, minimum and relu use {@link Math#max}/{@link Math#min}, which propagate NaN as PyTorch does.
 * The element functions themselves are {@link DoubleKernels#apply}'s, rounded to float.
 */
final class FloatKernels {
    /** Elements a strided run is copied through at a time on its way to the vector loops. */
    private static final int GATHER = 512;

    private FloatKernels() {
    }

    static void binary(BinaryOp op, float[] a, int ia, int ta, float[] b, int ib, int tb, float[] o, int io, int to, int n) {
        if (op == BinaryOp.POW && ta == 1 && tb == 0 && to == 1 && VectorApi.AVAILABLE) {
            // x ** p for one exponent (Tensor.pow(double) and its backward): as PyTorch, 0.5 is a square root.
            if (b[ib] == 0.5f) {
                Simd.unary(UnaryOp.SQRT, a, ia, o, io, n);
            } else {
                Simd.powScalar(a, ia, b[ib], o, io, n);
            }
        } else if (to == 1 && VectorApi.AVAILABLE && ((ta | tb) == 1 && Simd.handles(op)
                || ta == 1 && tb == 1 && Simd.handlesDense(op))) {
            Simd.binary(op, a, ia, ta, b, ib, tb, o, io, n);
        } else {
            plainBinary(op, a, ia, ta, b, ib, tb, o, io, to, n);
        }
    }

    /**
     * {@link #binary} on each of {@code rows} rows of n elements, row r of a starting at ia + r * ra (of b at
     * ib + r * rb, of o at io + r * ro): a block of short rows (a broadcast row or column vector) goes to the
     * vector loops in one call.
     */
    static void binary(BinaryOp op, float[] a, int ia, int ra, int ta, float[] b, int ib, int rb, int tb, float[] o, int io,
            int ro, int to, int rows, int n) {
        if (rows > 1 && to == 1 && VectorApi.AVAILABLE && ((ta | tb) == 1 && Simd.handles(op)
                || ta == 1 && tb == 1 && Simd.handlesDense(op))) {
            Simd.binary(op, a, ia, ra, ta, b, ib, rb, tb, o, io, ro, rows, n);
        } else {
            for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
                binary(op, a, ia, ta, b, ib, tb, o, io, to, n);
            }
        }
    }

    /** The loops without the Vector API (also the reference the vector loops are tested against). */
    static void plainBinary(BinaryOp op, float[] a, int ia, int ta, float[] b, int ib, int tb, float[] o, int io, int to,
            int n) {
        if (to == 1 && ta == 1 && tb == 1 && ia == io && ib == io) {
            dense(op, a, b, o, io, io + n);
        } else if (to == 1 && ta == 1 && tb == 0 && ia == io) {
            scalarRight(op, a, b[ib], o, io, io + n);
        } else if (to == 1 && tb == 1 && ta == 0 && ib == io) {
            scalarLeft(op, a[ia], b, o, io, io + n);
        } else {
            strided(op, a, ia, ta, b, ib, tb, o, io, to, n);
        }
    }

    private static void dense(BinaryOp op, float[] a, float[] b, float[] o, int from, int to) {
        switch (op) {
            case ADD -> { for (int i = from; i < to; i++) { o[i] = a[i] + b[i]; } }
            case SUB -> { for (int i = from; i < to; i++) { o[i] = a[i] - b[i]; } }
            case MUL -> { for (int i = from; i < to; i++) { o[i] = a[i] * b[i]; } }
            case DIV -> { for (int i = from; i < to; i++) { o[i] = a[i] / b[i]; } }
            case MAXIMUM -> { for (int i = from; i < to; i++) { o[i] = Math.max(a[i], b[i]); } }
            case MINIMUM -> { for (int i = from; i < to; i++) { o[i] = Math.min(a[i], b[i]); } }
            case RELU_BACKWARD -> { for (int i = from; i < to; i++) { o[i] = b[i] <= 0 ? 0f : a[i]; } }
            default -> strided(op, a, from, 1, b, from, 1, o, from, 1, to - from);
        }
    }

    private static void scalarRight(BinaryOp op, float[] a, float s, float[] o, int from, int to) {
        switch (op) {
            case ADD -> { for (int i = from; i < to; i++) { o[i] = a[i] + s; } }
            case SUB -> { for (int i = from; i < to; i++) { o[i] = a[i] - s; } }
            case MUL -> { for (int i = from; i < to; i++) { o[i] = a[i] * s; } }
            case DIV -> { for (int i = from; i < to; i++) { o[i] = a[i] / s; } }
            case MAXIMUM -> { for (int i = from; i < to; i++) { o[i] = Math.max(a[i], s); } }
            case MINIMUM -> { for (int i = from; i < to; i++) { o[i] = Math.min(a[i], s); } }
            case GE -> { for (int i = from; i < to; i++) { o[i] = a[i] >= s ? 1f : 0f; } }
            case LE -> { for (int i = from; i < to; i++) { o[i] = a[i] <= s ? 1f : 0f; } }
            case GT -> { for (int i = from; i < to; i++) { o[i] = a[i] > s ? 1f : 0f; } }
            case LT -> { for (int i = from; i < to; i++) { o[i] = a[i] < s ? 1f : 0f; } }
            case EQ -> { for (int i = from; i < to; i++) { o[i] = a[i] == s ? 1f : 0f; } }
            case NE -> { for (int i = from; i < to; i++) { o[i] = a[i] != s ? 1f : 0f; } }
            default -> {
                float[] one = {s};
                strided(op, a, from, 1, one, 0, 0, o, from, 1, to - from);
            }
        }
    }

    private static void scalarLeft(BinaryOp op, float s, float[] b, float[] o, int from, int to) {
        switch (op) {
            case ADD -> { for (int i = from; i < to; i++) { o[i] = s + b[i]; } }
            case SUB -> { for (int i = from; i < to; i++) { o[i] = s - b[i]; } }
            case MUL -> { for (int i = from; i < to; i++) { o[i] = s * b[i]; } }
            case DIV -> { for (int i = from; i < to; i++) { o[i] = s / b[i]; } }
            default -> {
                float[] one = {s};
                strided(op, one, 0, 0, b, from, 1, o, from, 1, to - from);
            }
        }
    }

    private static void strided(BinaryOp op, float[] a, int ia, int ta, float[] b, int ib, int tb, float[] o, int io, int to,
                                int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] + b[ib]; } }
            case SUB -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] - b[ib]; } }
            case MUL -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] * b[ib]; } }
            case DIV -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] / b[ib]; } }
            case MAXIMUM -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = Math.max(a[ia], b[ib]); } }
            case MINIMUM -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = Math.min(a[ia], b[ib]); } }
            case EQ -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] == b[ib] ? 1f : 0f; } }
            case NE -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] != b[ib] ? 1f : 0f; } }
            case LT -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] < b[ib] ? 1f : 0f; } }
            case LE -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] <= b[ib] ? 1f : 0f; } }
            case GT -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] > b[ib] ? 1f : 0f; } }
            case GE -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] >= b[ib] ? 1f : 0f; } }
            case POW -> { for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = (float) Math.pow(a[ia], b[ib]); } }
            case SIGMOID_BACKWARD -> {
                for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] * (1f - b[ib]) * b[ib]; }
            }
            case TANH_BACKWARD -> {
                for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = a[ia] * (1f - b[ib] * b[ib]); }
            }
            case RELU_BACKWARD -> {
                for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) { o[io] = b[ib] <= 0 ? 0f : a[ia]; }
            }
            case ABS_BACKWARD -> {
                for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) {
                    o[io] = a[ia] * ((b[ib] > 0 ? 1f : 0f) - (b[ib] < 0 ? 1f : 0f));
                }
            }
        }
    }

    static void unary(UnaryOp op, float[] a, int ia, int ta, float[] o, int io, int to, int n) {
        if (ta == 1 && to == 1 && VectorApi.AVAILABLE && Simd.handles(op)) {
            Simd.unary(op, a, ia, o, io, n);
        } else if (VectorApi.AVAILABLE && Simd.handles(op)) {
            // Strided: through a dense buffer, so an element's value does not depend on the layout.
            float[] t = new float[Math.min(n, GATHER)];
            for (int from = 0; from < n; from += t.length) {
                int len = Math.min(t.length, n - from);
                for (int i = 0, j = ia + from * ta; i < len; i++, j += ta) {
                    t[i] = a[j];
                }
                Simd.unary(op, t, 0, t, 0, len);
                for (int i = 0, j = io + from * to; i < len; i++, j += to) {
                    o[j] = t[i];
                }
            }
        } else {
            plainUnary(op, a, ia, ta, o, io, to, n);
        }
    }

    /** The loops without the Vector API: each element through {@link DoubleKernels#apply}, rounded. */
    static void plainUnary(UnaryOp op, float[] a, int ia, int ta, float[] o, int io, int to, int n) {
        switch (op) {
            case NEG -> { for (int i = 0; i < n; i++, ia += ta, io += to) { o[io] = -a[ia]; } }
            case RELU -> { for (int i = 0; i < n; i++, ia += ta, io += to) { o[io] = Math.max(a[ia], 0f); } }
            case ABS -> { for (int i = 0; i < n; i++, ia += ta, io += to) { o[io] = Math.abs(a[ia]); } }
            default -> { for (int i = 0; i < n; i++, ia += ta, io += to) { o[io] = (float) DoubleKernels.apply(op, a[ia]); } }
        }
    }

    static void fill(float[] o, int io, int to, int n, float v) {
        if (to == 1) {
            java.util.Arrays.fill(o, io, io + n, v);
        } else {
            for (int i = 0; i < n; i++, io += to) {
                o[io] = v;
            }
        }
    }
}
