package org.sparkgrad.engine;

/**
 * The window geometry of a 2-d convolution or pooling, and the index table that turns an image into its
 * columns (im2col) with the existing gather primitive: entry (c, ki, kj, oh, ow) holds the flat position
 * {@code c*H*W + h*W + w} of the input element under kernel tap (ki, kj) of output position (oh, ow), or
 * {@code C*H*W} (one past the image: a padding cell the caller appends) where the tap falls in the padding.
 * Scattering the columns back with the same table (scatter-add) is col2im. Built on the host, so every
 * backend runs it with its own gather and scatter-add.
 */
record Im2col(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow) {

    /** The geometry of a convolution: output size floor((in + 2p - d(k-1) - 1) / s) + 1. */
    static Im2col conv(int h, int w, int[] k, int[] s, int[] p, int[] d) {
        return new Im2col(h, w, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1],
                outSize(h, k[0], s[0], p[0], d[0], false), outSize(w, k[1], s[1], p[1], d[1], false));
    }

    /** The geometry of a pooling, with PyTorch's ceil_mode rule (the last window must start inside the input or left padding). */
    static Im2col pool(int h, int w, int[] k, int[] s, int[] p, int[] d, boolean ceil) {
        return new Im2col(h, w, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1],
                outSize(h, k[0], s[0], p[0], d[0], ceil), outSize(w, k[1], s[1], p[1], d[1], ceil));
    }

    /** PyTorch's pooling_output_shape (for convolutions without ceil_mode it is the usual formula). */
    static int outSize(int in, int k, int s, int p, int d, boolean ceil) {
        int span = in + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
        int out = Math.floorDiv(span, s) + 1;
        if (ceil && (out - 1) * s >= in + p) {
            out--;
        }
        return out;
    }

    /** Output positions per channel. */
    int positions() {
        return oh * ow;
    }

    /** Tables by geometry, channels and device: layers call with the same shapes step after step. */
    private static final java.util.Map<Object, Tensor> TABLES = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_TABLES = 256;

    private record TableKey(Im2col geo, int channels, Device device) {
    }

    /** {@link #table(int)} as an int64 tensor [1, channels * kh * kw * oh * ow] on device, cached. */
    Tensor tableTensor(int channels, Device device) {
        TableKey key = new TableKey(this, channels, device);
        Tensor t = TABLES.get(key);
        if (t == null) {
            if (TABLES.size() >= MAX_TABLES) {
                TABLES.clear();
            }
            long[] v = table(channels);
            t = HostTensors.indices(v, device, 1, v.length);
            TABLES.put(key, t);
        }
        return t;
    }

    /** The table for `channels` channels, row-major [channels * kh * kw, oh * ow]. */
    long[] table(int channels) {
        int l = positions();
        int hw = h * w;
        long pad = (long) channels * hw;
        long[] t = new long[channels * kh * kw * l];
        int at = 0;
        for (int c = 0; c < channels; c++) {
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    for (int i = 0; i < oh; i++) {
                        int y = i * sh - ph + ki * dh;
                        for (int j = 0; j < ow; j++) {
                            int x = j * sw - pw + kj * dw;
                            t[at++] = y >= 0 && y < h && x >= 0 && x < w ? (long) c * hw + (long) y * w + x : pad;
                        }
                    }
                }
            }
        }
        return t;
    }

    /** x [rows, n] with one more column holding value: the padding cell the table points at. */
    static Tensor withPadCell(Tensor x2d, double value) {
        Tensor pad = Tensor.full(value, x2d.dtype(), x2d.size(0), 1).to(x2d.device());
        return Tensor.cat(1, x2d, pad);
    }

    /** The columns of rows x [rows, n] (differentiable in x): [rows, table length], padding cells = value. */
    static Tensor columns(Tensor x2d, Tensor table, double value) {
        return withPadCell(x2d, value).gather(1, table.expand(x2d.size(0), table.size(1)));
    }

    /** col2im: the columns [rows, table length] summed back into rows [rows, n] (differentiable in cols). */
    static Tensor image(Tensor cols, Tensor table, int n) {
        Tensor index = table.expand(cols.size(0), table.size(1));
        return IndexingOps.scatterAddInto(new int[] {cols.size(0), n + 1}, 1, index, cols).narrow(1, 0, n);
    }
}
