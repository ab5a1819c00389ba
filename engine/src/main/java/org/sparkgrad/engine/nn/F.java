package org.sparkgrad.engine.nn;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import org.sparkgrad.engine.ActivationOps;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.LossOps;
import org.sparkgrad.engine.NormOps;
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
        // The same graph as PyTorch's: addmm for a matrix with a bias, addmm on the folded leading dimensions
        // for more, matmul (which folds too) without a bias.
        if (b == null) {
            return x.matmul(w.t());
        }
        if (x.dim() == 1) {
            return x.matmul(w.t()).add(b);
        }
        if (x.dim() == 2) {
            return Tensor.addmm(b, x, w.t());
        }
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = w.size(0);
        return Tensor.addmm(b, x.reshape(-1, in), w.t()).view(outShape);
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

    /** {@code gelu(x, approximate="none")}: x * Phi(x) with the exact normal CDF. */
    public static Tensor gelu(Tensor x) {
        return gelu(x, "none");
    }

    /** x * Phi(x); approximate "none" uses erf, "tanh" PyTorch's tanh approximation. Node GeluBackward0. */
    public static Tensor gelu(Tensor x, String approximate) {
        checkFloating("gelu", "input", x);
        return ActivationOps.gelu(x, Objects.requireNonNull(approximate, "approximate must be \"none\" or \"tanh\""));
    }

    /** x where x &gt; 0, negativeSlope * x elsewhere. Node LeakyReluBackward0. */
    public static Tensor leakyRelu(Tensor x, double negativeSlope) {
        checkFloating("leaky_relu", "input", x);
        return ActivationOps.leakyRelu(x, negativeSlope);
    }

    /** {@link #dropout(Tensor, double, boolean, Generator)} with the default generator. */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        return dropout(x, p, training, Generator.defaultGenerator());
    }

    /**
     * In training, zeroes each element with probability p and scales the others by 1 / (1 - p) (the graph is
     * the product with the mask, MulBackward0, as PyTorch's on the CPU); otherwise returns x itself. With no
     * {@link BatchContext} open the mask is drawn from gen; with one open it is the hash of
     * (seed 0, step, call index, sample key, element) described there ({@link Dropout} uses its own seed).
     */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator gen) {
        return dropout(x, p, training, gen, 0);
    }

    static Tensor dropout(Tensor x, double p, boolean training, Generator gen, long seed) {
        checkDropoutProbability(p);
        if (!training || p == 0) {
            return x;
        }
        checkFloating("dropout", "input", x);
        BatchContext.Scope scope = BatchContext.current();
        double[] mask = scope == null ? DropoutMask.fromGenerator(x.numel(), p, gen)
                : DropoutMask.fromScope(x.shape(), p, seed, scope, scope.nextDropoutCall());
        return x.mul(Tensor.tensor(mask, x.dtype(), x.shape()).to(x.device()));
    }

    static void checkDropoutProbability(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
    }

    /**
     * {@code torch.nn.functional.batch_norm}: x of shape [N, C, *] normalised per channel C. In training (or
     * without running statistics) with the batch's mean and biased variance, updating runningMean / runningVar
     * ([C] or null) in place with momentum (the variance unbiased); otherwise with the running statistics.
     * Then scaled by weight and shifted by bias ([C] or null). Inside a {@link BatchContext} the training
     * statistics (and the backward's sums) are all-reduced over the replicas, see there.
     * Node NativeBatchNormBackward0.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        String op = "batch_norm";
        checkFloating(op, "input", x);
        if (x.dim() < 2) {
            throw new IllegalArgumentException(op + ": expected an input of shape [N, C, *] (at least 2-d), got shape "
                    + shape(x));
        }
        int c = x.size(1);
        for (Object[] t : new Object[][] {{"running_mean", runningMean}, {"running_var", runningVar},
                {"weight", weight}, {"bias", bias}}) {
            Tensor v = (Tensor) t[1];
            if (v != null && (v.dim() != 1 || v.size(0) != c)) {
                throw new IllegalArgumentException(op + ": " + t[0] + " should contain " + c + " elements (the input's "
                        + "channels, dimension 1 of shape " + shape(x) + "), got shape " + shape(v));
            }
        }
        if (!training && (runningMean == null || runningVar == null)) {
            throw new IllegalArgumentException(op + ": running_mean and running_var must be given when not training");
        }
        BatchContext.Scope scope = training ? BatchContext.current() : null;
        return NormOps.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps,
                scope == null ? null : scope.reducer()::allReduceSum);
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
        return LossOps.mseLoss(input, target, name(reduction));
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
        return crossEntropy(logits, targets, null, reduction, ignoreIndex, 0);
    }

    /**
     * Cross entropy with every option of {@code torch.nn.functional.cross_entropy}. targets are either class
     * indices (int64, shapes as in {@link #crossEntropy(Tensor, Tensor, Reduction, int)}) or class
     * probabilities (floating, logits' shape; ignoreIndex then does not apply). weight (null, or [C]) scales each
     * class's term; with indices the mean divides by the counted targets' summed weights, with probabilities by
     * the number of positions. labelSmoothing in [0, 1] mixes the targets with the uniform distribution.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, Tensor weight, Reduction reduction, int ignoreIndex,
                                      double labelSmoothing) {
        String op = "cross_entropy";
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("label_smoothing must be between 0.0 and 1.0. Got: " + labelSmoothing);
        }
        // Floating targets of the input's shape are class probabilities; any others are wrong class indices.
        if (targets.dtype().isFloatingPoint() && Arrays.equals(logits.shape(), targets.shape())) {
            checkFloating(op, "input", logits);
            checkWeight(op, logits, weight);
            Tensor t = targets;
            if (labelSmoothing > 0) {
                t = targets.mul(1 - labelSmoothing).add(labelSmoothing / logits.size(classDim(logits)));
            }
            return LossOps.crossEntropyProbs(logits.logSoftmax(classDim(logits)), t, weight, name(reduction));
        }
        checkClassificationArgs(op, logits, targets);
        checkWeight(op, logits, weight);
        checkTargets(op, logits, targets, ignoreIndex);
        Tensor logProbs = logits.logSoftmax(classDim(logits));
        if (labelSmoothing > 0) {
            return LossOps.crossEntropyLabelSmoothing(logProbs, targets, weight, name(reduction), ignoreIndex, labelSmoothing);
        }
        return LossOps.nllLoss(logProbs, targets, weight, name(reduction), ignoreIndex);
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
        return nllLoss(logProbs, targets, null, reduction, ignoreIndex);
    }

    /**
     * Negative log likelihood with per-class weights (null, or [C]): {@code -weight[t] * logProbs[n, t]}; the
     * mean divides by the summed weights of the targets not equal to ignoreIndex (NaN when none counts).
     */
    public static Tensor nllLoss(Tensor logProbs, Tensor targets, Tensor weight, Reduction reduction, int ignoreIndex) {
        checkClassificationArgs("nll_loss", logProbs, targets);
        checkWeight("nll_loss", logProbs, weight);
        checkTargets("nll_loss", logProbs, targets, ignoreIndex);
        return LossOps.nllLoss(logProbs, targets, weight, name(reduction), ignoreIndex);
    }

    private static void checkTargets(String op, Tensor logProbs, Tensor targets, int ignoreIndex) {
        int classes = logProbs.size(classDim(logProbs));
        for (long t : targets.toLongArray()) {
            if (t != ignoreIndex && (t < 0 || t >= classes)) {
                throw new IndexOutOfBoundsException("Target " + t + " is out of bounds for " + classes + " classes: " + op
                        + " expects class indices in [0, " + (classes - 1) + "] (input of shape " + shape(logProbs) + ")");
            }
        }
    }

    private static void checkWeight(String op, Tensor input, Tensor weight) {
        int classes = input.size(classDim(input));
        if (weight != null && (weight.dim() != 1 || weight.size(0) != classes)) {
            throw new IllegalArgumentException(op + ": weight tensor should be defined either for all " + classes
                    + " classes or no classes but got weight tensor of shape: " + shape(weight));
        }
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
        return binaryCrossEntropyWithLogits(logits, targets, null, null, reduction);
    }

    /**
     * Binary cross entropy of logits with a weight per element (null, or broadcastable to the logits' shape) and
     * a weight of the positive term (null, or broadcastable along the last dimension, usually [classes]):
     * {@code -weight * [posWeight * y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]}.
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor targets, Tensor weight, Tensor posWeight,
                                                      Reduction reduction) {
        String op = "binary_cross_entropy_with_logits";
        if (!Arrays.equals(logits.shape(), targets.shape())) {
            throw new IllegalArgumentException("Target size (" + size(targets) + ") must be the same as input size ("
                    + size(logits) + ")");
        }
        checkFloating(op, "input (logits)", logits);
        checkFloating(op, "target", targets);
        checkBroadcastsTo(op, "weight", weight, logits);
        checkBroadcastsTo(op, "pos_weight", posWeight, logits);
        return LossOps.binaryCrossEntropyWithLogits(logits, targets, weight, posWeight, name(reduction));
    }

    // =====================================================================================================
    // Checks

    private static Reduction reduction(Reduction r) {
        return Objects.requireNonNull(r, "reduction must be MEAN, SUM or NONE, not null");
    }

    /** PyTorch's name of a reduction: "mean", "sum", "none". */
    private static String name(Reduction r) {
        return reduction(r).name().toLowerCase(Locale.ROOT);
    }

    private static void checkBroadcastsTo(String op, String what, Tensor t, Tensor input) {
        if (t == null) {
            return;
        }
        int[] a = t.shape();
        int[] b = input.shape();
        boolean ok = a.length <= b.length;
        for (int i = 1; ok && i <= a.length; i++) {
            ok = a[a.length - i] == 1 || a[a.length - i] == b[b.length - i];
        }
        if (!ok) {
            throw new IllegalArgumentException(op + ": " + what + " of shape " + shape(t)
                    + " must broadcast to the input's shape " + shape(input));
        }
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
            int[] a = input.shape();
            int[] b = target.shape();
            for (int i = 1; i <= Math.min(a.length, b.length); i++) {
                int sa = a[a.length - i];
                int sb = b[b.length - i];
                if (sa != sb && sa != 1 && sb != 1) {
                    // PyTorch's own error for shapes that do not even broadcast
                    throw new IllegalArgumentException(op + ": The size of tensor a (" + sa + ") must match the size of "
                            + "tensor b (" + sb + ") at non-singleton dimension " + (Math.max(a.length, b.length) - i)
                            + " (input of shape " + shape(input) + ", target of shape " + shape(target) + ")");
                }
            }
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
