package org.sparkgrad.engine;

import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * Batch and layer normalisation as single autograd nodes (NativeBatchNormBackward0,
 * NativeLayerNormBackward0), forward and VJP side by side. This is the engine side of
 * {@code org.sparkgrad.engine.nn.F.batchNorm / layerNorm}, which check the arguments and are the API to call.
 *
 * <p>Batch statistics are computed from per-channel sums in float64: {@code [sum_0..sum_{C-1}, sumsq_0..
 * sumsq_{C-1}, count]}. When an {@code allReduce} is given (data-parallel training) that array is replaced by
 * its sum over all replicas before use, so every replica normalises with the global mean and biased variance;
 * the backward likewise all-reduces {@code [sum(dy)_c..., sum(dy * xhat)_c...]} (as PyTorch's SyncBatchNorm),
 * while the weight and bias gradients stay local sums (the data-parallel gradient sum adds them up).
 */
public final class NormOps {
    private NormOps() {
    }

    /**
     * {@code torch.batch_norm}: x is [N, C, *]; runningMean / runningVar are [C] or null; weight / bias [C] or
     * null. In training the batch's statistics (global ones when allReduce is not null) normalise x and, when
     * the running stats are given, update them in place: {@code running = (1 - momentum) * running + momentum
     * * stat}, the variance unbiased with the (global) count. Otherwise the running statistics normalise x.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps, UnaryOperator<double[]> allReduce) {
        int c = x.size(1);
        int[] cs = HostTensors.channelShape(x.dim(), c);
        double[] mean;
        double[] var;
        double count;
        if (training) {
            double[] local = channelSums(x, null);
            double[] global = reduce(allReduce, local, "batch_norm forward");
            count = global[2 * c];
            if (count <= 1) {
                throw new IllegalArgumentException("Expected more than 1 value per channel when training, got input size "
                        + Arrays.toString(x.shape()) + (allReduce == null ? "" : " (" + (long) count
                        + " values per channel over all replicas)"));
            }
            mean = new double[c];
            var = new double[c];
            for (int i = 0; i < c; i++) {
                mean[i] = global[i] / count;
                var[i] = Math.max(global[c + i] / count - mean[i] * mean[i], 0);
            }
            if (runningMean != null) {
                updateRunning(runningMean, mean, momentum, 1);
            }
            if (runningVar != null) {
                updateRunning(runningVar, var, momentum, count / (count - 1));
            }
        } else {
            mean = runningMean.toArray();
            var = runningVar.toArray();
            count = 0;
        }
        double[] invstd = new double[c];
        for (int i = 0; i < c; i++) {
            invstd[i] = 1 / Math.sqrt(var[i] + eps);
        }
        Tensor meanT = HostTensors.like(mean, x, cs);
        Tensor invT = HostTensors.like(invstd, x, cs);
        Tensor out;
        Tensor xhat;
        try (GradMode.Scope s = GradMode.noGrad()) {
            xhat = x.sub(meanT).mul(invT);
            out = affine(xhat, weight, bias, cs);
        }
        OpNode n = OpNode.record("NativeBatchNormBackward0", x, weight, bias);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        SavedTensor sw = weight == null ? null : n.save(weight);
        int[] dims = HostTensors.allButChannel(x.dim());
        double m = count;
        return n.finish(out, g -> {
            if (GradMode.isEnabled() && training) {
                throw new UnsupportedOperationException("NativeBatchNormBackward0: double backward (create_graph=True) "
                        + "through batch_norm in training mode is not implemented");
            }
            Tensor xv = sx.unpack();
            Tensor w = sw == null ? null : sw.unpack();
            Tensor xh = GradMode.isEnabled() ? xv.sub(meanT).mul(invT) : xhat;
            Tensor gy = g[0];
            Tensor scale = w == null ? invT : w.view(cs).mul(invT);
            Tensor gx = null;
            Tensor gw = null;
            Tensor gb = null;
            if (!training) {
                gx = n.needsInputGrad(0) ? gy.mul(scale) : null;
                gw = n.needsInputGrad(1) ? gy.mul(xh).sum(dims, false) : null;
                gb = n.needsInputGrad(2) ? gy.sum(dims, false) : null;
                return new Tensor[] {gx, gw, gb};
            }
            double[] local = channelSums(gy, xh);
            if (n.needsInputGrad(0)) {
                double[] global = reduce(allReduce, local.clone(), "batch_norm backward");
                double[] meanDy = new double[c];
                double[] meanDyXhat = new double[c];
                for (int i = 0; i < c; i++) {
                    meanDy[i] = global[i] / m;
                    meanDyXhat[i] = global[c + i] / m;
                }
                gx = gy.sub(HostTensors.like(meanDy, gy, cs)).sub(xh.mul(HostTensors.like(meanDyXhat, gy, cs))).mul(scale);
            }
            if (n.needsInputGrad(1)) {
                gw = HostTensors.like(Arrays.copyOfRange(local, c, 2 * c), gy, c);
            }
            if (n.needsInputGrad(2)) {
                gb = HostTensors.like(Arrays.copyOfRange(local, 0, c), gy, c);
            }
            return new Tensor[] {gx, gw, gb};
        });
    }

    /** xhat * weight + bias, each per channel (either may be null). */
    private static Tensor affine(Tensor xhat, Tensor weight, Tensor bias, int[] cs) {
        Tensor out = weight == null ? xhat : xhat.mul(weight.view(cs));
        return bias == null ? out : out.add(bias.view(cs));
    }

    /**
     * Per channel (dimension 1), in float64: {@code [sum(a)..., sum(a * b)..., count]} (b = a when null), the
     * count being the number of elements per channel.
     */
    private static double[] channelSums(Tensor a, Tensor b) {
        int c = a.size(1);
        int[] dims = HostTensors.allButChannel(a.dim());
        double[] out = new double[2 * c + 1];
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor ad = a.toDouble();
            Tensor bd = b == null ? ad : b.toDouble();
            System.arraycopy(ad.sum(dims, false).toArray(), 0, out, 0, c);
            System.arraycopy(ad.mul(bd).sum(dims, false).toArray(), 0, out, c, c);
        }
        out[2 * c] = c == 0 ? 0 : (double) a.numel() / c;
        return out;
    }

    private static double[] reduce(UnaryOperator<double[]> allReduce, double[] local, String what) {
        if (allReduce == null) {
            return local;
        }
        double[] global = allReduce.apply(local.clone());
        if (global == null || global.length != local.length) {
            throw new IllegalStateException(what + ": the statistics reducer must return an array of the length it was "
                    + "given (" + local.length + "), got " + (global == null ? "null" : global.length));
        }
        return global;
    }

    private static void updateRunning(Tensor running, double[] stat, double momentum, double correction) {
        double[] r = running.toArray();
        for (int i = 0; i < r.length; i++) {
            r[i] = (1 - momentum) * r[i] + momentum * stat[i] * correction;
        }
        try (GradMode.Scope s = GradMode.noGrad()) {
            running.copy_(HostTensors.like(r, running, r.length));
        }
    }

    /**
     * {@code torch.layer_norm}: normalises x over its last {@code normalizedDims} dimensions (biased variance),
     * then scales by weight and shifts by bias (each of those dimensions' shape, or null). The backward is
     * written with differentiable ops from x, so second derivatives work.
     */
    public static Tensor layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
        int[] dims = new int[normalizedDims];
        int[] batchDims = new int[x.dim() - normalizedDims];
        for (int i = 0; i < x.dim(); i++) {
            if (i < batchDims.length) {
                batchDims[i] = i;
            } else {
                dims[i - batchDims.length] = i;
            }
        }
        Tensor out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            out = layerAffine(normalize(x, dims, eps), weight, bias);
        }
        OpNode n = OpNode.record("NativeLayerNormBackward0", x, weight, bias);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        SavedTensor sw = weight == null ? null : n.save(weight);
        return n.finish(out, g -> {
            Tensor xv = sx.unpack();
            Tensor xhat = normalize(xv, dims, eps);
            Tensor gy = g[0];
            Tensor gyw = sw == null ? gy : gy.mul(sw.unpack());
            Tensor gx = null;
            if (n.needsInputGrad(0)) {
                Tensor invstd = invstd(xv, dims, eps);
                gx = gyw.sub(gyw.mean(dims, true)).sub(xhat.mul(gyw.mul(xhat).mean(dims, true))).mul(invstd);
            }
            Tensor gw = n.needsInputGrad(1) ? sumOver(gy.mul(xhat), batchDims) : null;
            Tensor gb = n.needsInputGrad(2) ? sumOver(gy, batchDims) : null;
            return new Tensor[] {gx, gw, gb};
        });
    }

    private static Tensor sumOver(Tensor t, int[] dims) {
        return dims.length == 0 ? t : t.sum(dims, false);
    }

    private static Tensor layerAffine(Tensor xhat, Tensor weight, Tensor bias) {
        Tensor out = weight == null ? xhat : xhat.mul(weight);
        return bias == null ? out : out.add(bias);
    }

    /** (x - mean) * invstd over dims. */
    private static Tensor normalize(Tensor x, int[] dims, double eps) {
        return x.sub(x.mean(dims, true)).mul(invstd(x, dims, eps));
    }

    /** 1 / sqrt(biased var + eps) over dims (kept). */
    private static Tensor invstd(Tensor x, int[] dims, double eps) {
        Tensor d = x.sub(x.mean(dims, true));
        return d.mul(d).mean(dims, true).add(eps).pow(-0.5);
    }
}
