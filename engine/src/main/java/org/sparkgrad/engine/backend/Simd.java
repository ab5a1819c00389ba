package org.sparkgrad.engine.backend;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorised loops of the CPU backend, through the JDK Vector API. Exp, log, tanh, sigmoid and pow go
 * through {@link VectorMath}, so their bits do not depend on the JIT tier; sin and cos still use the API's SIN
 * and COS (SVML once C2 has compiled a loop, Math per lane before). Every method works on dense runs only
 * (strided views take the plain loops in {@link FloatKernels} / {@link DoubleKernels}); float and double
 * versions are written out because Java generics do not reach primitive vectors. A run's tail shorter than a
 * vector is computed by the same vector code on a padded copy, so an element's value never depends on where it
 * sits in a run. Used only when {@link VectorApi#AVAILABLE}.
 */
final class Simd {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** At most 256 bits (and dividing F / D): for masked ops, which JDK 17 runs slower on 512-bit vectors. */
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(Math.min(256, F.vectorBitSize())));
    private static final VectorSpecies<Double> DH = VectorSpecies.of(double.class, VectorShape.forBitSize(Math.min(256, D.vectorBitSize())));
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

    /** Whether the float {@link #binary} has a vector loop for op on two dense operands. */
    static boolean handlesDense(BinaryOp op) {
        return op == BinaryOp.ABS_BACKWARD || handles(op);
    }

    /** Whether {@link #binary} has a vector loop for op (dense, or one operand a repeated element). */
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

    // One small method per op: the JIT inlines (and so intrinsifies) the Vector API calls reliably only in
    // small methods; a vector boxed across a call runs the API's slow Java fallback.
    private static void unaryBody(UnaryOp op, float[] a, int ia, float[] o, int io, int n) {
        switch (op) {
            case NEG -> unaryNeg(a, ia, o, io, n);
            case ABS -> unaryAbs(a, ia, o, io, n);
            case SQRT -> unarySqrt(a, ia, o, io, n);
            case RELU -> unaryRelu(a, ia, o, io, n);
            case EXP -> unaryExp(a, ia, o, io, n);
            case LOG -> unaryLog(a, ia, o, io, n);
            case SIN -> unarySin(a, ia, o, io, n);
            case COS -> unaryCos(a, ia, o, io, n);
            case TANH -> unaryTanh(a, ia, o, io, n);
            case SIGMOID -> unarySigmoid(a, ia, o, io, n);
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void unaryNeg(float[] a, int ia, float[] o, int io, int n) {
        for (int i = 0; i < n; i += F.length()) {
            FloatVector.fromArray(F, a, ia + i).neg().intoArray(o, io + i);
        }
    }

    private static void unaryAbs(float[] a, int ia, float[] o, int io, int n) {
        for (int i = 0; i < n; i += F.length()) {
            FloatVector.fromArray(F, a, ia + i).abs().intoArray(o, io + i);
        }
    }

    private static void unarySqrt(float[] a, int ia, float[] o, int io, int n) {
        for (int i = 0; i < n; i += F.length()) {
            FloatVector.fromArray(F, a, ia + i).sqrt().intoArray(o, io + i);
        }
    }

    private static void unaryRelu(float[] a, int ia, float[] o, int io, int n) {
        for (int i = 0; i < n; i += F.length()) {
            FloatVector.fromArray(F, a, ia + i).max(0f).intoArray(o, io + i);
        }
    }

    private static void unaryExp(float[] a, int ia, float[] o, int io, int n) {
        for (int i = 0; i < n; i += F.length()) {
            VectorMath.exp(FloatVector.fromArray(F, a, ia + i)).intoArray(o, io + i);
        }
    }

    private static void unaryLog(float[] a, int ia, float[] o, int io, int n) {
        for (int i = 0; i < n; i += F.length()) {
            VectorMath.log(FloatVector.fromArray(F, a, ia + i)).intoArray(o, io + i);
        }
    }

    private static void unarySin(float[] a, int ia, float[] o, int io, int n) {
        for (int i = 0; i < n; i += F.length()) {
            FloatVector.fromArray(F, a, ia + i).lanewise(VectorOperators.SIN).intoArray(o, io + i);
        }
    }

    private static void unaryCos(float[] a, int ia, float[] o, int io, int n) {
        for (int i = 0; i < n; i += F.length()) {
            FloatVector.fromArray(F, a, ia + i).lanewise(VectorOperators.COS).intoArray(o, io + i);
        }
    }

    private static void unaryTanh(float[] a, int ia, float[] o, int io, int n) {
        for (int i = 0; i < n; i += F.length()) {
            VectorMath.tanh(FloatVector.fromArray(F, a, ia + i)).intoArray(o, io + i);
        }
    }

    private static void unarySigmoid(float[] a, int ia, float[] o, int io, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < n; i += F.length()) {
            one.div(VectorMath.exp(FloatVector.fromArray(F, a, ia + i).neg()).add(one)).intoArray(o, io + i);
        }
    }

    /**
     * o[io + i] = a[ia + i] ** p for i &lt; n. A non-integral p goes through exp(p * log(x)) in double lanes
     * (the Vector API's POW is not intrinsified on JDK 17; in double the result rounds to the float that
     * {@link Math#pow} gives but in rare ties), negative x giving NaN and -inf giving pow's +inf or +0; an
     * integral p (where the sign of a negative base matters) takes {@link Math#pow} per element.
     */
    static void powScalar(float[] a, int ia, float p, float[] o, int io, int n) {
        if (p == Math.rint(p) || p != p) {
            for (int i = 0; i < n; i++) {
                o[io + i] = (float) Math.pow(a[ia + i], p);
            }
            return;
        }
        int bound = D.loopBound(n);
        powBody(a, ia, p, o, io, bound);
        if (bound < n) {
            float[] t = new float[D.length()];
            System.arraycopy(a, ia + bound, t, 0, n - bound);
            powBody(t, 0, p, t, 0, t.length);
            System.arraycopy(t, 0, o, io + bound, n - bound);
        }
    }

    /** Doubles converted at a time by {@link #powBody} (a multiple of every vector length). */
    private static final int POW_CHUNK = 256;

    /**
     * n a multiple of D's lanes. The floats are widened into a double buffer by a plain loop: a float vector of
     * D's lane count (a second float shape) made C2 stop intrinsifying F's vectors in every loop compiled after
     * this one had run (sum of 64k floats 4x slower), and converting halves of F is not intrinsified on JDK 17.
     */
    private static void powBody(float[] a, int ia, float p, float[] o, int io, int n) {
        double[] t = new double[Math.min(n, POW_CHUNK)];
        for (int c = 0; c < n; c += t.length) {
            int len = Math.min(t.length, n - c);
            for (int i = 0; i < len; i++) {
                t[i] = a[ia + c + i];
            }
            powDoubles(t, len, p);
            float atMinusInf = p > 0 ? Float.POSITIVE_INFINITY : 0; // exp(p * log(-inf)) gave NaN
            for (int i = 0; i < len; i++) {
                o[io + c + i] = a[ia + c + i] == Float.NEGATIVE_INFINITY ? atMinusInf : (float) t[i];
            }
        }
    }

    /** t[i] = exp(log(t[i]) * p) for i &lt; n (a multiple of D's lanes); -inf gives NaN (the caller fixes it). */
    private static void powDoubles(double[] t, int n, float p) {
        // Two loops, each compiled on its own (both are in conf/spark-defaults.conf's dontinline list), each
        // inlining one VectorMath function (force-inlined there: the float64 log is above C2's hot-call limit,
        // and a vector passed to a call that is not inlined runs the Vector API's Java fallback, pow 3x slower).
        powLogs(t, n);
        powExps(t, n, p);
    }

    /** t[i] = log(t[i]) for i &lt; n (a multiple of D's lanes). */
    private static void powLogs(double[] t, int n) {
        for (int i = 0; i < n; i += D.length()) {
            VectorMath.log(DoubleVector.fromArray(D, t, i)).intoArray(t, i);
        }
    }

    /** t[i] = exp(t[i] * p) for i &lt; n (a multiple of D's lanes). */
    private static void powExps(double[] t, int n, float p) {
        DoubleVector e = DoubleVector.broadcast(D, p);
        for (int i = 0; i < n; i += D.length()) {
            VectorMath.exp(DoubleVector.fromArray(D, t, i).mul(e)).intoArray(t, i);
        }
    }

    /**
     * o[io + i] = op(a[ia + i * ta], b[ib + i * tb]) for i &lt; n, where each of ta, tb is 1 (a dense run) or
     * 0 (one element repeated), not both 0; op must be one {@link #handles(BinaryOp)} accepts.
     */
    static void binary(BinaryOp op, float[] a, int ia, int ta, float[] b, int ib, int tb, float[] o, int io, int n) {
        binary(op, a, ia, 0, ta, b, ib, 0, tb, o, io, 0, 1, n);
    }

    /**
     * {@link #binary(BinaryOp, float[], int, int, float[], int, int, float[], int, int)} on each of {@code rows} rows of
     * n elements, row r of a starting at ia + r * ra (of b at ib + r * rb, of o at io + r * ro): one call for a
     * block of short rows, such as a broadcast row vector (rb = 0, tb = 1) or column vector (rb = 1, tb = 0).
     * Every element gets the same operations as in a one-row call.
     */
    static void binary(BinaryOp op, float[] a, int ia, int ra, int ta, float[] b, int ib, int rb, int tb, float[] o, int io,
            int ro, int rows, int n) {
        int bound = F.loopBound(n);
        if (bound == n || o != a && o != b) {
            binaryBody(op, a, ia, ra, ta, b, ib, rb, tb, o, io, ro, rows, bound);
            if (bound < n) {
                binaryTails(op, a, ia, ra, ta, b, ib, rb, tb, o, io, ro, 0, rows, bound, n);
            }
        } else {
            // The output is an operand: each row's tail right after its body, as in one-row calls.
            for (int r = 0; r < rows; r++) {
                binaryBody(op, a, ia + r * ra, 0, ta, b, ib + r * rb, 0, tb, o, io + r * ro, 0, 1, bound);
                binaryTails(op, a, ia, ra, ta, b, ib, rb, tb, o, io, ro, r, r + 1, bound, n);
            }
        }
    }

    /** Elements bound .. n of rows from .. to, each computed by the vector body on a zero-padded copy. */
    private static void binaryTails(BinaryOp op, float[] a, int ia, int ra, int ta, float[] b, int ib, int rb, int tb, float[] o,
            int io, int ro, int from, int to, int bound, int n) {
        int l = F.length();
        float[] pa = ta == 0 ? a : new float[l];
        float[] pb = tb == 0 ? b : new float[l];
        float[] t = new float[l];
        for (int r = from; r < to; r++) {
            if (ta != 0) {
                System.arraycopy(a, ia + r * ra + bound, pa, 0, n - bound);
            }
            if (tb != 0) {
                System.arraycopy(b, ib + r * rb + bound, pb, 0, n - bound);
            }
            binaryBody(op, pa, ta == 0 ? ia + r * ra : 0, 0, ta, pb, tb == 0 ? ib + r * rb : 0, 0, tb, t, 0, 0, 1, l);
            System.arraycopy(t, 0, o, io + r * ro + bound, n - bound);
        }
    }

    private static void binaryBody(BinaryOp op, float[] a, int ia, int ra, int ta, float[] b, int ib, int rb, int tb, float[] o,
            int io, int ro, int rows, int n) {
        if (ta == 1 && tb == 1) {
            denseBody(op, a, ia, ra, b, ib, rb, o, io, ro, rows, n);
        } else if (ta == 1) {
            scalarRightBody(op, a, ia, ra, b, ib, rb, o, io, ro, rows, n);
        } else {
            scalarLeftBody(op, a, ia, ra, b, ib, rb, o, io, ro, rows, n);
        }
    }

    private static void denseBody(BinaryOp op, float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        switch (op) {
            case ADD -> denseBodyAdd(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SUB -> denseBodySub(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MUL -> denseBodyMul(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case DIV -> denseBodyDiv(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MAXIMUM -> denseBodyMaximum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MINIMUM -> denseBodyMinimum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SIGMOID_BACKWARD -> denseBodySigmoidBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case TANH_BACKWARD -> denseBodyTanhBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case RELU_BACKWARD -> denseBodyReluBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case ABS_BACKWARD -> denseBodyAbsBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void denseBodyAdd(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.add(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodySub(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.sub(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyMul(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyDiv(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.div(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyMaximum(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.max(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyMinimum(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.min(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodySigmoidBackward(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.mul(one.sub(y)).mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyTanhBackward(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.mul(one.sub(y.mul(y))).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyReluBackward(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        FloatVector zero = FloatVector.zero(FH);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += FH.length()) {
                FloatVector x = FloatVector.fromArray(FH, a, ia + i);
                FloatVector y = FloatVector.fromArray(FH, b, ib + i);
                x.blend(zero, y.compare(VectorOperators.LE, 0f)).intoArray(o, io + i);
            }
        }
    }

    /** a * sgn(b): sgn from two blends, so that 0 and NaN give 0 and a * 0 keeps a NaN or infinite a's NaN. */
    private static void denseBodyAbsBackward(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        FloatVector zero = FloatVector.zero(FH);
        FloatVector one = FloatVector.broadcast(FH, 1f);
        FloatVector minusOne = FloatVector.broadcast(FH, -1f);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += FH.length()) {
                FloatVector x = FloatVector.fromArray(FH, a, ia + i);
                FloatVector y = FloatVector.fromArray(FH, b, ib + i);
                FloatVector s = zero.blend(one, y.compare(VectorOperators.GT, 0f)).blend(minusOne, y.compare(VectorOperators.LT, 0f));
                x.mul(s).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBody(BinaryOp op, float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        switch (op) {
            case ADD -> scalarRightBodyAdd(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SUB -> scalarRightBodySub(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MUL -> scalarRightBodyMul(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case DIV -> scalarRightBodyDiv(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MAXIMUM -> scalarRightBodyMaximum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MINIMUM -> scalarRightBodyMinimum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SIGMOID_BACKWARD -> scalarRightBodySigmoidBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case TANH_BACKWARD -> scalarRightBodyTanhBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case RELU_BACKWARD -> scalarRightBodyReluBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void scalarRightBodyAdd(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector y0 = FloatVector.broadcast(F, b[ib]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = y0;
                x.add(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodySub(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector y0 = FloatVector.broadcast(F, b[ib]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = y0;
                x.sub(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyMul(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector y0 = FloatVector.broadcast(F, b[ib]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = y0;
                x.mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyDiv(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector y0 = FloatVector.broadcast(F, b[ib]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = y0;
                x.div(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyMaximum(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector y0 = FloatVector.broadcast(F, b[ib]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = y0;
                x.max(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyMinimum(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector y0 = FloatVector.broadcast(F, b[ib]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = y0;
                x.min(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodySigmoidBackward(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector y0 = FloatVector.broadcast(F, b[ib]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = y0;
                x.mul(one.sub(y)).mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyTanhBackward(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector y0 = FloatVector.broadcast(F, b[ib]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ia + i);
                FloatVector y = y0;
                x.mul(one.sub(y.mul(y))).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyReluBackward(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        FloatVector zero = FloatVector.zero(FH);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector y0 = FloatVector.broadcast(FH, b[ib]);
            for (int i = 0; i < n; i += FH.length()) {
                FloatVector x = FloatVector.fromArray(FH, a, ia + i);
                FloatVector y = y0;
                x.blend(zero, y.compare(VectorOperators.LE, 0f)).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBody(BinaryOp op, float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        switch (op) {
            case ADD -> scalarLeftBodyAdd(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SUB -> scalarLeftBodySub(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MUL -> scalarLeftBodyMul(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case DIV -> scalarLeftBodyDiv(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MAXIMUM -> scalarLeftBodyMaximum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MINIMUM -> scalarLeftBodyMinimum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SIGMOID_BACKWARD -> scalarLeftBodySigmoidBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case TANH_BACKWARD -> scalarLeftBodyTanhBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case RELU_BACKWARD -> scalarLeftBodyReluBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void scalarLeftBodyAdd(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector x0 = FloatVector.broadcast(F, a[ia]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = x0;
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.add(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodySub(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector x0 = FloatVector.broadcast(F, a[ia]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = x0;
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.sub(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyMul(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector x0 = FloatVector.broadcast(F, a[ia]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = x0;
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyDiv(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector x0 = FloatVector.broadcast(F, a[ia]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = x0;
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.div(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyMaximum(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector x0 = FloatVector.broadcast(F, a[ia]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = x0;
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.max(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyMinimum(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector x0 = FloatVector.broadcast(F, a[ia]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = x0;
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.min(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodySigmoidBackward(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector x0 = FloatVector.broadcast(F, a[ia]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = x0;
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.mul(one.sub(y)).mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyTanhBackward(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector x0 = FloatVector.broadcast(F, a[ia]);
            for (int i = 0; i < n; i += F.length()) {
                FloatVector x = x0;
                FloatVector y = FloatVector.fromArray(F, b, ib + i);
                x.mul(one.sub(y.mul(y))).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyReluBackward(float[] a, int ia, int ra, float[] b, int ib, int rb,
            float[] o, int io, int ro, int rows, int n) {
        FloatVector zero = FloatVector.zero(FH);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            FloatVector x0 = FloatVector.broadcast(FH, a[ia]);
            for (int i = 0; i < n; i += FH.length()) {
                FloatVector x = x0;
                FloatVector y = FloatVector.fromArray(FH, b, ib + i);
                x.blend(zero, y.compare(VectorOperators.LE, 0f)).intoArray(o, io + i);
            }
        }
    }

    /**
     * The sum of a[from .. from + n) in double: each block of {@link #SUM_BLOCK} elements is added in vector
     * lanes, then the lanes are added in a fixed order in double. {@code lanes} is scratch space of at least
     * {@link #floatLanes()} / {@link #doubleLanes()} elements.
     */
    static double sum(float[] a, int from, int n, float[] lanes) {
        int l = F.length();
        double total = 0;
        for (int b = 0; b < n; b += SUM_BLOCK) {
            int len = Math.min(SUM_BLOCK, n - b);
            int bound = F.loopBound(len);
            double s = 0;
            if (bound > 0) {
                FloatVector acc = FloatVector.fromArray(F, a, from + b);
                for (int i = l; i < bound; i += l) {
                    acc = acc.add(FloatVector.fromArray(F, a, from + b + i));
                }
                acc.intoArray(lanes, 0);
                // Four chains, combined in a fixed order: short rows are dominated by this step.
                s = laneSum(lanes, l);
            }
            for (int i = bound; i < len; i++) {
                s += a[from + b + i];
            }
            total += s;
        }
        return total;
    }

    /**
     * One dense row of softmax's numerators, o = exp(a - s): the subtraction and the exp of {@link #binary}'s and
     * {@link #unary}'s loops fused in one pass (the same roundings; the tail through a padded lane buffer too).
     */
    static void expShifted(float[] a, int ia, float s, float[] o, int io, int n) {
        int bound = F.loopBound(n);
        expShiftedBody(a, ia, s, o, io, bound);
        if (bound < n) {
            float[] t = new float[F.length()];
            System.arraycopy(a, ia + bound, t, 0, n - bound);
            expShiftedBody(t, 0, s, t, 0, t.length);
            System.arraycopy(t, 0, o, io + bound, n - bound);
        }
    }

    private static void expShiftedBody(float[] a, int ia, float s, float[] o, int io, int n) {
        FloatVector sv = FloatVector.broadcast(F, s);
        for (int i = 0; i < n; i += F.length()) {
            VectorMath.exp(FloatVector.fromArray(F, a, ia + i).sub(sv)).intoArray(o, io + i);
        }
    }

    /** One dense row of log-softmax, o = (a - s) - t, each subtraction rounded as in the plain loop, in one pass. */
    static void subTwice(float[] a, int ia, float s, float t, float[] o, int io, int n) {
        int bound = F.loopBound(n);
        subTwiceBody(a, ia, s, t, o, io, bound);
        for (int i = bound; i < n; i++) {
            o[io + i] = (a[ia + i] - s) - t;
        }
    }

    private static void subTwiceBody(float[] a, int ia, float s, float t, float[] o, int io, int n) {
        FloatVector sv = FloatVector.broadcast(F, s);
        FloatVector tv = FloatVector.broadcast(F, t);
        for (int i = 0; i < n; i += F.length()) {
            FloatVector.fromArray(F, a, ia + i).sub(sv).sub(tv).intoArray(o, io + i);
        }
    }

    /**
     * One dense row of log-softmax's VJP, o = g - exp(y) * s: exp through {@link #unary}'s loop, then the
     * multiply and subtract rounded per step as the plain loop does (so the tail's scalar steps are the lanes').
     */
    static void logSoftmaxBackward(float[] y, int iy, float[] g, int ig, float s, float[] o, int io, int n) {
        unary(UnaryOp.EXP, y, iy, o, io, n);
        int bound = F.loopBound(n);
        logSoftmaxBackwardBody(g, ig, s, o, io, bound);
        for (int i = bound; i < n; i++) {
            o[io + i] = g[ig + i] - o[io + i] * s;
        }
    }

    private static void logSoftmaxBackwardBody(float[] g, int ig, float s, float[] o, int io, int n) {
        FloatVector sv = FloatVector.broadcast(F, s);
        for (int i = 0; i < n; i += F.length()) {
            FloatVector e = FloatVector.fromArray(F, o, io + i);
            FloatVector.fromArray(F, g, ig + i).sub(e.mul(sv)).intoArray(o, io + i);
        }
    }

    /** One dense row of softmax's VJP, o = g * y - y * s, each step rounded as in the plain loop. */
    static void softmaxBackward(float[] y, int iy, float[] g, int ig, float s, float[] o, int io, int n) {
        int bound = F.loopBound(n);
        softmaxBackwardBody(y, iy, g, ig, s, o, io, bound);
        for (int i = bound; i < n; i++) {
            o[io + i] = g[ig + i] * y[iy + i] - y[iy + i] * s;
        }
    }

    private static void softmaxBackwardBody(float[] y, int iy, float[] g, int ig, float s, float[] o, int io, int n) {
        FloatVector sv = FloatVector.broadcast(F, s);
        for (int i = 0; i < n; i += F.length()) {
            FloatVector yv = FloatVector.fromArray(F, y, iy + i);
            FloatVector.fromArray(F, g, ig + i).mul(yv).sub(yv.mul(sv)).intoArray(o, io + i);
        }
    }

    /**
     * out[k] = {@link #sum}(a, from + k * n, n) for k &lt; rows, n at most {@link #SUM_BLOCK} (one block per row):
     * the same steps, two rows at a time so that their addition chains overlap.
     */
    static void sumRows(float[] a, int from, int n, int rows, double[] out) {
        int l = F.length();
        int bound = F.loopBound(n);
        float[] lanes = new float[l];
        int k = 0;
        for (; k + 2 <= rows; k += 2) {
            int p0 = from + k * n;
            int p1 = p0 + n;
            double s0 = 0;
            double s1 = 0;
            if (bound > 0) {
                FloatVector acc0 = FloatVector.fromArray(F, a, p0);
                FloatVector acc1 = FloatVector.fromArray(F, a, p1);
                for (int i = l; i < bound; i += l) {
                    acc0 = acc0.add(FloatVector.fromArray(F, a, p0 + i));
                    acc1 = acc1.add(FloatVector.fromArray(F, a, p1 + i));
                }
                acc0.intoArray(lanes, 0);
                s0 = laneSum(lanes, l);
                acc1.intoArray(lanes, 0);
                s1 = laneSum(lanes, l);
            }
            for (int i = bound; i < n; i++) {
                s0 += a[p0 + i];
                s1 += a[p1 + i];
            }
            out[k] = s0;
            out[k + 1] = s1;
        }
        for (; k < rows; k++) {
            out[k] = sum(a, from + k * n, n, lanes);
        }
    }

    /** The lanes added in {@link #sum}'s fixed order. */
    private static double laneSum(float[] lanes, int l) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int k = 0;
        for (; k + 4 <= l; k += 4) {
            s0 += lanes[k];
            s1 += lanes[k + 1];
            s2 += lanes[k + 2];
            s3 += lanes[k + 3];
        }
        for (; k < l; k++) {
            s0 += lanes[k];
        }
        return (s0 + s1) + (s2 + s3);
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

    /**
     * acc[j] op= x[ix + r * step + j] for rows r &lt; rows in order and j &lt; w, op being ADD, MAXIMUM or MINIMUM:
     * the same steps as one {@link #accumulate} per row, without a call per row. The tail columns are the
     * scalar steps, equal to the lanes' (no fused operations).
     */
    static void accumulateRows(BinaryOp op, float[] x, int ix, int step, int rows, float[] acc, int w) {
        int bound = F.loopBound(w);
        switch (op) {
            case ADD -> accumulateRowsAdd(x, ix, step, rows, acc, bound);
            case MAXIMUM -> accumulateRowsMax(x, ix, step, rows, acc, bound);
            case MINIMUM -> accumulateRowsMin(x, ix, step, rows, acc, bound);
            default -> throw new IllegalArgumentException("no row accumulation for " + op);
        }
        for (int r = 0, at = ix; r < rows; r++, at += step) {
            for (int j = bound; j < w; j++) {
                float e = x[at + j];
                acc[j] = op == BinaryOp.ADD ? acc[j] + e : op == BinaryOp.MAXIMUM ? Math.max(acc[j], e) : Math.min(acc[j], e);
            }
        }
    }

    private static void accumulateRowsAdd(float[] x, int ix, int step, int rows, float[] acc, int bound) {
        for (int r = 0, at = ix; r < rows; r++, at += step) {
            for (int j = 0; j < bound; j += F.length()) {
                FloatVector.fromArray(F, acc, j).add(FloatVector.fromArray(F, x, at + j)).intoArray(acc, j);
            }
        }
    }

    private static void accumulateRowsMax(float[] x, int ix, int step, int rows, float[] acc, int bound) {
        for (int r = 0, at = ix; r < rows; r++, at += step) {
            for (int j = 0; j < bound; j += F.length()) {
                FloatVector.fromArray(F, acc, j).max(FloatVector.fromArray(F, x, at + j)).intoArray(acc, j);
            }
        }
    }

    private static void accumulateRowsMin(float[] x, int ix, int step, int rows, float[] acc, int bound) {
        for (int r = 0, at = ix; r < rows; r++, at += step) {
            for (int j = 0; j < bound; j += F.length()) {
                FloatVector.fromArray(F, acc, j).min(FloatVector.fromArray(F, x, at + j)).intoArray(acc, j);
            }
        }
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

    // One small method per op: the JIT inlines (and so intrinsifies) the Vector API calls reliably only in
    // small methods; a vector boxed across a call runs the API's slow Java fallback.
    private static void unaryBody(UnaryOp op, double[] a, int ia, double[] o, int io, int n) {
        switch (op) {
            case NEG -> unaryNeg(a, ia, o, io, n);
            case ABS -> unaryAbs(a, ia, o, io, n);
            case SQRT -> unarySqrt(a, ia, o, io, n);
            case RELU -> unaryRelu(a, ia, o, io, n);
            case EXP -> unaryExp(a, ia, o, io, n);
            case LOG -> unaryLog(a, ia, o, io, n);
            case SIN -> unarySin(a, ia, o, io, n);
            case COS -> unaryCos(a, ia, o, io, n);
            case TANH -> unaryTanh(a, ia, o, io, n);
            case SIGMOID -> unarySigmoid(a, ia, o, io, n);
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void unaryNeg(double[] a, int ia, double[] o, int io, int n) {
        for (int i = 0; i < n; i += D.length()) {
            DoubleVector.fromArray(D, a, ia + i).neg().intoArray(o, io + i);
        }
    }

    private static void unaryAbs(double[] a, int ia, double[] o, int io, int n) {
        for (int i = 0; i < n; i += D.length()) {
            DoubleVector.fromArray(D, a, ia + i).abs().intoArray(o, io + i);
        }
    }

    private static void unarySqrt(double[] a, int ia, double[] o, int io, int n) {
        for (int i = 0; i < n; i += D.length()) {
            DoubleVector.fromArray(D, a, ia + i).sqrt().intoArray(o, io + i);
        }
    }

    private static void unaryRelu(double[] a, int ia, double[] o, int io, int n) {
        for (int i = 0; i < n; i += D.length()) {
            DoubleVector.fromArray(D, a, ia + i).max(0.0).intoArray(o, io + i);
        }
    }

    private static void unaryExp(double[] a, int ia, double[] o, int io, int n) {
        for (int i = 0; i < n; i += D.length()) {
            VectorMath.exp(DoubleVector.fromArray(D, a, ia + i)).intoArray(o, io + i);
        }
    }

    private static void unaryLog(double[] a, int ia, double[] o, int io, int n) {
        for (int i = 0; i < n; i += D.length()) {
            VectorMath.log(DoubleVector.fromArray(D, a, ia + i)).intoArray(o, io + i);
        }
    }

    private static void unarySin(double[] a, int ia, double[] o, int io, int n) {
        for (int i = 0; i < n; i += D.length()) {
            DoubleVector.fromArray(D, a, ia + i).lanewise(VectorOperators.SIN).intoArray(o, io + i);
        }
    }

    private static void unaryCos(double[] a, int ia, double[] o, int io, int n) {
        for (int i = 0; i < n; i += D.length()) {
            DoubleVector.fromArray(D, a, ia + i).lanewise(VectorOperators.COS).intoArray(o, io + i);
        }
    }

    private static void unaryTanh(double[] a, int ia, double[] o, int io, int n) {
        for (int i = 0; i < n; i += D.length()) {
            VectorMath.tanh(DoubleVector.fromArray(D, a, ia + i)).intoArray(o, io + i);
        }
    }

    private static void unarySigmoid(double[] a, int ia, double[] o, int io, int n) {
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        for (int i = 0; i < n; i += D.length()) {
            one.div(VectorMath.exp(DoubleVector.fromArray(D, a, ia + i).neg()).add(one)).intoArray(o, io + i);
        }
    }

    /**
     * o[io + i] = op(a[ia + i * ta], b[ib + i * tb]) for i &lt; n, where each of ta, tb is 1 (a dense run) or
     * 0 (one element repeated), not both 0; op must be one {@link #handles(BinaryOp)} accepts.
     */
    static void binary(BinaryOp op, double[] a, int ia, int ta, double[] b, int ib, int tb, double[] o, int io, int n) {
        binary(op, a, ia, 0, ta, b, ib, 0, tb, o, io, 0, 1, n);
    }

    /**
     * {@link #binary(BinaryOp, double[], int, int, double[], int, int, double[], int, int)} on each of {@code rows} rows of
     * n elements, row r of a starting at ia + r * ra (of b at ib + r * rb, of o at io + r * ro): one call for a
     * block of short rows, such as a broadcast row vector (rb = 0, tb = 1) or column vector (rb = 1, tb = 0).
     * Every element gets the same operations as in a one-row call.
     */
    static void binary(BinaryOp op, double[] a, int ia, int ra, int ta, double[] b, int ib, int rb, int tb, double[] o, int io,
            int ro, int rows, int n) {
        int bound = D.loopBound(n);
        if (bound == n || o != a && o != b) {
            binaryBody(op, a, ia, ra, ta, b, ib, rb, tb, o, io, ro, rows, bound);
            if (bound < n) {
                binaryTails(op, a, ia, ra, ta, b, ib, rb, tb, o, io, ro, 0, rows, bound, n);
            }
        } else {
            // The output is an operand: each row's tail right after its body, as in one-row calls.
            for (int r = 0; r < rows; r++) {
                binaryBody(op, a, ia + r * ra, 0, ta, b, ib + r * rb, 0, tb, o, io + r * ro, 0, 1, bound);
                binaryTails(op, a, ia, ra, ta, b, ib, rb, tb, o, io, ro, r, r + 1, bound, n);
            }
        }
    }

    /** Elements bound .. n of rows from .. to, each computed by the vector body on a zero-padded copy. */
    private static void binaryTails(BinaryOp op, double[] a, int ia, int ra, int ta, double[] b, int ib, int rb, int tb, double[] o,
            int io, int ro, int from, int to, int bound, int n) {
        int l = D.length();
        double[] pa = ta == 0 ? a : new double[l];
        double[] pb = tb == 0 ? b : new double[l];
        double[] t = new double[l];
        for (int r = from; r < to; r++) {
            if (ta != 0) {
                System.arraycopy(a, ia + r * ra + bound, pa, 0, n - bound);
            }
            if (tb != 0) {
                System.arraycopy(b, ib + r * rb + bound, pb, 0, n - bound);
            }
            binaryBody(op, pa, ta == 0 ? ia + r * ra : 0, 0, ta, pb, tb == 0 ? ib + r * rb : 0, 0, tb, t, 0, 0, 1, l);
            System.arraycopy(t, 0, o, io + r * ro + bound, n - bound);
        }
    }

    private static void binaryBody(BinaryOp op, double[] a, int ia, int ra, int ta, double[] b, int ib, int rb, int tb, double[] o,
            int io, int ro, int rows, int n) {
        if (ta == 1 && tb == 1) {
            denseBody(op, a, ia, ra, b, ib, rb, o, io, ro, rows, n);
        } else if (ta == 1) {
            scalarRightBody(op, a, ia, ra, b, ib, rb, o, io, ro, rows, n);
        } else {
            scalarLeftBody(op, a, ia, ra, b, ib, rb, o, io, ro, rows, n);
        }
    }

    private static void denseBody(BinaryOp op, double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        switch (op) {
            case ADD -> denseBodyAdd(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SUB -> denseBodySub(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MUL -> denseBodyMul(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case DIV -> denseBodyDiv(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MAXIMUM -> denseBodyMaximum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MINIMUM -> denseBodyMinimum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SIGMOID_BACKWARD -> denseBodySigmoidBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case TANH_BACKWARD -> denseBodyTanhBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case RELU_BACKWARD -> denseBodyReluBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void denseBodyAdd(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.add(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodySub(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.sub(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyMul(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyDiv(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.div(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyMaximum(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.max(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyMinimum(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.min(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodySigmoidBackward(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.mul(one.sub(y)).mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyTanhBackward(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.mul(one.sub(y.mul(y))).intoArray(o, io + i);
            }
        }
    }

    private static void denseBodyReluBackward(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        DoubleVector zero = DoubleVector.zero(DH);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            for (int i = 0; i < n; i += DH.length()) {
                DoubleVector x = DoubleVector.fromArray(DH, a, ia + i);
                DoubleVector y = DoubleVector.fromArray(DH, b, ib + i);
                x.blend(zero, y.compare(VectorOperators.LE, 0.0)).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBody(BinaryOp op, double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        switch (op) {
            case ADD -> scalarRightBodyAdd(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SUB -> scalarRightBodySub(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MUL -> scalarRightBodyMul(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case DIV -> scalarRightBodyDiv(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MAXIMUM -> scalarRightBodyMaximum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MINIMUM -> scalarRightBodyMinimum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SIGMOID_BACKWARD -> scalarRightBodySigmoidBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case TANH_BACKWARD -> scalarRightBodyTanhBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case RELU_BACKWARD -> scalarRightBodyReluBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void scalarRightBodyAdd(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector y0 = DoubleVector.broadcast(D, b[ib]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = y0;
                x.add(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodySub(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector y0 = DoubleVector.broadcast(D, b[ib]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = y0;
                x.sub(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyMul(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector y0 = DoubleVector.broadcast(D, b[ib]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = y0;
                x.mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyDiv(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector y0 = DoubleVector.broadcast(D, b[ib]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = y0;
                x.div(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyMaximum(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector y0 = DoubleVector.broadcast(D, b[ib]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = y0;
                x.max(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyMinimum(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector y0 = DoubleVector.broadcast(D, b[ib]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = y0;
                x.min(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodySigmoidBackward(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector y0 = DoubleVector.broadcast(D, b[ib]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = y0;
                x.mul(one.sub(y)).mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyTanhBackward(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector y0 = DoubleVector.broadcast(D, b[ib]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = DoubleVector.fromArray(D, a, ia + i);
                DoubleVector y = y0;
                x.mul(one.sub(y.mul(y))).intoArray(o, io + i);
            }
        }
    }

    private static void scalarRightBodyReluBackward(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        DoubleVector zero = DoubleVector.zero(DH);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector y0 = DoubleVector.broadcast(DH, b[ib]);
            for (int i = 0; i < n; i += DH.length()) {
                DoubleVector x = DoubleVector.fromArray(DH, a, ia + i);
                DoubleVector y = y0;
                x.blend(zero, y.compare(VectorOperators.LE, 0.0)).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBody(BinaryOp op, double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        switch (op) {
            case ADD -> scalarLeftBodyAdd(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SUB -> scalarLeftBodySub(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MUL -> scalarLeftBodyMul(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case DIV -> scalarLeftBodyDiv(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MAXIMUM -> scalarLeftBodyMaximum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case MINIMUM -> scalarLeftBodyMinimum(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case SIGMOID_BACKWARD -> scalarLeftBodySigmoidBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case TANH_BACKWARD -> scalarLeftBodyTanhBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            case RELU_BACKWARD -> scalarLeftBodyReluBackward(a, ia, ra, b, ib, rb, o, io, ro, rows, n);
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    private static void scalarLeftBodyAdd(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector x0 = DoubleVector.broadcast(D, a[ia]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = x0;
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.add(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodySub(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector x0 = DoubleVector.broadcast(D, a[ia]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = x0;
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.sub(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyMul(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector x0 = DoubleVector.broadcast(D, a[ia]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = x0;
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyDiv(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector x0 = DoubleVector.broadcast(D, a[ia]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = x0;
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.div(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyMaximum(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector x0 = DoubleVector.broadcast(D, a[ia]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = x0;
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.max(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyMinimum(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector x0 = DoubleVector.broadcast(D, a[ia]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = x0;
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.min(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodySigmoidBackward(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector x0 = DoubleVector.broadcast(D, a[ia]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = x0;
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.mul(one.sub(y)).mul(y).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyTanhBackward(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector x0 = DoubleVector.broadcast(D, a[ia]);
            for (int i = 0; i < n; i += D.length()) {
                DoubleVector x = x0;
                DoubleVector y = DoubleVector.fromArray(D, b, ib + i);
                x.mul(one.sub(y.mul(y))).intoArray(o, io + i);
            }
        }
    }

    private static void scalarLeftBodyReluBackward(double[] a, int ia, int ra, double[] b, int ib, int rb,
            double[] o, int io, int ro, int rows, int n) {
        DoubleVector zero = DoubleVector.zero(DH);
        for (int r = 0; r < rows; r++, ia += ra, ib += rb, io += ro) {
            DoubleVector x0 = DoubleVector.broadcast(DH, a[ia]);
            for (int i = 0; i < n; i += DH.length()) {
                DoubleVector x = x0;
                DoubleVector y = DoubleVector.fromArray(DH, b, ib + i);
                x.blend(zero, y.compare(VectorOperators.LE, 0.0)).intoArray(o, io + i);
            }
        }
    }

    /**
     * The sum of a[from .. from + n) in double: each block of {@link #SUM_BLOCK} elements is added in vector
     * lanes, then the lanes are added in a fixed order in double. {@code lanes} is scratch space of at least
     * {@link #floatLanes()} / {@link #doubleLanes()} elements.
     */
    static double sum(double[] a, int from, int n, double[] lanes) {
        int l = D.length();
        double total = 0;
        for (int b = 0; b < n; b += SUM_BLOCK) {
            int len = Math.min(SUM_BLOCK, n - b);
            int bound = D.loopBound(len);
            double s = 0;
            if (bound > 0) {
                DoubleVector acc = DoubleVector.fromArray(D, a, from + b);
                for (int i = l; i < bound; i += l) {
                    acc = acc.add(DoubleVector.fromArray(D, a, from + b + i));
                }
                acc.intoArray(lanes, 0);
                // Four chains, combined in a fixed order: short rows are dominated by this step.
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int k = 0;
                for (; k + 4 <= l; k += 4) {
                    s0 += lanes[k];
                    s1 += lanes[k + 1];
                    s2 += lanes[k + 2];
                    s3 += lanes[k + 3];
                }
                for (; k < l; k++) {
                    s0 += lanes[k];
                }
                s = (s0 + s1) + (s2 + s3);
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

    // ---------------------------------------------------------------- copies

    /** Rows at most this long go through {@link #copyRows}; longer ones are one System.arraycopy each. */
    static final int SHORT_ROW = 128;

    /**
     * o[io + r * ro + i] = a[ia + r * ra + i] for r &lt; rows, i &lt; n, for short rows (a concatenation's
     * halves) where one System.arraycopy per row costs more than the copy. a and o must not be the same array
     * (the rows of a view copied onto itself could overlap). A row's last vector may overlap its previous
     * one (it rewrites the same values); rows shorter than a vector are copied element by element.
     */
    static void copyRows(float[] a, int ia, int ra, float[] o, int io, int ro, int rows, int n) {
        int l = F.length();
        if (n < l) {
            for (int r = 0; r < rows; r++, ia += ra, io += ro) {
                for (int i = 0; i < n; i++) {
                    o[io + i] = a[ia + i];
                }
            }
            return;
        }
        int last = n - l;
        for (int r = 0; r < rows; r++, ia += ra, io += ro) {
            for (int i = 0; i < last; i += l) {
                FloatVector.fromArray(F, a, ia + i).intoArray(o, io + i);
            }
            FloatVector.fromArray(F, a, ia + last).intoArray(o, io + last);
        }
    }

    static void copyRows(double[] a, int ia, int ra, double[] o, int io, int ro, int rows, int n) {
        int l = D.length();
        if (n < l) {
            for (int r = 0; r < rows; r++, ia += ra, io += ro) {
                for (int i = 0; i < n; i++) {
                    o[io + i] = a[ia + i];
                }
            }
            return;
        }
        int last = n - l;
        for (int r = 0; r < rows; r++, ia += ra, io += ro) {
            for (int i = 0; i < last; i += l) {
                DoubleVector.fromArray(D, a, ia + i).intoArray(o, io + i);
            }
            DoubleVector.fromArray(D, a, ia + last).intoArray(o, io + last);
        }
    }

    /** o[io + r * ro + i] = a[ia + r * ra] for r &lt; rows, i &lt; n: each row one element repeated. */
    static void fillRows(float[] a, int ia, int ra, float[] o, int io, int ro, int rows, int n) {
        int l = F.length();
        if (n < l) {
            for (int r = 0; r < rows; r++, ia += ra, io += ro) {
                java.util.Arrays.fill(o, io, io + n, a[ia]);
            }
            return;
        }
        int last = n - l;
        for (int r = 0; r < rows; r++, ia += ra, io += ro) {
            FloatVector v = FloatVector.broadcast(F, a[ia]);
            for (int i = 0; i < last; i += l) {
                v.intoArray(o, io + i);
            }
            v.intoArray(o, io + last);
        }
    }

    static void fillRows(double[] a, int ia, int ra, double[] o, int io, int ro, int rows, int n) {
        int l = D.length();
        if (n < l) {
            for (int r = 0; r < rows; r++, ia += ra, io += ro) {
                java.util.Arrays.fill(o, io, io + n, a[ia]);
            }
            return;
        }
        int last = n - l;
        for (int r = 0; r < rows; r++, ia += ra, io += ro) {
            DoubleVector v = DoubleVector.broadcast(D, a[ia]);
            for (int i = 0; i < last; i += l) {
                v.intoArray(o, io + i);
            }
            v.intoArray(o, io + last);
        }
    }
}
