package org.sparkgrad.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * A node of the backward graph: the {@code grad_fn} of a tensor. It maps the gradients of its outputs to
 * the gradients of its inputs, and knows where those go next. Each differentiable op defines its node
 * right beside its forward computation.
 */
public abstract class Node {
    private static final AtomicLong SEQUENCE = new AtomicLong();

    /** Later nodes run first in backward; ties never happen. */
    final long sequenceNr = SEQUENCE.getAndIncrement();
    /** One edge per input; null where that input does not require grad. */
    Edge[] next = new Edge[0];
    /** Shape and type each input's gradient must have. */
    int[][] inputShapes = new int[0][];
    DType[] inputDtypes = new DType[0];
    Device[] inputDevices = new Device[0];
    /** Hooks on the gradient of one of this node's outputs (tensor hooks of non-leaf tensors). */
    List<List<UnaryOperator<Tensor>>> preHooks;

    /** PyTorch's name for this node, e.g. {@code AddBackward0}. */
    public abstract String name();

    /** How many tensors the forward produced. */
    int numOutputs() {
        return 1;
    }

    /**
     * Gradients of the inputs given gradients of the outputs (null where an output got none), one per
     * input, null where not needed.
     */
    abstract Tensor[] apply(Tensor[] gradOutputs);

    /** Frees what was saved for backward. */
    void release() {
    }

    /** The nodes gradients flow to next, in input order. */
    public List<Edge> nextFunctions() {
        List<Edge> out = new ArrayList<>(next.length);
        for (Edge e : next) {
            out.add(e == null ? new Edge(null, 0) : e);
        }
        return Collections.unmodifiableList(out);
    }

    /** Whether input i needs a gradient. */
    final boolean needsInputGrad(int i) {
        return i < next.length && next[i] != null;
    }

    /** Wires this node's input edges from the op's inputs. */
    final void setInputs(Tensor... inputs) {
        next = new Edge[inputs.length];
        inputShapes = new int[inputs.length][];
        inputDtypes = new DType[inputs.length];
        inputDevices = new Device[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = inputs[i];
            if (t == null) {
                continue;
            }
            inputShapes[i] = t.shapeRef();
            inputDtypes[i] = t.dtype();
            inputDevices[i] = t.device();
            if (t.requiresGrad()) {
                next[i] = t.gradientEdge();
            }
        }
    }

    /** Makes {@code out} the given output of this node. */
    final Tensor attach(Tensor out, int outputNr) {
        out.setHistory(this, outputNr);
        return out;
    }

    final void addPreHook(int outputNr, UnaryOperator<Tensor> hook) {
        if (preHooks == null) {
            preHooks = new ArrayList<>();
        }
        while (preHooks.size() <= outputNr) {
            preHooks.add(new ArrayList<>());
        }
        preHooks.get(outputNr).add(hook);
    }

    @Override
    public String toString() {
        return "<" + name() + ">";
    }
}
