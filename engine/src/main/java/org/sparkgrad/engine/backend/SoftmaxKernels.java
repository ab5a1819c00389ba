package org.sparkgrad.engine.backend;

/**
 * One row of softmax / log-softmax and of their backward, in float and double: row elements are {@code n}
 * values {@code step} apart. The arithmetic is the engine's former composition step by step (subtract the
 * max in the element type, exp, sum in double rounded to the element type, divide or subtract the log), so
 * the fused result is the composed one up to the last bits. Dense rows run the same steps on {@link Simd}'s
 * vector loops (its exp, its blocked sum).
 */
final class SoftmaxKernels {
    private SoftmaxKernels() {
    }

    static void forward(boolean log, float[] x, int ix, int sx, float[] o, int io, int so, int n) {
        if (sx == 1 && so == 1 && n > 0 && VectorApi.AVAILABLE) {
            denseForward(log, x, ix, o, io, n);
            return;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0, a = ix; i < n; i++, a += sx) {
            float e = x[a];
            max = e > max || e != e ? e : max; // the first NaN sticks
        }
        // A row whose max is +-inf or NaN is shifted by 0, as PyTorch's logsumexp does.
        float shift = Float.isFinite(max) ? max : 0f;
        double sum = 0;
        if (log) {
            for (int i = 0, a = ix; i < n; i++, a += sx) {
                sum += (float) Math.exp(x[a] - shift);
            }
            float lse = (float) Math.log((float) sum);
            for (int i = 0, a = ix, b = io; i < n; i++, a += sx, b += so) {
                o[b] = (x[a] - shift) - lse;
            }
        } else {
            for (int i = 0, a = ix, b = io; i < n; i++, a += sx, b += so) {
                float e = (float) Math.exp(x[a] - shift);
                o[b] = e;
                sum += e;
            }
            float s = (float) sum;
            for (int i = 0, b = io; i < n; i++, b += so) {
                o[b] /= s;
            }
        }
    }

    static void forward(boolean log, double[] x, int ix, int sx, double[] o, int io, int so, int n) {
        if (sx == 1 && so == 1 && n > 0 && VectorApi.AVAILABLE) {
            denseForward(log, x, ix, o, io, n);
            return;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0, a = ix; i < n; i++, a += sx) {
            double e = x[a];
            max = e > max || e != e ? e : max;
        }
        double shift = Double.isFinite(max) ? max : 0;
        double sum = 0;
        if (log) {
            for (int i = 0, a = ix; i < n; i++, a += sx) {
                sum += Math.exp(x[a] - shift);
            }
            double lse = Math.log(sum);
            for (int i = 0, a = ix, b = io; i < n; i++, a += sx, b += so) {
                o[b] = (x[a] - shift) - lse;
            }
        } else {
            for (int i = 0, a = ix, b = io; i < n; i++, a += sx, b += so) {
                double e = Math.exp(x[a] - shift);
                o[b] = e;
                sum += e;
            }
            for (int i = 0, b = io; i < n; i++, b += so) {
                o[b] /= sum;
            }
        }
    }

    /** One dense row: z = x - shift and exp(z) through the vector loops, then divide or subtract the log. */
    private static void denseForward(boolean log, float[] x, int ix, float[] o, int io, int n) {
        float max = Simd.extreme(true, x, ix, n);
        float shift = Float.isFinite(max) ? max : 0f;
        // exp(z), z = x - shift, in one pass (o holds it for the sum)
        Simd.expShifted(x, ix, shift, o, io, n);
        if (log) {
            // then o = z - lse, z recomputed (no buffer per row), in one pass
            float lse = (float) Math.log((float) Simd.sum(o, io, n, new float[Simd.floatLanes()]));
            Simd.subTwice(x, ix, shift, lse, o, io, n);
        } else {
            float[] sum = {(float) Simd.sum(o, io, n, new float[Simd.floatLanes()])};
            Simd.binary(BinaryOp.DIV, o, io, 1, sum, 0, 0, o, io, n);
        }
    }

