package org.sparkgrad.engine;

/** Gradients of outputs with respect to inputs, as in {@code torch.autograd}. */
public final class Autograd {
    private static final ThreadLocal<boolean[]> ANOMALY = ThreadLocal.withInitial(() -> new boolean[1]);

    private Autograd() {
    }

    /**
     * Until the scope closes, backward checks every gradient a node produces and fails at the first NaN
     * or infinity with the node's name, like {@code torch.autograd.detect_anomaly()}. Costs a scan per
     * gradient.
     */
    public static AnomalyScope detectAnomaly() {
        boolean[] state = ANOMALY.get();
        AnomalyScope scope = new AnomalyScope(state[0]);
        state[0] = true;
        return scope;
    }

    static boolean anomalyDetection() {
        return ANOMALY.get()[0];
    }

    /** Restores the previous anomaly-detection state when closed. */
    public static final class AnomalyScope implements AutoCloseable {
        private final boolean previous;

        private AnomalyScope(boolean previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            ANOMALY.get()[0] = previous;
        }
    }

    /**
     * Accumulates d(output)/d(leaf) into every leaf's {@code grad()}.
     *
     * @param output the tensor to differentiate
     * @param gradOutput the vector of the vector-Jacobian product; null for a one-element output
     * @param retainGraph keep saved tensors so that backward can run through the graph again
     * @param createGraph record the backward pass itself, for higher-order derivatives
     */
    public static void backward(Tensor output, Tensor gradOutput, boolean retainGraph, boolean createGraph) {
        BackwardEngine.run(new Tensor[] {output}, new Tensor[] {gradOutput}, retainGraph || createGraph, createGraph, null, false);
    }

    /**
     * The gradients of {@code outputs} with respect to {@code inputs}, without touching any
     * {@code grad()}, like {@code torch.autograd.grad}.
     *
     * @param outputs differentiated tensors
     * @param inputs tensors to differentiate with respect to (each must require grad)
     * @param gradOutputs one vector per output (null entries, or a null array, for one-element outputs)
     * @param retainGraph keep the graph for another backward pass
     * @param createGraph record the gradient computation so it can be differentiated again
     * @param allowUnused return null for inputs the outputs do not depend on instead of failing
     * @return one gradient per input
     */
    public static Tensor[] grad(Tensor[] outputs, Tensor[] inputs, Tensor[] gradOutputs, boolean retainGraph,
                                boolean createGraph, boolean allowUnused) {
        if (gradOutputs != null && gradOutputs.length != outputs.length) {
            throw new IllegalArgumentException("grad requires one grad_output per output: got " + gradOutputs.length
                    + " for " + outputs.length + " outputs");
        }
        return BackwardEngine.run(outputs, gradOutputs, retainGraph || createGraph, createGraph, inputs, allowUnused);
    }

    /** {@link #grad(Tensor[], Tensor[], Tensor[], boolean, boolean, boolean)} without unused inputs. */
    public static Tensor[] grad(Tensor[] outputs, Tensor[] inputs, Tensor[] gradOutputs, boolean retainGraph,
                                boolean createGraph) {
        return grad(outputs, inputs, gradOutputs, retainGraph, createGraph, false);
    }

    /** The gradient of a one-element output with respect to each input, freeing the graph. */
    public static Tensor[] grad(Tensor output, Tensor... inputs) {
        return grad(new Tensor[] {output}, inputs, null, false, false, false);
    }
}
