package org.sparkgrad.engine.nn;

import java.util.Arrays;
import org.sparkgrad.engine.Tensor;

/**
 * Layer normalisation over the last dimensions, like {@code torch.nn.LayerNorm}: with elementwiseAffine, the
 * parameters {@code weight} (ones) and {@code bias} (zeros) of the normalized shape.
 */
public class LayerNorm extends Module {
    private final int[] normalizedShape;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    /** eps 1e-5 with affine parameters. */
    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5, true);
    }

    /** Every option of PyTorch's constructor. */
    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine) {
        if (normalizedShape.length == 0) {
            throw new IllegalArgumentException("LayerNorm: normalized_shape must have at least one dimension");
        }
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.weight = elementwiseAffine ? registerParameter("weight", new Parameter(Tensor.ones(normalizedShape))) : null;
        this.bias = elementwiseAffine ? registerParameter("bias", new Parameter(Tensor.zeros(normalizedShape))) : null;
    }

    /** {@code F.layerNorm(input, normalizedShape, weight, bias, eps)}. */
    @Override
    public Tensor forward(Tensor input) {
        return F.layerNorm(input, normalizedShape, weight, bias, eps);
    }

    /** The weight (normalized shape), or null without affine parameters. */
    public Parameter weight() {
        return weight;
    }

    /** The bias (normalized shape), or null without affine parameters. */
    public Parameter bias() {
        return bias;
    }

    @Override
    protected String extraRepr() {
        String s = Arrays.toString(normalizedShape).replace("[", "(").replace("]", normalizedShape.length == 1 ? ",)" : ")");
        return s + ", eps=" + eps + ", elementwise_affine=" + (weight != null ? "True" : "False");
    }
}