    private static void denseForward(boolean log, double[] x, int ix, double[] o, int io, int n) {
        double max = Simd.extreme(true, x, ix, n);
        double[] shift = {Double.isFinite(max) ? max : 0};
        Simd.binary(BinaryOp.SUB, x, ix, 1, shift, 0, 0, o, io, n);
        if (log) {
            // exp(z) only for its sum, in o; then o = z - lse, z recomputed (no buffer per row).
            Simd.unary(UnaryOp.EXP, o, io, o, io, n);
            double[] lse = {Math.log(Simd.sum(o, io, n, new double[Simd.doubleLanes()]))};
            Simd.binary(BinaryOp.SUB, x, ix, 1, shift, 0, 0, o, io, n);
            Simd.binary(BinaryOp.SUB, o, io, 1, lse, 0, 0, o, io, n);
        } else {
            Simd.unary(UnaryOp.EXP, o, io, o, io, n);
            double[] sum = {Simd.sum(o, io, n, new double[Simd.doubleLanes()])};
            Simd.binary(BinaryOp.DIV, o, io, 1, sum, 0, 0, o, io, n);
        }
    }

    /** softmax: gx = gy * y - y * sum(gy * y); log: gx = gy - exp(y) * sum(gy) (the composed order). */
    static void backward(boolean log, float[] y, int iy, int sy, float[] g, int ig, int sg, float[] o, int io, int so,
            int n) {
        if (sy == 1 && sg == 1 && so == 1 && n > 0 && VectorApi.AVAILABLE) {
            denseBackward(log, y, iy, g, ig, o, io, n);
            return;
        }
        double acc = 0;
        if (log) {
            for (int i = 0, b = ig; i < n; i++, b += sg) {
                acc += g[b];
            }
            float s = (float) acc;
            for (int i = 0, a = iy, b = ig, c = io; i < n; i++, a += sy, b += sg, c += so) {
                o[c] = g[b] - (float) Math.exp(y[a]) * s;
            }
        } else {
            for (int i = 0, a = iy, b = ig; i < n; i++, a += sy, b += sg) {
                acc += g[b] * y[a];
            }
            float s = (float) acc;
            for (int i = 0, a = iy, b = ig, c = io; i < n; i++, a += sy, b += sg, c += so) {
                o[c] = g[b] * y[a] - y[a] * s;
            }
        }
    }

    /**
     * One dense row through the vector loops, in the composed VJP's steps on dense rows: the row sum is
     * {@link Simd#sum}'s (of g, or of the float products g * y, kept in o), exp is the vector exp.
     */
    private static void denseBackward(boolean log, float[] y, int iy, float[] g, int ig, float[] o, int io, int n) {
        float[] lanes = new float[Simd.floatLanes()];
        if (log) {
            float s = (float) Simd.sum(g, ig, n, lanes);
            Simd.logSoftmaxBackward(y, iy, g, ig, s, o, io, n);
        } else {
            Simd.binary(BinaryOp.MUL, g, ig, 1, y, iy, 1, o, io, n);
            float s = (float) Simd.sum(o, io, n, lanes);
            Simd.softmaxBackward(y, iy, g, ig, s, o, io, n);
        }
    }

    static void backward(boolean log, double[] y, int iy, int sy, double[] g, int ig, int sg, double[] o, int io, int so,
            int n) {
        double s = 0;
        if (log) {
            for (int i = 0, b = ig; i < n; i++, b += sg) {
                s += g[b];
            }
            for (int i = 0, a = iy, b = ig, c = io; i < n; i++, a += sy, b += sg, c += so) {
                o[c] = g[b] - Math.exp(y[a]) * s;
            }
        } else {
            for (int i = 0, a = iy, b = ig; i < n; i++, a += sy, b += sg) {
                s += g[b] * y[a];
            }
            for (int i = 0, a = iy, b = ig, c = io; i < n; i++, a += sy, b += sg, c += so) {
                o[c] = g[b] * y[a] - y[a] * s;
            }
        }
    }
}
