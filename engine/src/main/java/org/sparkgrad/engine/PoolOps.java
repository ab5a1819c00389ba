package org.sparkgrad.engine;

/**
 * 2-d max, average and adaptive average pooling as single autograd nodes (MaxPool2DWithIndicesBackward0,
 * AvgPool2DBackward0, AdaptiveAvgPool2DBackward0), forward and VJP side by side. Max pooling gathers each
 * window with an {@link Im2col} table (padding cells are -inf), takes the first maximum of each window with
 * the arg-reduce primitive, and scatters the gradient back to it. Average pooling is separable: {@code Ah @ x
 * @ Aw^T} with Ah [OH, H] and Aw [OW, W] holding each window's 1 / divisor, and its VJP {@code Ah^T @ g @ Aw}.
 * The engine side of {@code org.sparkgrad.engine.nn.F}'s pooling functions, which check the arguments.
 */
public final class PoolOps {
    private PoolOps() {
    }

    /**
     * PyTorch's pooling output size along one dimension ({@code pooling_output_shape}): floor (or ceil) of
     * (in + 2 padding - dilation (kernel - 1) - 1) / stride, plus 1; in ceil mode the last window must start
     * inside the input or the left padding.
     */
    public static int outputSize(int in, int kernel, int stride, int padding, int dilation, boolean ceilMode) {
        return Im2col.outSize(in, kernel, stride, padding, dilation, ceilMode);
    }

    /** Max over windows of x [N, C, H, W]; kernel, stride, padding, dilation are {height, width}. */
    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        int n = x.size(0);
        int c = x.size(1);
        int hw = x.size(2) * x.size(3);
        Im2col geo = Im2col.pool(x.size(2), x.size(3), kernel, stride, padding, dilation, ceilMode);
        int kk = kernel[0] * kernel[1];
        int l = geo.positions();
        Tensor index = geo.tableTensor(1, x.device());
        Tensor out;
        Tensor argmax;
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor windows = Im2col.columns(x.reshape(n * c, hw), index, Double.NEGATIVE_INFINITY).view(n * c, kk, l);
            Tensor[] vi = Dispatch.argReduce(true, windows, 1, true);
            out = vi[0].view(n, c, geo.oh(), geo.ow());
            argmax = vi[1];
        }
        OpNode node = OpNode.record("MaxPool2DWithIndicesBackward0", x);
        if (node == null) {
            return out;
        }
        // The input position of each window's maximum: table[argmax * L + l].
        Tensor where = Dispatch.gather(index.view(1, kk, l).expand(n * c, kk, l), 1, argmax).view(n * c, l);
        int[] xShape = x.shape();
        return node.finish(out, g -> new Tensor[] {
            IndexingOps.scatterAddInto(new int[] {n * c, hw + 1}, 1, where, g[0].reshape(n * c, l))
                    .narrow(1, 0, hw).reshape(xShape)});
    }

    /**
     * Mean over windows of x [N, C, H, W]: the divisor counts the padding cells inside the padded input when
     * countIncludePad, only the input's cells otherwise (PyTorch's rule, ceil_mode windows clipped).
     */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode,
                                   boolean countIncludePad) {
        int[] one = {1, 1};
        Im2col geo = Im2col.pool(x.size(2), x.size(3), kernel, stride, padding, one, ceilMode);
        Tensor ah = HostTensors.like(windowMeans(x.size(2), geo.oh(), kernel[0], stride[0], padding[0], countIncludePad),
                x, geo.oh(), x.size(2));
        Tensor aw = HostTensors.like(windowMeans(x.size(3), geo.ow(), kernel[1], stride[1], padding[1], countIncludePad),
                x, geo.ow(), x.size(3));
        return separable("AvgPool2DBackward0", x, ah, aw);
    }

    /** Row o of [out, in]: 1 / divisor over the window of output o. */
    private static double[] windowMeans(int in, int out, int k, int s, int p, boolean countIncludePad) {
        double[] a = new double[out * in];
        for (int o = 0; o < out; o++) {
            int start = o * s - p;
            int end = Math.min(start + k, in + p);
            int pool = end - start;
            int from = Math.max(start, 0);
            int to = Math.min(end, in);
            double inv = 1.0 / (countIncludePad ? pool : to - from);
            for (int i = from; i < to; i++) {
                a[o * in + i] = inv;
            }
        }
        return a;
    }

    /**
     * Mean over PyTorch's adaptive windows of x [N, C, H, W]: output o of size out averages the inputs
     * [floor(o * in / out), ceil((o + 1) * in / out)). An output of 1 x 1 is the mean (MeanBackward1, as PyTorch).
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        if (outH == 1 && outW == 1) {
            return x.mean(new int[] {-2, -1}, true);
        }
        Tensor ah = HostTensors.like(adaptiveMeans(x.size(2), outH), x, outH, x.size(2));
        Tensor aw = HostTensors.like(adaptiveMeans(x.size(3), outW), x, outW, x.size(3));
        return separable("AdaptiveAvgPool2DBackward0", x, ah, aw);
    }

    private static double[] adaptiveMeans(int in, int out) {
        double[] a = new double[out * in];
        for (int o = 0; o < out; o++) {
            int from = (int) Math.floor((double) o * in / out);
            int to = (int) Math.ceil((double) (o + 1) * in / out);
            for (int i = from; i < to; i++) {
                a[o * in + i] = 1.0 / (to - from);
            }
        }
        return a;
    }

    /** ah @ x @ aw^T as one node with VJP ah^T @ g @ aw. */
    private static Tensor separable(String name, Tensor x, Tensor ah, Tensor aw) {
        Tensor out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            out = ah.matmul(x.matmul(aw.t())).contiguous();
        }
        OpNode node = OpNode.record(name, x);
        return node == null ? out : node.finish(out, g -> new Tensor[] {ah.t().matmul(g[0]).matmul(aw)});
    }
}
