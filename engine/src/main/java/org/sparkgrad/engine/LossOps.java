package org.sparkgrad.engine;

import java.util.Arrays;
import org.sparkgrad.engine.backend.BinaryOp;
import org.sparkgrad.engine.backend.ReduceOp;

/**
 * The losses as single autograd nodes with their fused backward, as PyTorch records them (MseLossBackward0,
 * NllLossBackward0 / NllLoss2DBackward0, BinaryCrossEntropyWithLogitsBackward0). This is the engine side of
 * {@code org.sparkgrad.engine.nn.F}, which checks the arguments and is the API to call; the backward formulas
 * are written with differentiable tensor ops, so create_graph gives second derivatives.
 *
 * <p>Reductions are named as in PyTorch: "mean", "sum" or "none".
 */
public final class LossOps {
    private LossOps() {
    }

    /** mean / sum / none of the elementwise losses. */
    private static Tensor reduce(Tensor losses, String reduction) {
        return switch (reduction) {
            case "none" -> losses;
            case "sum" -> Dispatch.reduce(ReduceOp.SUM, losses, allDims(losses), false);
            case "mean" -> Dispatch.binary(BinaryOp.DIV,
                    Dispatch.reduce(ReduceOp.SUM, losses, allDims(losses), false),
                    losses.scalarLike((double) losses.numel()));
            default -> throw new IllegalArgumentException(reduction + " is not a valid value for reduction");
        };
    }

    private static boolean[] allDims(Tensor t) {
        boolean[] all = new boolean[t.dim()];
        Arrays.fill(all, true);
        return all;
    }

    /** The output gradient brought to the elementwise losses' shape: g itself for none, g / n for mean. */
    private static Tensor perElement(Tensor g, String reduction, int numel) {
        return switch (reduction) {
            case "none", "sum" -> g;
            default -> g.div((double) numel);
        };
    }

    /** (input - target)^2, reduced; input and target have the same shape. Node MseLossBackward0. */
    public static Tensor mseLoss(Tensor input, Tensor target, String reduction) {
        Tensor d = Dispatch.binary(BinaryOp.SUB, input, target);
        Tensor out = reduce(Dispatch.binary(BinaryOp.MUL, d, d), reduction);
        OpNode n = OpNode.record("MseLossBackward0", input, target);
        if (n == null) {
            return out;
        }
        SavedTensor si = n.save(input);
        SavedTensor st = n.save(target);
        double scale = reduction.equals("mean") ? 2.0 / input.numel() : 2.0;
        return n.finish(out, g -> {
            // The forward's difference is reused (one pass over the data), unless the backward is being
            // recorded (create_graph), which needs it as a function of the inputs. Unpacking checks versions.
            Tensor xv = si.unpack();
            Tensor tv = st.unpack();
            Tensor diff = GradMode.isEnabled() ? xv.sub(tv) : d;
            Tensor gi = diff.mul(g[0].mul(scale));
            return new Tensor[] {n.needsInputGrad(0) ? gi : null, n.needsInputGrad(1) ? gi.neg() : null};
        });
    }

