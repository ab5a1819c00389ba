package org.sparkgrad.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Runs the backward pass: walks the graph from the roots without recursion (deep graphs must not overflow
 * the Java stack), runs each node once all gradients for it have arrived, latest-created first, sums
 * gradients that arrive on several edges, and frees saved tensors unless the graph is retained.
 */
final class BackwardEngine {
    private BackwardEngine() {
    }

    /**
     * Backpropagates from {@code outputs}. With {@code inputs} null, gradients accumulate into leaves'
     * {@code grad()}; otherwise the gradients reaching {@code inputs} are returned and no leaf is touched.
     */
    static Tensor[] run(Tensor[] outputs, Tensor[] gradOutputs, boolean retainGraph, boolean createGraph,
                        Tensor[] inputs, boolean allowUnused) {
        Map<Node, Tensor[]> buffers = new IdentityHashMap<>();
        List<Node> roots = new ArrayList<>();
        for (int i = 0; i < outputs.length; i++) {
            Tensor out = outputs[i];
            if (!out.requiresGrad()) {
                throw new IllegalStateException("element " + i + " of tensors does not require grad and does not have a grad_fn");
            }
            Tensor g = gradOutputs == null ? null : gradOutputs[i];
            if (g == null) {
                if (out.numel() != 1) {
                    throw new IllegalStateException("grad can be implicitly created only for scalar outputs");
                }
                g = Tensor.onesLike(out);
            } else if (!Arrays.equals(g.shapeRef(), out.shapeRef())) {
                throw new IllegalArgumentException("Mismatch in shape: grad_output[" + i + "] has a shape of "
                        + Shapes.size(g.shapeRef()) + " and output[" + i + "] has a shape of " + Shapes.size(out.shapeRef()) + ".");
            } else if (!g.device().equals(out.device())) {
                throw new IllegalArgumentException("grad_output[" + i + "] is on " + g.device() + " but output[" + i
                        + "] is on " + out.device());
            }
            Edge e = out.gradientEdge();
            addTo(buffers, e.node(), e.inputNr(), g.dtype() == out.dtype() ? g : g.to(out.dtype()), null);
            roots.add(e.node());
        }

        // Where to capture gradients for autograd.grad: (node, slot) -> position in the result.
        Map<Node, List<int[]>> captures = new IdentityHashMap<>();
        Tensor[] captured = inputs == null ? null : new Tensor[inputs.length];
        if (inputs != null) {
            for (int i = 0; i < inputs.length; i++) {
                if (!inputs[i].requiresGrad()) {
                    throw new IllegalArgumentException("One of the differentiated Tensors does not require grad");
                }
                Edge e = inputs[i].gradientEdge();
                captures.computeIfAbsent(e.node(), k -> new ArrayList<>()).add(new int[] {e.inputNr(), i});
            }
        }

        Map<Node, Boolean> needed = needed(roots, inputs == null ? null : captures);
        Map<Node, Integer> deps = new IdentityHashMap<>();
        for (Node n : needed.keySet()) {
            if (!needed.get(n)) {
                continue;
            }
            for (Edge e : n.next) {
                if (e != null && Boolean.TRUE.equals(needed.get(e.node()))) {
                    deps.merge(e.node(), 1, Integer::sum);
                }
            }
        }
        PriorityQueue<Node> ready = new PriorityQueue<>((a, b) -> Long.compare(b.sequenceNr, a.sequenceNr));
        for (Node r : roots) {
            if (Boolean.TRUE.equals(needed.get(r)) && deps.getOrDefault(r, 0) == 0 && !ready.contains(r)) {
                ready.add(r);
            }
        }

        // Buffer reuse only where no gradient escapes to the caller (autograd.grad) or into a recorded graph.
        GradOwnership pass = GradOwnership.begin(inputs == null && !createGraph);
        GradOwnership own = inputs == null && !createGraph ? pass : null;
        try (GradMode.Scope mode = GradMode.set(createGraph)) {
            while (!ready.isEmpty()) {
                Node node = ready.poll();
                Tensor[] grads = buffers.remove(node);
                if (grads == null) {
                    grads = new Tensor[node.numOutputs()];
                }
                // Gradients that code other than the built-in ops sees (hooks, custom functions) are never reused.
                boolean builtIn = node instanceof OpNode || node instanceof AccumulateGrad;
                if (own != null && (node.preHooks != null || !builtIn)) {
                    shareAll(own, grads);
                }
                runPreHooks(node, grads);
                if (own != null && node.preHooks != null) {
                    shareAll(own, grads);
                }
                List<int[]> here = captures.get(node);
                if (here != null) {
                    for (int[] c : here) {
                        Tensor g = grads[c[0]];
                        if (node instanceof AccumulateGrad acc && g != null) {
                            g = acc.leaf.runLeafHooks(g);
                        }
                        captured[c[1]] = g;
                    }
                }
                if (inputs != null && node instanceof AccumulateGrad) {
                    continue;
                }
                Tensor[] inGrads = node.apply(grads);
                if (Autograd.anomalyDetection()) {
                    checkFinite(node, inGrads);
                }
                if (!retainGraph) {
                    node.release();
                }
                if (own != null && !builtIn) {
                    shareAll(own, inGrads);
                }
                for (int i = 0; i < node.next.length; i++) {
                    Edge e = node.next[i];
                    if (e == null || !Boolean.TRUE.equals(needed.get(e.node()))) {
                        continue;
                    }
                    Tensor g = i < inGrads.length ? inGrads[i] : null;
                    if (g != null) {
                        addTo(buffers, e.node(), e.inputNr(), validate(node, i, g), own);
                    }
                    int left = deps.merge(e.node(), -1, Integer::sum);
                    if (left == 0) {
                        ready.add(e.node());
                    }
                }
                if (own != null) {
                    // Slots given up after the node's outputs took theirs, so a gradient passed on is never freed.
                    for (Tensor g : grads) {
                        own.released(g);
                    }
                }
            }
        } finally {
            pass.end();
        }
        if (inputs != null) {
            for (int i = 0; i < captured.length; i++) {
                if (captured[i] == null && !allowUnused) {
                    throw new IllegalStateException("One of the differentiated Tensors appears to not have been used in "
                            + "the graph. Set allow_unused=True if this is the desired behavior.");
                }
            }
        }
        return captured;
    }

