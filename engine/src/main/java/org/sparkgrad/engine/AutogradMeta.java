package org.sparkgrad.engine;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A tensor's autograd state, PyTorch's {@code AutogradMeta} together with the part of its
 * {@code DifferentiableViewMeta} that views need: whether gradients flow, the gradient, the node that made
 * the tensor, hooks, and for the output of a view op the base whose history in-place changes rewrite. A
 * tensor makes its state on first need ({@code Tensor.meta()}), so tensors that never meet autograd (no-grad
 * results, optimizer temporaries, data) carry none. Plain state; {@link Tensor} holds the rules.
 */
final class AutogradMeta {
    boolean requiresGrad;
    Tensor grad;
    /** The node that made this tensor (PyTorch's {@code grad_fn}), null for leaves. */
    Node gradFn;
    /** Which output of gradFn this tensor is. */
    int outputNr;
    /** A leaf's gradient sink, made the first time an op records the leaf. */
    AccumulateGrad accumulator;
    boolean retainsGrad;
    /** Hooks on a leaf's gradient (a non-leaf's hooks live on its gradFn as pre-hooks). */
    List<UnaryOperator<Tensor>> leafHooks;

    /**
     * For a view made by a view op: the tensor at the root of its chain of views (PyTorch's {@code _base}),
     * whose history in-place ops on this view rewrite (CopySlices); null otherwise.
     */
    Tensor viewBase;
    /** Whether this view was made with grad mode off (then in-place ops on it may not be recorded). */
    boolean viewMadeWithoutGrad;
    /** The base's grad_fn when this no-grad view was made: a recorded in-place change of the base replaces it. */
    Node viewBaseGradFn;
    /** The version at which this view's history was last in step with its base's. */
    int viewVersion;
}
