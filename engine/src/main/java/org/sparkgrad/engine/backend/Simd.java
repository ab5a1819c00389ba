package org.sparkgrad.engine.backend;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorised loops of the CPU backend, through the JDK Vector API (its EXP, LOG, TANH, ... are
 * intrinsified on x86). Every method works on dense runs only (strided views take the plain loops in
 * {@link FloatKernels} / {@link DoubleKernels}); float and double versions are written out because Java
 * generics do not reach primitive vectors. A run's tail shorter than a vector is computed by the same vector
 * code on a padded copy, so an element's value never depends on where it sits in a run. Used only when
 * {@link VectorApi#AVAILABLE}.
 */
final class Simd {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Elements summed into one vector accumulator before its lanes are added, in order, in double. */
    static final int SUM_BLOCK = 2048;

    private Simd() {
    }

    static int floatLanes() {
        return F.length();
    }

    static int doubleLanes() {
        return D.length();
    }

    /** Whether {@link #unary} has a vector loop for op. */
    static boolean handles(UnaryOp op) {
        return switch (op) {
            case NEG, EXP, LOG, SQRT, ABS, SIN, COS, TANH, SIGMOID, RELU -> true;
            default -> false;
        };
    }

    /** Whether {@link #binary} has a vector loop for op. */
    static boolean handles(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SIGMOID_BACKWARD, TANH_BACKWARD, RELU_BACKWARD -> true;
            default -> false;
        };
    }

    // ---------------------------------------------------------------- float

    /** o[io + i] = op(a[ia + i]) for i &lt; n; op must be one {@link #handles(UnaryOp)} accepts. */
    static void unary(UnaryOp op, float[] a, int ia, float[] o, int io, int n) {
        int bound = F.loopBound(n);
        unaryBody(op, a, ia, o, io, bound);
        if (bound < n) {
            float[] t = new float[F.length()];
            System.arraycopy(a, ia + bound, t, 0, n - bound);
            unaryBody(op, t, 0, t, 0, t.length);
            System.arraycopy(t, 0, o, io + bound, n - bound);
        }
    }

    private static void unaryBody(UnaryOp op, float[] a, int ia, float[] o, int io, int n) {
        int l = F.length();
        switch (op) {
            case NEG -> { for (int i = 0; i < n; i += l) { FloatVector.fromArray(F, a, ia + i).neg().intoArray(o, io + i); } }
            case ABS -> { for (int i = 0; i < n; i += l) { FloatVector.fromArray(F, a, ia + i).abs().intoArray(o, io + i); } }
            case SQRT -> { for (int i = 0; i < n; i += l) { FloatVector.fromArray(F, a, ia + i).sqrt().intoArray(o, io + i); } }
            case RELU -> { for (int i = 0; i < n; i += l) { FloatVector.fromArray(F, a, ia + i).max(0f).intoArray(o, io + i); } }
            case EXP -> { for (int i = 0; i < n; i += l) { FloatVector.fromArray(F, a, ia + i).lanewise(VectorOperators.EXP).intoArray(o, io + i); } }
            case LOG -> { for (int i = 0; i < n; i += l) { FloatVector.fromArray(F, a, ia + i).lanewise(VectorOperators.LOG).intoArray(o, io + i); } }
            case SIN -> { for (int i = 0; i < n; i += l) { FloatVector.fromArray(F, a, ia + i).lanewise(VectorOperators.SIN).intoArray(o, io + i); } }
            case COS -> { for (int i = 0; i < n; i += l) { FloatVector.fromArray(F, a, ia + i).lanewise(VectorOperators.COS).intoArray(o, io + i); } }
            case TANH -> { for (int i = 0; i < n; i += l) { FloatVector.fromArray(F, a, ia + i).lanewise(VectorOperators.TANH).intoArray(o, io + i); } }
            case SIGMOID -> {
                // 1 / (1 + exp(-x)): exp overflows to inf for very negative x, giving 0 as it should.
                FloatVector one = FloatVector.broadcast(F, 1f);
                for (int i = 0; i < n; i += l) {
                    FloatVector e = FloatVector.fromArray(F, a, ia + i).neg().lanewise(VectorOperators.EXP);
                    one.div(e.add(one)).intoArray(o, io + i);
                }
            }
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    /**
     * o[io + i] = op(a[ia + i * ta], b[ib + i * tb]) for i &lt; n, where each of ta, tb is 1 (a dense run) or
     * 0 (one element repeated), not both 0; op must be one {@link #handles(BinaryOp)} accepts.
     */
    static void binary(BinaryOp op, float[] a, int ia, int ta, float[] b, int ib, int tb, float[] o, int io, int n) {
        int bound = F.loopBound(n);
        binaryBody(op, a, ia, ta, b, ib, tb, o, io, bound);
        if (bound < n) {
            int l = F.length();
            float[] ra = ta == 0 ? a : new float[l];
            float[] rb = tb == 0 ? b : new float[l];
            float[] t = new float[l];
            if (ta != 0) {
                System.arraycopy(a, ia + bound, ra, 0, n - bound);
            }
            if (tb != 0) {
                System.arraycopy(b, ib + bound, rb, 0, n - bound);
            }
            binaryBody(op, ra, ta == 0 ? ia : 0, ta, rb, tb == 0 ? ib : 0, tb, t, 0, l);
            System.arraycopy(t, 0, o, io + bound, n - bound);
        }
    }

    private static void binaryBody(BinaryOp op, float[] a, int ia, int ta, float[] b, int ib, int tb, float[] o, int io, int n) {
        if (ta == 1 && tb == 1) {
            denseBody(op, a, ia, b, ib, o, io, n);
        } else if (ta == 1) {
            scalarRightBody(op, a, ia, FloatVector.broadcast(F, b[ib]), o, io, n);
        } else {
            scalarLeftBody(op, FloatVector.broadcast(F, a[ia]), b, ib, o, io, n);
        }
    }

    private static void denseBody(BinaryOp op, float[] a, int ia, float[] b, int ib, float[] o, int io, int n) {
        int l = F.length();
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = FloatVector.fromArray(F, b, ib + i); x.add(y).intoArray(o, io + i); } }
            case SUB -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = FloatVector.fromArray(F, b, ib + i); x.sub(y).intoArray(o, io + i); } }
            case MUL -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = FloatVector.fromArray(F, b, ib + i); x.mul(y).intoArray(o, io + i); } }
            case DIV -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = FloatVector.fromArray(F, b, ib + i); x.div(y).intoArray(o, io + i); } }
            case MAXIMUM -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = FloatVector.fromArray(F, b, ib + i); x.max(y).intoArray(o, io + i); } }
            case MINIMUM -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = FloatVector.fromArray(F, b, ib + i); x.min(y).intoArray(o, io + i); } }
            case SIGMOID_BACKWARD -> {
                FloatVector one = FloatVector.broadcast(F, 1f);
                for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = FloatVector.fromArray(F, b, ib + i); x.mul(one.sub(y)).mul(y).intoArray(o, io + i); }
            }
            case TANH_BACKWARD -> {
                FloatVector one = FloatVector.broadcast(F, 1f);
                for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = FloatVector.fromArray(F, b, ib + i); x.mul(one.sub(y.mul(y))).intoArray(o, io + i); }
            }
            case RELU_BACKWARD -> {
                FloatVector zero = FloatVector.zero(F);
                for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = FloatVector.fromArray(F, b, ib + i); x.blend(zero, y.compare(VectorOperators.LE, 0f)).intoArray(o, io + i); }
            }
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void scalarRightBody(BinaryOp op, float[] a, int ia, FloatVector y0, float[] o, int io, int n) {
        int l = F.length();
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = y0; x.add(y).intoArray(o, io + i); } }
            case SUB -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = y0; x.sub(y).intoArray(o, io + i); } }
            case MUL -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = y0; x.mul(y).intoArray(o, io + i); } }
            case DIV -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = y0; x.div(y).intoArray(o, io + i); } }
            case MAXIMUM -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = y0; x.max(y).intoArray(o, io + i); } }
            case MINIMUM -> { for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = y0; x.min(y).intoArray(o, io + i); } }
            case SIGMOID_BACKWARD -> {
                FloatVector one = FloatVector.broadcast(F, 1f);
                for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = y0; x.mul(one.sub(y)).mul(y).intoArray(o, io + i); }
            }
            case TANH_BACKWARD -> {
                FloatVector one = FloatVector.broadcast(F, 1f);
                for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = y0; x.mul(one.sub(y.mul(y))).intoArray(o, io + i); }
            }
            case RELU_BACKWARD -> {
                FloatVector zero = FloatVector.zero(F);
                for (int i = 0; i < n; i += l) { FloatVector x = FloatVector.fromArray(F, a, ia + i); FloatVector y = y0; x.blend(zero, y.compare(VectorOperators.LE, 0f)).intoArray(o, io + i); }
            }
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void scalarLeftBody(BinaryOp op, FloatVector x0, float[] b, int ib, float[] o, int io, int n) {
        int l = F.length();
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i += l) { FloatVector x = x0; FloatVector y = FloatVector.fromArray(F, b, ib + i); x.add(y).intoArray(o, io + i); } }
            case SUB -> { for (int i = 0; i < n; i += l) { FloatVector x = x0; FloatVector y = FloatVector.fromArray(F, b, ib + i); x.sub(y).intoArray(o, io + i); } }
            case MUL -> { for (int i = 0; i < n; i += l) { FloatVector x = x0; FloatVector y = FloatVector.fromArray(F, b, ib + i); x.mul(y).intoArray(o, io + i); } }
            case DIV -> { for (int i = 0; i < n; i += l) { FloatVector x = x0; FloatVector y = FloatVector.fromArray(F, b, ib + i); x.div(y).intoArray(o, io + i); } }
            case MAXIMUM -> { for (int i = 0; i < n; i += l) { FloatVector x = x0; FloatVector y = FloatVector.fromArray(F, b, ib + i); x.max(y).intoArray(o, io + i); } }
            case MINIMUM -> { for (int i = 0; i < n; i += l) { FloatVector x = x0; FloatVector y = FloatVector.fromArray(F, b, ib + i); x.min(y).intoArray(o, io + i); } }
            case SIGMOID_BACKWARD -> {
                FloatVector one = FloatVector.broadcast(F, 1f);
                for (int i = 0; i < n; i += l) { FloatVector x = x0; FloatVector y = FloatVector.fromArray(F, b, ib + i); x.mul(one.sub(y)).mul(y).intoArray(o, io + i); }
            }
            case TANH_BACKWARD -> {
                FloatVector one = FloatVector.broadcast(F, 1f);
                for (int i = 0; i < n; i += l) { FloatVector x = x0; FloatVector y = FloatVector.fromArray(F, b, ib + i); x.mul(one.sub(y.mul(y))).intoArray(o, io + i); }
            }
            case RELU_BACKWARD -> {
                FloatVector zero = FloatVector.zero(F);
                for (int i = 0; i < n; i += l) { FloatVector x = x0; FloatVector y = FloatVector.fromArray(F, b, ib + i); x.blend(zero, y.compare(VectorOperators.LE, 0f)).intoArray(o, io + i); }
            }
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    /**
     * The sum of a[from .. from + n) in double: each block of {@link #SUM_BLOCK} elements is added in vector
     * lanes, then the lanes are added in lane order.
     */
    static double sum(float[] a, int from, int n) {
        int l = F.length();
        float[] lanes = new float[l];
        double total = 0;
        for (int b = 0; b < n; b += SUM_BLOCK) {
            int len = Math.min(SUM_BLOCK, n - b);
            int bound = F.loopBound(len);
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0; i < bound; i += l) {
                acc = acc.add(FloatVector.fromArray(F, a, from + b + i));
            }
            acc.intoArray(lanes, 0);
            double s = 0;
            for (int k = 0; k < l; k++) {
                s += lanes[k];
            }
            for (int i = bound; i < len; i++) {
                s += a[from + b + i];
            }
            total += s;
        }
        return total;
    }

    /** The max (or min) of a[from .. from + n), n &gt; 0; NaN if any element is NaN. */
    static float extreme(boolean max, float[] a, int from, int n) {
        int l = F.length();
        int bound = F.loopBound(n);
        float best = a[from];
        if (bound > 0) {
            FloatVector acc = FloatVector.fromArray(F, a, from);
            if (max) {
                for (int i = l; i < bound; i += l) { acc = acc.max(FloatVector.fromArray(F, a, from + i)); }
            } else {
                for (int i = l; i < bound; i += l) { acc = acc.min(FloatVector.fromArray(F, a, from + i)); }
            }
            float[] lanes = new float[l];
            acc.intoArray(lanes, 0);
            for (float e : lanes) {
                best = max ? Math.max(best, e) : Math.min(best, e);
            }
        }
        for (int i = bound; i < n; i++) {
            best = max ? Math.max(best, a[from + i]) : Math.min(best, a[from + i]);
        }
        return best;
    }

    /** acc[ja + j] op= a[ia + j] for j &lt; n, op being ADD, MAXIMUM or MINIMUM. */
    static void accumulate(BinaryOp op, float[] a, int ia, float[] acc, int ja, int n) {
        binary(op, acc, ja, 1, a, ia, 1, acc, ja, n);
    }

    // ---------------------------------------------------------------- double

    /** o[io + i] = op(a[ia + i]) for i &lt; n; op must be one {@link #handles(UnaryOp)} accepts. */
    static void unary(UnaryOp op, double[] a, int ia, double[] o, int io, int n) {
        int bound = D.loopBound(n);
        unaryBody(op, a, ia, o, io, bound);
        if (bound < n) {
            double[] t = new double[D.length()];
            System.arraycopy(a, ia + bound, t, 0, n - bound);
            unaryBody(op, t, 0, t, 0, t.length);
            System.arraycopy(t, 0, o, io + bound, n - bound);
        }
    }

    private static void unaryBody(UnaryOp op, double[] a, int ia, double[] o, int io, int n) {
        int l = D.length();
        switch (op) {
            case NEG -> { for (int i = 0; i < n; i += l) { DoubleVector.fromArray(D, a, ia + i).neg().intoArray(o, io + i); } }
            case ABS -> { for (int i = 0; i < n; i += l) { DoubleVector.fromArray(D, a, ia + i).abs().intoArray(o, io + i); } }
            case SQRT -> { for (int i = 0; i < n; i += l) { DoubleVector.fromArray(D, a, ia + i).sqrt().intoArray(o, io + i); } }
            case RELU -> { for (int i = 0; i < n; i += l) { DoubleVector.fromArray(D, a, ia + i).max(0.0).intoArray(o, io + i); } }
            case EXP -> { for (int i = 0; i < n; i += l) { DoubleVector.fromArray(D, a, ia + i).lanewise(VectorOperators.EXP).intoArray(o, io + i); } }
            case LOG -> { for (int i = 0; i < n; i += l) { DoubleVector.fromArray(D, a, ia + i).lanewise(VectorOperators.LOG).intoArray(o, io + i); } }
            case SIN -> { for (int i = 0; i < n; i += l) { DoubleVector.fromArray(D, a, ia + i).lanewise(VectorOperators.SIN).intoArray(o, io + i); } }
            case COS -> { for (int i = 0; i < n; i += l) { DoubleVector.fromArray(D, a, ia + i).lanewise(VectorOperators.COS).intoArray(o, io + i); } }
            case TANH -> { for (int i = 0; i < n; i += l) { DoubleVector.fromArray(D, a, ia + i).lanewise(VectorOperators.TANH).intoArray(o, io + i); } }
            case SIGMOID -> {
                // 1 / (1 + exp(-x)): exp overflows to inf for very negative x, giving 0 as it should.
                DoubleVector one = DoubleVector.broadcast(D, 1.0);
                for (int i = 0; i < n; i += l) {
                    DoubleVector e = DoubleVector.fromArray(D, a, ia + i).neg().lanewise(VectorOperators.EXP);
                    one.div(e.add(one)).intoArray(o, io + i);
                }
            }
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    /**
     * o[io + i] = op(a[ia + i * ta], b[ib + i * tb]) for i &lt; n, where each of ta, tb is 1 (a dense run) or
     * 0 (one element repeated), not both 0; op must be one {@link #handles(BinaryOp)} accepts.
     */
    static void binary(BinaryOp op, double[] a, int ia, int ta, double[] b, int ib, int tb, double[] o, int io, int n) {
        int bound = D.loopBound(n);
        binaryBody(op, a, ia, ta, b, ib, tb, o, io, bound);
        if (bound < n) {
            int l = D.length();
            double[] ra = ta == 0 ? a : new double[l];
            double[] rb = tb == 0 ? b : new double[l];
            double[] t = new double[l];
            if (ta != 0) {
                System.arraycopy(a, ia + bound, ra, 0, n - bound);
            }
            if (tb != 0) {
                System.arraycopy(b, ib + bound, rb, 0, n - bound);
            }
            binaryBody(op, ra, ta == 0 ? ia : 0, ta, rb, tb == 0 ? ib : 0, tb, t, 0, l);
            System.arraycopy(t, 0, o, io + bound, n - bound);
        }
    }

    private static void binaryBody(BinaryOp op, double[] a, int ia, int ta, double[] b, int ib, int tb, double[] o, int io, int n) {
        if (ta == 1 && tb == 1) {
            denseBody(op, a, ia, b, ib, o, io, n);
        } else if (ta == 1) {
            scalarRightBody(op, a, ia, DoubleVector.broadcast(D, b[ib]), o, io, n);
        } else {
            scalarLeftBody(op, DoubleVector.broadcast(D, a[ia]), b, ib, o, io, n);
        }
    }

    private static void denseBody(BinaryOp op, double[] a, int ia, double[] b, int ib, double[] o, int io, int n) {
        int l = D.length();
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.add(y).intoArray(o, io + i); } }
            case SUB -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.sub(y).intoArray(o, io + i); } }
            case MUL -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.mul(y).intoArray(o, io + i); } }
            case DIV -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.div(y).intoArray(o, io + i); } }
            case MAXIMUM -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.max(y).intoArray(o, io + i); } }
            case MINIMUM -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.min(y).intoArray(o, io + i); } }
            case SIGMOID_BACKWARD -> {
                DoubleVector one = DoubleVector.broadcast(D, 1.0);
                for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.mul(one.sub(y)).mul(y).intoArray(o, io + i); }
            }
            case TANH_BACKWARD -> {
                DoubleVector one = DoubleVector.broadcast(D, 1.0);
                for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.mul(one.sub(y.mul(y))).intoArray(o, io + i); }
            }
            case RELU_BACKWARD -> {
                DoubleVector zero = DoubleVector.zero(D);
                for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.blend(zero, y.compare(VectorOperators.LE, 0.0)).intoArray(o, io + i); }
            }
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void scalarRightBody(BinaryOp op, double[] a, int ia, DoubleVector y0, double[] o, int io, int n) {
        int l = D.length();
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = y0; x.add(y).intoArray(o, io + i); } }
            case SUB -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = y0; x.sub(y).intoArray(o, io + i); } }
            case MUL -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = y0; x.mul(y).intoArray(o, io + i); } }
            case DIV -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = y0; x.div(y).intoArray(o, io + i); } }
            case MAXIMUM -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = y0; x.max(y).intoArray(o, io + i); } }
            case MINIMUM -> { for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = y0; x.min(y).intoArray(o, io + i); } }
            case SIGMOID_BACKWARD -> {
                DoubleVector one = DoubleVector.broadcast(D, 1.0);
                for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = y0; x.mul(one.sub(y)).mul(y).intoArray(o, io + i); }
            }
            case TANH_BACKWARD -> {
                DoubleVector one = DoubleVector.broadcast(D, 1.0);
                for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = y0; x.mul(one.sub(y.mul(y))).intoArray(o, io + i); }
            }
            case RELU_BACKWARD -> {
                DoubleVector zero = DoubleVector.zero(D);
                for (int i = 0; i < n; i += l) { DoubleVector x = DoubleVector.fromArray(D, a, ia + i); DoubleVector y = y0; x.blend(zero, y.compare(VectorOperators.LE, 0.0)).intoArray(o, io + i); }
            }
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void scalarLeftBody(BinaryOp op, DoubleVector x0, double[] b, int ib, double[] o, int io, int n) {
        int l = D.length();
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i += l) { DoubleVector x = x0; DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.add(y).intoArray(o, io + i); } }
            case SUB -> { for (int i = 0; i < n; i += l) { DoubleVector x = x0; DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.sub(y).intoArray(o, io + i); } }
            case MUL -> { for (int i = 0; i < n; i += l) { DoubleVector x = x0; DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.mul(y).intoArray(o, io + i); } }
            case DIV -> { for (int i = 0; i < n; i += l) { DoubleVector x = x0; DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.div(y).intoArray(o, io + i); } }
            case MAXIMUM -> { for (int i = 0; i < n; i += l) { DoubleVector x = x0; DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.max(y).intoArray(o, io + i); } }
            case MINIMUM -> { for (int i = 0; i < n; i += l) { DoubleVector x = x0; DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.min(y).intoArray(o, io + i); } }
            case SIGMOID_BACKWARD -> {
                DoubleVector one = DoubleVector.broadcast(D, 1.0);
                for (int i = 0; i < n; i += l) { DoubleVector x = x0; DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.mul(one.sub(y)).mul(y).intoArray(o, io + i); }
            }
            case TANH_BACKWARD -> {
                DoubleVector one = DoubleVector.broadcast(D, 1.0);
                for (int i = 0; i < n; i += l) { DoubleVector x = x0; DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.mul(one.sub(y.mul(y))).intoArray(o, io + i); }
            }
            case RELU_BACKWARD -> {
                DoubleVector zero = DoubleVector.zero(D);
                for (int i = 0; i < n; i += l) { DoubleVector x = x0; DoubleVector y = DoubleVector.fromArray(D, b, ib + i); x.blend(zero, y.compare(VectorOperators.LE, 0.0)).intoArray(o, io + i); }
            }
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    /**
     * The sum of a[from .. from + n) in double: each block of {@link #SUM_BLOCK} elements is added in vector
     * lanes, then the lanes are added in lane order.
     */
    static double sum(double[] a, int from, int n) {
        int l = D.length();
        double[] lanes = new double[l];
        double total = 0;
        for (int b = 0; b < n; b += SUM_BLOCK) {
            int len = Math.min(SUM_BLOCK, n - b);
            int bound = D.loopBound(len);
            DoubleVector acc = DoubleVector.zero(D);
            for (int i = 0; i < bound; i += l) {
                acc = acc.add(DoubleVector.fromArray(D, a, from + b + i));
            }
            acc.intoArray(lanes, 0);
            double s = 0;
            for (int k = 0; k < l; k++) {
                s += lanes[k];
            }
            for (int i = bound; i < len; i++) {
                s += a[from + b + i];
            }
            total += s;
        }
        return total;
    }

    /** The max (or min) of a[from .. from + n), n &gt; 0; NaN if any element is NaN. */
    static double extreme(boolean max, double[] a, int from, int n) {
        int l = D.length();
        int bound = D.loopBound(n);
        double best = a[from];
        if (bound > 0) {
            DoubleVector acc = DoubleVector.fromArray(D, a, from);
            if (max) {
                for (int i = l; i < bound; i += l) { acc = acc.max(DoubleVector.fromArray(D, a, from + i)); }
            } else {
                for (int i = l; i < bound; i += l) { acc = acc.min(DoubleVector.fromArray(D, a, from + i)); }
            }
            double[] lanes = new double[l];
            acc.intoArray(lanes, 0);
            for (double e : lanes) {
                best = max ? Math.max(best, e) : Math.min(best, e);
            }
        }
        for (int i = bound; i < n; i++) {
            best = max ? Math.max(best, a[from + i]) : Math.min(best, a[from + i]);
        }
        return best;
    }

    /** acc[ja + j] op= a[ia + j] for j &lt; n, op being ADD, MAXIMUM or MINIMUM. */
    static void accumulate(BinaryOp op, double[] a, int ia, double[] acc, int ja, int n) {
        binary(op, acc, ja, 1, a, ia, 1, acc, ja, n);
    }
}
