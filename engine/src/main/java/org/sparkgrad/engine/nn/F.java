package org.sparkgrad.engine.nn;

import java.util.Arrays;
import java.util.Objects;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/**
 * The functional forms of the layers and losses, like {@code torch.nn.functional}: each formula lives here
 * once, and the modules ({@link Linear}, {@link MSELoss}, ...) call it. Everything is built from
 * differentiable tensor ops, so gradients (and second derivatives) come from autograd.
 *
 * <pre>{@code
 * Tensor logits = F.linear(x, w, b);
 * Tensor loss = F.crossEntropy(logits, Tensor.ofLongs(0, 2, 1));
 * }</pre>
 */
public final class F {
    /** PyTorch's default {@code ignore_index}: targets equal to it add nothing to the loss. */
    public static final int DEFAULT_IGNORE_INDEX = -100;

    private F() {
    }

    // =====================================================================================================
    // Layers and activations

    /**
     * {@code x @ w^T + b}: x of shape [*, in], w of shape [out, in], b of shape [out] or null; the result has
     * shape [*, out]. x and w must have the same dtype, as in PyTorch.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        if (w.dim() != 2) {
            throw new IllegalArgumentException("linear: weight must be a matrix of shape [out_features, in_features], got shape "
                    + shape(w));
        }
        if (x.dim() == 0) {
            throw new IllegalArgumentException("both arguments to linear need to be at least 1D, but they are 0D and 2D");
        }
        int in = x.size(-1);
        if (in != w.size(1)) {
            int rows = x.numel() / Math.max(in, 1);
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied (" + rows + "x" + in + " and "
                    + w.size(1) + "x" + w.size(0) + "): input of shape " + shape(x) + " has " + in
                    + " features in its last dimension, but the weight of shape " + shape(w) + " expects " + w.size(1));
        }
        checkSameDtype("linear", "input", x, "weight", w);
        if (b != null) {
            if (b.dim() != 1 || b.size(0) != w.size(0)) {
                throw new IllegalArgumentException("linear: bias must have shape [" + w.size(0) + "] (out_features), got "
                        + shape(b));
            }
            checkSameDtype("linear", "input", x, "bias", b);
        }
        Tensor out;
        if (x.dim() <= 2) {
            out = x.matmul(w.t());
        } else {
            // Fold the leading dimensions into one matrix product, as PyTorch does.
            int[] outShape = x.shape();
            outShape[outShape.length - 1] = w.size(0);
            out = x.reshape(-1, in).mm(w.t()).reshape(outShape);
        }
        return b == null ? out : out.add(b);
    }

    /** max(x, 0) elementwise. */
    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    /** 1 / (1 + exp(-x)) elementwise. */
    public static Tensor sigmoid(Tensor x) {
        return x.sigmoid();
    }

    /** tanh(x) elementwise. */
    public static Tensor tanh(Tensor x) {
        return x.tanh();
    }

    /** exp(x) / sum(exp(x)) along dim, computed stably. */
    public static Tensor softmax(Tensor x, int dim) {
        return x.softmax(dim);
    }

    /** log(softmax(x, dim)), computed stably. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        return x.logSoftmax(dim);
    }

    // =====================================================================================================
    // Regression losses

    /** Mean squared error with {@link Reduction#MEAN}. */
    public static Tensor mseLoss(Tensor input, Tensor target) {
        return mseLoss(input, target, Reduction.MEAN);
    }