    /**
     * Negative log likelihood of class indices: {@code -weight[t] * logProbs[n, t]} per position (0 where
     * t == ignoreIndex), reduced; the mean divides by the summed weights of the counted targets. logProbs is
     * [C] or [N, C, d1, ...] with classes in dimension 1 (0 for [C]); targets (int64, in range or ignoreIndex)
     * has its shape without the class dimension; weight is null or [C]. The node is NllLossBackward0 for
     * inputs of at most 2 dimensions and NllLoss2DBackward0 beyond, as PyTorch's nll_loss_nd (which views other
     * ranks as 4-d, so their unreduced loss comes out of a ViewBackward0).
     */
    public static Tensor nllLoss(Tensor logProbs, Tensor targets, Tensor weight, String reduction, long ignoreIndex) {
        int cd = logProbs.dim() == 1 ? 0 : 1;
        Tensor counted = targets.ne(ignoreIndex);
        Tensor keep = Dispatch.cast(counted, logProbs.dtype());
        Tensor safe = Dispatch.where(counted, targets, Tensor.zerosLike(targets));
        Tensor coef;
        try (GradMode.Scope s = GradMode.noGrad()) {
            // -weight[t] where the target counts, 0 where it is ignored: the loss is coef * logProbs[.., t, ..].
            Tensor w = weight == null ? keep : Dispatch.binary(BinaryOp.MUL, keep,
                    weight.indexSelect(0, safe.reshape(safe.numel())).reshape(safe.shape()));
            coef = w.neg();
        }
        Tensor index = safe.unsqueeze(cd);
        Tensor picked = Dispatch.gather(logProbs, cd, index).viewRaw(targets.shape());
        Tensor losses = Dispatch.binary(BinaryOp.MUL, picked, coef);
        boolean mean = reduction.equals("mean");
        // the mean divides by the counted targets' summed weights (NaN when none counts, as in PyTorch)
        double total = mean ? -coef.sum().item() : 1;
        Tensor out = mean ? Dispatch.binary(BinaryOp.DIV, reduce(losses, "sum"), losses.scalarLike(total))
                : reduce(losses, reduction);
        int nd = logProbs.dim();
        int[] tshape = targets.shape();
        boolean viewed = reduction.equals("none") && (nd == 3 || nd > 4) && out.numel() > 0;
        if (viewed) {
            out = out.viewRaw(new int[] {tshape[0], 1, out.numel() / tshape[0]});
        }
        OpNode n = OpNode.record(nd <= 2 ? "NllLossBackward0" : "NllLoss2DBackward0", logProbs);
        if (n == null) {
            return viewed ? out.viewRaw(tshape) : out;
        }
        int[] shape = logProbs.shape();
        Tensor result = n.finish(out, g -> {
            if (total == 0) {
                return new Tensor[] {Tensor.zerosLike(logProbs)}; // nothing counts: PyTorch's gradient is 0, not 0/0
            }
            Tensor ge = mean ? g[0].div(total) : g[0].reshape(reduction.equals("none") ? tshape : new int[0]);
            return new Tensor[] {IndexingOps.scatterAddInto(shape, cd, index, ge.mul(coef).unsqueeze(cd))};
        });
        return viewed ? result.view(tshape) : result;
    }

    /**
     * Cross entropy with class probabilities as targets (the shape of logProbs, the log-softmax of the scores):
     * {@code -sum_c weight[c] target[c] logProbs[c]} per position, reduced; the mean divides by the number of
     * positions. Composed as PyTorch 1.13 does (its grad_fn is the last op's: DivBackward1 or NegBackward0).
     */
    public static Tensor crossEntropyProbs(Tensor logProbs, Tensor target, Tensor weight, String reduction) {
        int cd = logProbs.dim() == 1 ? 0 : 1;
        Tensor prod = logProbs.mul(target);
        if (weight != null) {
            int[] shape = new int[logProbs.dim()];
            Arrays.fill(shape, 1);
            shape[cd] = weight.numel();
            prod = prod.mul(weight.view(shape));
        }
        return switch (reduction) {
            case "none" -> prod.sum(cd, false).neg();
            case "sum" -> prod.sum().neg();
            case "mean" -> ArithmeticOps.divScalar(prod.sum().neg(),
                    logProbs.numel() == 0 ? 0 : (double) (logProbs.numel() / logProbs.size(cd)));
            default -> throw new IllegalArgumentException(reduction + " is not a valid value for reduction");
        };
    }

