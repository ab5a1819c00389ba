package org.sparkgrad.engine.backend;

/**
 * One row of softmax / log-softmax and of their backward, in float and double: row elements are {@code n}
 * values {@code step} apart. The arithmetic is the engine's former composition step by step (subtract the
 * max in the element type, exp, sum in double rounded to the element type, divide or subtract the log), so
 * the fused result is the composed one bit for bit.
 */
final class SoftmaxKernels {
    private SoftmaxKernels() {
    }

    static void forward(boolean log, float[] x, int ix, int sx, float[] o, int io, int so, int n) {
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

    /** softmax: gx = gy * y - y * sum(gy * y); log: gx = gy - exp(y) * sum(gy) (the composed order). */
    static void backward(boolean log, float[] y, int iy, int sy, float[] g, int ig, int sg, float[] o, int io, int so,
            int n) {
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