    /**
     * (input - target)^2, reduced. The shapes must be equal: PyTorch broadcasts different shapes with a
     * warning (and usually a wrong result); here it is an error naming both.
     */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        checkSameShapeForRegression("mse_loss", input, target);
        return reduction(reduction).apply(input.sub(target).pow(2));
    }

    /** Mean absolute error with {@link Reduction#MEAN}. */
    public static Tensor l1Loss(Tensor input, Tensor target) {
        return l1Loss(input, target, Reduction.MEAN);
    }

    /** |input - target|, reduced; the shapes must be equal (see {@link #mseLoss(Tensor, Tensor, Reduction)}). */
    public static Tensor l1Loss(Tensor input, Tensor target, Reduction reduction) {
        checkSameShapeForRegression("l1_loss", input, target);
        return reduction(reduction).apply(input.sub(target).abs());
    }

    // =====================================================================================================
    // Classification losses

    /** {@link #crossEntropy(Tensor, Tensor, Reduction, int)} with {@link Reduction#MEAN} and ignore index -100. */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        return crossEntropy(logits, targets, Reduction.MEAN, DEFAULT_IGNORE_INDEX);
    }

    /** {@link #crossEntropy(Tensor, Tensor, Reduction, int)} with ignore index -100. */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, Reduction reduction) {
        return crossEntropy(logits, targets, reduction, DEFAULT_IGNORE_INDEX);
    }

    /**
     * Cross entropy of unnormalised class scores and class indices: {@code nllLoss(logSoftmax(logits, 1),
     * targets)}. logits has shape [N, C] (or [C], or [N, C, d1, ...]); targets is int64 of shape [N] (or 0-d,
     * or [N, d1, ...]) holding indices in [0, C); targets equal to ignoreIndex are skipped (and not counted
     * by the mean).
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, Reduction reduction, int ignoreIndex) {
        checkClassificationArgs("cross_entropy", logits, targets);
        return nll("cross_entropy", logits.logSoftmax(classDim(logits)), targets, reduction, ignoreIndex);
    }

    /** {@link #nllLoss(Tensor, Tensor, Reduction, int)} with {@link Reduction#MEAN} and ignore index -100. */
    public static Tensor nllLoss(Tensor logProbs, Tensor targets) {
        return nllLoss(logProbs, targets, Reduction.MEAN, DEFAULT_IGNORE_INDEX);
    }

    /** {@link #nllLoss(Tensor, Tensor, Reduction, int)} with ignore index -100. */
    public static Tensor nllLoss(Tensor logProbs, Tensor targets, Reduction reduction) {
        return nllLoss(logProbs, targets, reduction, DEFAULT_IGNORE_INDEX);
    }

    /**
     * Negative log likelihood: {@code -logProbs[n, targets[n]]} for each n, reduced (the mean divides by the
     * number of targets not equal to ignoreIndex). Shapes as in {@link #crossEntropy(Tensor, Tensor, Reduction, int)}.
     */
    public static Tensor nllLoss(Tensor logProbs, Tensor targets, Reduction reduction, int ignoreIndex) {
        checkClassificationArgs("nll_loss", logProbs, targets);
        return nll("nll_loss", logProbs, targets, reduction, ignoreIndex);
    }

    private static Tensor nll(String op, Tensor logProbs, Tensor targets, Reduction reduction, int ignoreIndex) {
        Reduction r = reduction(reduction);
        int cd = classDim(logProbs);
        int classes = logProbs.size(cd);
        long ignored = 0;
        for (long t : targets.toLongArray()) {
            if (t == ignoreIndex) {
                ignored++;
            } else if (t < 0 || t >= classes) {
                throw new IndexOutOfBoundsException("Target " + t + " is out of bounds for " + classes + " classes: " + op
                        + " expects class indices in [0, " + (classes - 1) + "] (input of shape " + shape(logProbs) + ")");
            }
        }
        if (ignored == 0) {
            return r.apply(logProbs.gather(cd, targets.unsqueeze(cd)).squeeze(cd).neg());
        }
        Tensor keep = targets.ne(ignoreIndex);
        Tensor safe = Tensor.where(keep, targets, Tensor.zerosLike(targets));
        Tensor losses = Tensor.where(keep, logProbs.gather(cd, safe.unsqueeze(cd)).squeeze(cd).neg(), 0);
        if (r == Reduction.MEAN) {
            // PyTorch's mean over the targets that count (NaN when none does).
            return losses.sum().div(targets.numel() - ignored);
        }
        return r.apply(losses);
    }

    /** {@link #binaryCrossEntropyWithLogits(Tensor, Tensor, Reduction)} with {@link Reduction#MEAN}. */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor targets) {
        return binaryCrossEntropyWithLogits(logits, targets, Reduction.MEAN);
    }

    /**
     * Binary cross entropy of logits x and targets y in [0, 1] (same shape): {@code -[y log sigmoid(x) +
     * (1 - y) log(1 - sigmoid(x))]}, computed in the stable form {@code max(x, 0) - x y + log(1 + exp(-|x|))}.
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor targets, Reduction reduction) {
        String op = "binary_cross_entropy_with_logits";
        if (!Arrays.equals(logits.shape(), targets.shape())) {
            throw new IllegalArgumentException("Target size (" + size(targets) + ") must be the same as input size ("
                    + size(logits) + ")");
        }
        checkFloating(op, "input (logits)", logits);
        checkFloating(op, "target", targets);
        Reduction r = reduction(reduction);
        // 1 + exp(-|x|) written as exp(-m) + exp(x - m) with m = max(x, 0): the same values, and a gradient
        // that does not depend on m's (undefined) derivative at x = 0, so it is sigmoid(x) - y everywhere.
        Tensor m = logits.clampMin(0);
        Tensor softplus = m.add(m.neg().exp().add(logits.sub(m).exp()).log());
        return r.apply(softplus.sub(logits.mul(targets)));
    }

    // =====================================================================================================
    // Checks

    private static Reduction reduction(Reduction r) {
        return Objects.requireNonNull(r, "reduction must be MEAN, SUM or NONE, not null");
    }

    private static int classDim(Tensor input) {
        return input.dim() == 1 ? 0 : 1;
    }

    private static void checkClassificationArgs(String op, Tensor input, Tensor targets) {
        checkFloating(op, "input", input);
        if (targets.dtype() != DType.INT64) {
            throw new IllegalArgumentException(op + ": expected targets of dtype int64 (class indices), but found "
                    + targets.dtype().pyName() + " (PyTorch: expected scalar type Long but found "
                    + targets.dtype().scalarName() + "); build them with Tensor.ofLongs or .to(DType.INT64)");
        }
        if (input.dim() == 0) {
            throw new IllegalArgumentException(op + ": expected input of shape [N, C] or [C] (class scores), got a 0-d tensor");
        }
        if (input.dim() >= 2 && targets.dim() >= 1 && targets.size(0) != input.size(0)) {
            throw new IllegalArgumentException("Expected input batch_size (" + input.size(0) + ") to match target batch_size ("
                    + targets.size(0) + ").");
        }
        int[] expected = new int[input.dim() - 1];
        for (int i = 0, j = 0; i < input.dim(); i++) {
            if (i != classDim(input)) {
                expected[j++] = input.size(i);
            }
        }
        if (!Arrays.equals(expected, targets.shape())) {
            throw new IllegalArgumentException("Expected target size " + Arrays.toString(expected) + ", got "
                    + shape(targets) + " (" + op + " input of shape " + shape(input) + " has its classes in dimension "
                    + classDim(input) + "; targets hold one class index per remaining position)");
        }
    }

    private static void checkSameShapeForRegression(String op, Tensor input, Tensor target) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException(op + ": Using a target size (" + size(target)
                    + ") that is different to the input size (" + size(input) + ") is an error here (PyTorch would "
                    + "broadcast them with a warning, likely giving wrong results); reshape one of them to match");
        }
    }

    private static void checkFloating(String op, String what, Tensor t) {
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating-point " + what + ", but found " + t.dtype().pyName());
        }
    }

    private static void checkSameDtype(String op, String aName, Tensor a, String bName, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + ": " + aName + " and " + bName + " must have the same dtype, but got "
                    + a.dtype().pyName() + " " + aName + " and " + b.dtype().pyName() + " " + bName);
        }
    }

    /** {@code [2, 3]}. */
    static String shape(Tensor t) {
        return Arrays.toString(t.shape());
    }

    /** {@code torch.Size([2, 3])}. */
    static String size(Tensor t) {
        return "torch.Size(" + Arrays.toString(t.shape()) + ")";
    }
}
