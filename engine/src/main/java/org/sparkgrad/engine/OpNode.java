package org.sparkgrad.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * The node of a built-in op: its PyTorch name, the tensors it saved, and its vector-Jacobian product as a
 * lambda written with differentiable tensor ops (so that create_graph gives higher derivatives). Gradients
 * may come back in a broadcast shape; the engine sums them down to the input's shape.
 */
final class OpNode extends Node {
    /** The vector-Jacobian product: input gradients from output gradients. */
    interface Backward {
        Tensor[] apply(Tensor[] grads);
    }

    private final String name;
    private final List<SavedTensor> saved = new ArrayList<>(2);
    private Backward backward;
    private int outputs = 1;

    private OpNode(String name) {
        this.name = name;
    }

    /**
     * A node for an op on {@code inputs}, or null when no input requires grad or grad mode is off (then
     * nothing is recorded).
     */
    static OpNode record(String name, Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return null;
        }
        boolean any = false;
        for (Tensor t : inputs) {
            any |= t != null && t.requiresGrad();
        }
        if (!any) {
            return null;
        }
        OpNode n = new OpNode(name);
        n.setInputs(inputs);
        return n;
    }

    SavedTensor save(Tensor t) {
        SavedTensor s = SavedTensor.input(t, this);
        saved.add(s);
        return s;
    }

    SavedTensor saveOutput(Tensor t) {
        SavedTensor s = SavedTensor.output(t, this);
        saved.add(s);
        return s;
    }

    /** Sets the backward and makes {@code out} this node's output. */
    Tensor finish(Tensor out, Backward vjp) {
        this.backward = vjp;
        return attach(out, 0);
    }

    OpNode outputs(int n) {
        this.outputs = n;
        return this;
    }

    @Override
    int numOutputs() {
        return outputs;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    Tensor[] apply(Tensor[] gradOutputs) {
        return backward.apply(gradOutputs);
    }

    @Override
    void release() {
        for (SavedTensor s : saved) {
            s.release();
        }
    }
}
