package org.sparkgrad.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * 2-d convolution as one autograd node (ConvolutionBackward0): im2col by the gather primitive with an
 * {@link Im2col} table, then one matrix product per group through the existing matmul; the VJP is col2im of
 * W^T g (scatter-add), g @ cols^T and the sum of g, written with differentiable ops (so create_graph works).
 * The engine side of {@code org.sparkgrad.engine.nn.F.conv2d}, which checks the arguments and is the API.
 */
public final class ConvOps {
    private ConvOps() {
    }

    /**
     * x [N, C, H, W] convolved (cross-correlated, as PyTorch) with weight [OC, C / groups, kH, kW], plus bias
     * [OC] or null; stride, padding and dilation are {height, width}. Gives [N, OC, OH, OW].
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
                                int groups) {
        int n = x.size(0);
        int c = x.size(1);
        int oc = weight.size(0);
        int kh = weight.size(2);
        int kw = weight.size(3);
        Im2col geo = Im2col.conv(x.size(2), x.size(3), new int[] {kh, kw}, stride, padding, dilation);
        int l = geo.positions();
        int hw = x.size(2) * x.size(3);
        Tensor table = geo.tableTensor(c, x.device());
        int k = weight.size(1) * kh * kw; // rows of a group's columns
        int ocg = oc / groups;
        Tensor cols;
        Tensor out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            cols = columns(x, table, c * kh * kw, l);
            out = forward(cols, weight, bias, groups, k, ocg).reshape(n, oc, geo.oh(), geo.ow()).contiguous();
        }
        OpNode node = OpNode.record("ConvolutionBackward0", x, weight, bias);
        if (node == null) {
            return out;
        }
        SavedTensor sx = node.save(x);
        SavedTensor sw = node.save(weight);
        int[] xShape = x.shape();
        int[] wShape = weight.shape();
        return node.finish(out, g -> {
            Tensor xv = sx.unpack();
            Tensor w = sw.unpack();
            Tensor cv = GradMode.isEnabled() ? columns(xv, table, c * kh * kw, l) : cols;
            Tensor go = g[0].reshape(n, oc, l);
            Tensor gx = null;
            Tensor gw = null;
            Tensor gb = null;
            if (node.needsInputGrad(0)) {
                List<Tensor> parts = new ArrayList<>(groups);
                for (int gi = 0; gi < groups; gi++) {
                    Tensor wg = w.narrow(0, gi * ocg, ocg).reshape(ocg, k);
                    parts.add(wg.t().matmul(go.narrow(1, gi * ocg, ocg)));
                }
                Tensor gcols = groups == 1 ? parts.get(0) : Tensor.cat(parts, 1);
                gx = Im2col.image(gcols.reshape(n, c * kh * kw * l), table, c * hw).reshape(xShape);
            }
            if (node.needsInputGrad(1)) {
                List<Tensor> parts = new ArrayList<>(groups);
                for (int gi = 0; gi < groups; gi++) {
                    Tensor gg = go.narrow(1, gi * ocg, ocg).transpose(0, 1).reshape(ocg, n * l);
                    Tensor cg = cv.narrow(1, gi * k, k).transpose(0, 1).reshape(k, n * l);
                    parts.add(gg.matmul(cg.t()));
                }
                gw = (groups == 1 ? parts.get(0) : Tensor.cat(parts, 0)).reshape(wShape);
            }
            if (node.needsInputGrad(2)) {
                gb = go.sum(new int[] {0, 2}, false);
            }
            return new Tensor[] {gx, gw, gb};
        });
    }

    /** The columns of x: [N, C * kH * kW, L]. */
    private static Tensor columns(Tensor x, Tensor table, int rows, int l) {
        int n = x.size(0);
        return Im2col.columns(x.reshape(n, x.size(1) * x.size(2) * x.size(3)), table, 0).view(n, rows, l);
    }

    /** Per group: weight_g [OCg, K] @ cols_g [N, K, L], concatenated along the channels, plus the bias. */
    private static Tensor forward(Tensor cols, Tensor weight, Tensor bias, int groups, int k, int ocg) {
        List<Tensor> parts = new ArrayList<>(groups);
        for (int gi = 0; gi < groups; gi++) {
            Tensor wg = weight.narrow(0, gi * ocg, ocg).reshape(ocg, k);
            parts.add(wg.matmul(cols.narrow(1, gi * k, k)));
        }
        Tensor out = groups == 1 ? parts.get(0) : Tensor.cat(parts, 1);
        return bias == null ? out : out.add(bias.view(1, bias.size(0), 1));
    }
}
