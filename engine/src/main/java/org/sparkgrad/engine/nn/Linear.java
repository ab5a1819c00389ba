package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;

/**
 * A fully connected layer {@code y = x W^T + b}, like {@code torch.nn.Linear}: weight [out, in] and bias
 * [out] are parameters named {@code weight} and {@code bias}, initialised as PyTorch does (weight by
 * kaiming_uniform_ with a = sqrt(5), which is U(-1/sqrt(in), 1/sqrt(in)); bias U(-1/sqrt(in), 1/sqrt(in))).
 *
 * <pre>{@code
 * Linear fc = new Linear(2, 1);
 * Tensor y = fc.forward(x);          // x: [N, 2] -> y: [N, 1]
 * }</pre>
 */
public class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;

    /** A layer with bias, initialised from the default generator. */
    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true);
    }

    /** A layer with or without bias, initialised from the default generator. */
    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, Generator.defaultGenerator());
    }

    /** A layer with or without bias, initialised from gen (the same seed gives the same weights). */
    public Linear(int inFeatures, int outFeatures, boolean bias, Generator gen) {
        if (inFeatures < 0 || outFeatures < 0) {
            throw new IllegalArgumentException("Linear: in_features and out_features must be >= 0, got in_features="
                    + inFeatures + ", out_features=" + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", new Parameter(Tensor.zeros(outFeatures, inFeatures)));
        this.bias = bias ? registerParameter("bias", new Parameter(Tensor.zeros(outFeatures))) : null;
        resetParameters(gen);
    }

    /** Re-draws weight and bias with PyTorch's default initialisation from gen. */
    public final void resetParameters(Generator gen) {
        Init.kaimingUniform_(weight, Math.sqrt(5), "fan_in", "leaky_relu", gen);
        if (bias != null) {
            double bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
            Init.uniform_(bias, -bound, bound, gen);
        }
    }

    /** {@code F.linear(input, weight, bias)}: input [*, in] gives [*, out]. */
    @Override
    public Tensor forward(Tensor input) {
        return F.linear(input, weight, bias);
    }

    /** The weight, shape [out_features, in_features]. */
    public Parameter weight() {
        return weight;
    }

    /** The bias, shape [out_features], or null for a layer built without one. */
    public Parameter bias() {
        return bias;
    }

    /** The size of each input sample. */
    public int inFeatures() {
        return inFeatures;
    }

    /** The size of each output sample. */
    public int outFeatures() {
        return outFeatures;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null ? "True" : "False");
    }
}
