package org.sparkgrad.engine.backend;

/**
 * The float64 elementwise loops, and the one definition of every elementwise function on doubles (used by
 * the float loops and by integer and bool operands too). Dense runs go to {@link Simd} where it has the op.
 */
final class DoubleKernels {
    /** Elements a strided run is copied through at a time on its way to the vector loops. */
    private static final int GATHER = 512;

    private DoubleKernels() {
    }

    /** op(x) in double precision. */
    static double apply(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case ABS -> Math.abs(x);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
            case RELU -> x > 0 ? x : (Double.isNaN(x) ? x : 0);
            case SIGN -> Double.isNaN(x) ? x : Math.signum(x);
            case STEP -> x > 0 ? 1 : 0;
            case NONFINITE -> Double.isFinite(x) ? 0 : 1;
        };
    }

    /** op(x, y) in double precision; PyTorch's maximum/minimum propagate NaN. */
    static double apply(BinaryOp op, double x, double y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case POW -> Math.pow(x, y);
            case MAXIMUM -> x != x || y != y ? Double.NaN : Math.max(x, y);
            case MINIMUM -> x != x || y != y ? Double.NaN : Math.min(x, y);
            case EQ -> x == y ? 1 : 0;
            case NE -> x != y ? 1 : 0;
            case LT -> x < y ? 1 : 0;
            case LE -> x <= y ? 1 : 0;
            case GT -> x > y ? 1 : 0;
            case GE -> x >= y ? 1 : 0;
            case SIGMOID_BACKWARD -> x * (1 - y) * y;
            case TANH_BACKWARD -> x * (1 - y * y);
            case RELU_BACKWARD -> y <= 0 ? 0 : x;
            case ABS_BACKWARD -> x * ((y > 0 ? 1 : 0) - (y < 0 ? 1 : 0));
        };
    }

    static void unary(UnaryOp op, double[] a, int ia, int ta, double[] o, int io, int to, int n) {
        if (ta == 1 && to == 1 && VectorApi.AVAILABLE && Simd.handles(op)) {
            Simd.unary(op, a, ia, o, io, n);
        } else if (VectorApi.AVAILABLE && Simd.handles(op)) {
            // Strided: through a dense buffer, so an element's value does not depend on the layout.
            double[] t = new double[Math.min(n, GATHER)];
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

    /** The loop without the Vector API (also the reference the vector loops are tested against). */
    static void plainUnary(UnaryOp op, double[] a, int ia, int ta, double[] o, int io, int to, int n) {
        for (int i = 0; i < n; i++, ia += ta, io += to) {
            o[io] = apply(op, a[ia]);
        }
    }

    static void binary(BinaryOp op, double[] a, int ia, int ta, double[] b, int ib, int tb, double[] o, int io, int to,
            int n) {
        if (to == 1 && (ta | tb) == 1 && VectorApi.AVAILABLE && Simd.handles(op)) {
            Simd.binary(op, a, ia, ta, b, ib, tb, o, io, n);
        } else {
            plainBinary(op, a, ia, ta, b, ib, tb, o, io, to, n);
        }
    }

    /** {@link FloatKernels}'s row-block binary on doubles. */
    static void binary(BinaryOp op, double[] a, int ia, int ra, int ta, double[] b, int ib, int rb, int tb, double[] o,
            int io, int ro, int to, int rows, int n) {
        if (rows > 1 && to == 1 && (ta | tb) == 1 && VectorApi.AVAILABLE && Simd.handles(op)) {
            Simd.binary(op, a, ia, ra, ta, b, ib, rb, tb, o, io, ro, rows, n);
        } else {
            for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
                binary(op, a, ia, ta, b, ib, tb, o, io, to, n);
            }
        }
    }

    /** The loop without the Vector API (also the reference the vector loops are tested against). */
    static void plainBinary(BinaryOp op, double[] a, int ia, int ta, double[] b, int ib, int tb, double[] o, int io, int to,
            int n) {
        for (int i = 0; i < n; i++, ia += ta, ib += tb, io += to) {
            o[io] = apply(op, a[ia], b[ib]);
        }
    }
}