    private static void checkFinite(Node node, Tensor[] grads) {
        for (int i = 0; i < grads.length; i++) {
            Tensor g = grads[i];
            if (g != null && g.dtype().isFloatingPoint()
                    && Dispatch.unary(org.sparkgrad.engine.backend.UnaryOp.NONFINITE, g).sum().item() > 0) {
                boolean nan = false;
                for (double v : g.toArray()) {
                    nan |= Double.isNaN(v);
                }
                throw new IllegalStateException("Function '" + node.name() + "' returned " + (nan ? "nan" : "inf")
                        + " values in its " + i + "th output.");
            }
        }
    }

    private static void runPreHooks(Node node, Tensor[] grads) {
        if (node.preHooks == null) {
            return;
        }
        for (int slot = 0; slot < node.preHooks.size() && slot < grads.length; slot++) {
            if (grads[slot] == null) {
                continue;
            }
            for (var hook : node.preHooks.get(slot)) {
                Tensor r = hook.apply(grads[slot]);
                if (r != null) {
                    grads[slot] = r;
                }
            }
        }
    }

    /** Checks a gradient against its input's shape, type and device; sums a broadcast gradient down. */
    private static Tensor validate(Node node, int i, Tensor g) {
        int[] expected = node.inputShapes[i];
        if (!Arrays.equals(g.shapeRef(), expected)) {
            if (!Shapes.broadcastsTo(expected, g.shapeRef())) {
                throw new IllegalStateException("Function " + node.name() + " returned an invalid gradient at index " + i
                        + " - got " + Shapes.str(g.shapeRef()) + " but expected shape compatible with " + Shapes.str(expected));
            }
            g = ReductionOps.sumToShape(g, expected);
        }
        if (!g.device().equals(node.inputDevices[i])) {
            throw new IllegalStateException("Function " + node.name() + " returned an invalid gradient at index " + i
                    + " - expected device " + node.inputDevices[i] + " but got " + g.device());
        }
        if (g.dtype() != node.inputDtypes[i]) {
            g = g.to(node.inputDtypes[i]);
        }
        return g;
    }

    /** Puts g into the node's slot, or the sum there; own (when tracking) learns which storages the slots hold. */
    private static void addTo(Map<Node, Tensor[]> buffers, Node node, int slot, Tensor g, GradOwnership own) {
        Tensor[] buf = buffers.computeIfAbsent(node, n -> new Tensor[n.numOutputs()]);
        if (buf[slot] == null) {
            buf[slot] = g;
            if (own != null) {
                own.held(g);
            }
            return;
        }
        Tensor sum = buf[slot].add(g);
        if (own != null) {
            own.held(sum);
            own.held(g);
            own.released(g);
            own.released(buf[slot]);
        }
        buf[slot] = sum;
    }

    private static void shareAll(GradOwnership own, Tensor[] grads) {
        for (Tensor g : grads) {
            own.share(g);
        }
    }

    /**
     * Every node reachable from the roots, mapped to whether it lies on a path to a capture (always true
     * when nothing is captured).
     */
    private static Map<Node, Boolean> needed(List<Node> roots, Map<Node, List<int[]>> captures) {
        Map<Node, Boolean> result = new IdentityHashMap<>();
        // Iterative post-order: a node is decided after all its children.
        Deque<Object[]> stack = new ArrayDeque<>();
        for (Node r : roots) {
            if (!result.containsKey(r)) {
                stack.push(new Object[] {r, 0});
                result.put(r, Boolean.FALSE);
            }
            while (!stack.isEmpty()) {
                Object[] top = stack.peek();
                Node n = (Node) top[0];
                int at = (Integer) top[1];
                if (at < n.next.length) {
                    top[1] = at + 1;
                    Edge e = n.next[at];
                    if (e != null && !result.containsKey(e.node())) {
                        result.put(e.node(), Boolean.FALSE);
                        stack.push(new Object[] {e.node(), 0});
                    }
                    continue;
                }
                stack.pop();
                boolean need = captures == null || captures.containsKey(n);
                for (Edge e : n.next) {
                    need |= e != null && result.get(e.node());
                }
                result.put(n, need);
            }
        }
        return result;
    }
}
