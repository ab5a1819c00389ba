package org.sparkgrad.engine;

/**
 * A user-defined differentiable operation, like {@code torch.autograd.Function}: {@link #forward} computes
 * outputs from inputs (nothing inside it is recorded), {@link #backward} maps output gradients to input
 * gradients. Call it through {@link #apply}.
 *
 * <pre>{@code
 * class Cube extends Function {
 *     protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
 *         ctx.saveForBackward(in[0]);
 *         return new Tensor[] {in[0].pow(3)};
 *     }
 *     protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
 *         Tensor x = ctx.savedTensors()[0];
 *         return new Tensor[] {grad[0].mul(x.pow(2).mul(3))};
 *     }
 * }
 * Tensor y = new Cube().apply(x)[0];
 * }</pre>
 */
public abstract class Function {
    /** Computes the outputs; runs without recording. */
    protected abstract Tensor[] forward(FunctionCtx ctx, Tensor... inputs);

    /**
     * One gradient per input (null where not needed) from one gradient per output (zeros for outputs
     * that received none).
     */
    protected abstract Tensor[] backward(FunctionCtx ctx, Tensor... gradOutputs);

    /** The node name shown as grad_fn: the class name plus {@code Backward}. */
    protected String name() {
        return getClass().getSimpleName() + "Backward";
    }

    /** Runs forward and, when an input requires grad, records a node that calls backward. */
    public final Tensor[] apply(Tensor... inputs) {
        boolean record = GradMode.isEnabled();
        boolean[] needs = new boolean[inputs.length];
        boolean any = false;
        for (int i = 0; i < inputs.length; i++) {
            needs[i] = record && inputs[i] != null && inputs[i].requiresGrad();
            any |= needs[i];
        }
        FunctionCtx ctx = new FunctionCtx(needs);
        CustomNode node = any ? new CustomNode(this, ctx) : null;
        ctx.node = node;
        Tensor[] outputs;
        try (GradMode.Scope s = GradMode.noGrad()) {
            outputs = forward(ctx, inputs);
        }
        if (node == null) {
            return outputs;
        }
        node.setInputs(inputs);
        node.outputShapes = new int[outputs.length][];
        node.outputDtypes = new DType[outputs.length];
        node.outputDevices = new Device[outputs.length];
        Tensor[] result = new Tensor[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            Tensor o = outputs[i];
            // Outputs get fresh tensor objects so that returning an input unchanged does not rewrite its history.
            Tensor r = o.detach();
            node.outputShapes[i] = o.shapeRef();
            node.outputDtypes[i] = o.dtype();
            node.outputDevices[i] = o.device();
            if (o.dtype().isFloatingPoint()) {
                node.attach(r, i);
            }
            result[i] = r;
        }
        return result;
    }

    /** The recorded node of one call. */
    private static final class CustomNode extends Node {
        private final Function fn;
        private final FunctionCtx ctx;
        // What an output's zero gradient is made like when it receives none (not the output itself: no data kept).
        int[][] outputShapes;
        DType[] outputDtypes;
        Device[] outputDevices;

        CustomNode(Function fn, FunctionCtx ctx) {
            this.fn = fn;
            this.ctx = ctx;
        }

        @Override
        public String name() {
            return fn.name();
        }

        @Override
        int numOutputs() {
            return outputShapes.length;
        }

        @Override
        Tensor[] apply(Tensor[] gradOutputs) {
            Tensor[] g = gradOutputs.clone();
            for (int i = 0; i < g.length; i++) {
                if (g[i] == null) {
                    g[i] = Dispatch.empty(outputDevices[i], outputDtypes[i], outputShapes[i]);
                }
            }
            Tensor[] grads = fn.backward(ctx, g);
            if (grads.length != next.length) {
                throw new IllegalStateException("function " + name() + " returned an incorrect number of gradients "
                        + "(expected " + next.length + ", got " + grads.length + ")");
            }
            return grads;
        }

        @Override
        void release() {
            ctx.release();
        }
    }
}