    /**
     * Cross entropy of class indices with label smoothing ls &gt; 0, composed as PyTorch 1.13:
     * {@code (1 - ls) * nll + ls / C * smooth}, smooth being {@code -sum_c weight[c] logProbs[c]} per counted
     * position, reduced like the nll (the mean divides by the counted targets' summed weights).
     */
    public static Tensor crossEntropyLabelSmoothing(Tensor logProbs, Tensor targets, Tensor weight, String reduction,
                                                    long ignoreIndex, double labelSmoothing) {
        int cd = logProbs.dim() == 1 ? 0 : 1;
        int classes = logProbs.size(cd);
        Tensor nll = nllLoss(logProbs, targets, weight, reduction, ignoreIndex);
        Tensor ignored = targets.eq(ignoreIndex);
        Tensor smooth = logProbs;
        if (weight != null) {
            int[] shape = new int[logProbs.dim()];
            Arrays.fill(shape, 1);
            shape[cd] = classes;
            smooth = smooth.mul(weight.view(shape));
        }
        smooth = smooth.sum(cd, false).neg().maskedFill(ignored, 0.0);
        Tensor ret = switch (reduction) {
            case "none" -> smooth;
            case "sum" -> smooth.sum();
            case "mean" -> {
                Tensor counted = targets.ne(ignoreIndex);
                double denominator;
                if (weight == null) {
                    denominator = counted.sum().item();
                } else {
                    Tensor safe = Tensor.where(counted, targets, Tensor.zerosLike(targets));
                    Tensor w = weight.indexSelect(0, safe.reshape(safe.numel())).reshape(safe.shape());
                    denominator = Tensor.where(counted, w, 0.0).sum().item();
                }
                yield smooth.sum().div(denominator);
            }
            default -> throw new IllegalArgumentException(reduction + " is not a valid value for reduction");
        };
        return nll.mul(1 - labelSmoothing).add(ret.mul(labelSmoothing / classes));
    }

    /**
     * Binary cross entropy of logits x and targets y (broadcast with weight and posWeight, either may be
     * null), PyTorch 1.13's formula: {@code ((1 - y) x + (1 + (pw - 1) y) softplus(-x)) * weight}, reduced.
     * Differentiable in x and y; one node, BinaryCrossEntropyWithLogitsBackward0.
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor x, Tensor y, Tensor weight, Tensor posWeight,
                                                      String reduction) {
        Tensor losses;
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor logWeight = posWeight == null ? null : posWeight.sub(1.0).mul(y).add(1.0);
            Tensor sp = softplus(x.neg());
            Tensor l = y.rsub(1.0).mul(x).add(logWeight == null ? sp : logWeight.mul(sp));
            losses = weight == null ? l : l.mul(weight);
        }
        Tensor out = reduce(losses, reduction);
        OpNode n = OpNode.record("BinaryCrossEntropyWithLogitsBackward0", x, y);
        if (n == null) {
            return out;
        }
        SavedTensor sx = n.save(x);
        SavedTensor sy = n.save(y);
        int numel = losses.numel();
        return n.finish(out, g -> {
            Tensor xv = sx.unpack();
            Tensor yv = sy.unpack();
            Tensor ge = perElement(g[0], reduction, numel);
            Tensor gx = null;
            Tensor gy = null;
            if (n.needsInputGrad(0)) {
                // (pw y + 1 - y) sigmoid(x) - pw y, or sigmoid(x) - y without pos_weight
                if (posWeight == null) {
                    gx = xv.sigmoid().sub(yv);
                } else {
                    Tensor t = posWeight.mul(yv);
                    gx = t.add(1.0).sub(yv).mul(xv.sigmoid()).sub(t);
                }
                gx = scaled(gx.mul(ge), weight);
            }
            if (n.needsInputGrad(1)) {
                gy = posWeight == null ? xv.neg() : logSigmoid(xv.neg()).sub(logSigmoid(xv).mul(posWeight));
                gy = scaled(gy.mul(ge), weight);
            }
            return new Tensor[] {gx, gy};
        });
    }

    private static Tensor scaled(Tensor g, Tensor weight) {
        return weight == null ? g : g.mul(weight);
    }

    /** log(1 + exp(z)) computed stably as m + log(exp(-m) + exp(z - m)), m = max(z, 0). */
    private static Tensor softplus(Tensor z) {
        Tensor m = z.clampMin(0.0);
        return m.add(m.neg().exp().add(z.sub(m).exp()).log());
    }

    private static Tensor logSigmoid(Tensor z) {
        return softplus(z.neg()).neg();
    }
}
