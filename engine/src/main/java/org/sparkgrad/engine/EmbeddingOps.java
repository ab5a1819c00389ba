package org.sparkgrad.engine;

/**
 * Embedding lookup as one autograd node (EmbeddingBackward0): rows of the weight picked by int64 indices,
 * the VJP a scatter-add of the output gradient into the picked rows (none into the padding row). The engine
 * side of {@code org.sparkgrad.engine.nn.F.embedding}, which checks the arguments and is the API.
 */
public final class EmbeddingOps {
    private EmbeddingOps() {
    }

    /**
     * weight [num, dim] rows at indices (int64, any shape, each in [0, num)): shape indices.shape + [dim].
     * paddingIdx (in [0, num), or -1 for none) gets no gradient.
     */
    public static Tensor embedding(Tensor indices, Tensor weight, int paddingIdx) {
        int num = weight.size(0);
        int dim = weight.size(1);
        int[] outShape = java.util.Arrays.copyOf(indices.shape(), indices.dim() + 1);
        outShape[indices.dim()] = dim;
        Tensor flat = indices.reshape(indices.numel());
        Tensor out;
        try (GradMode.Scope s = GradMode.noGrad()) {
            out = weight.indexSelect(0, flat).reshape(outShape);
        }
        OpNode n = OpNode.record("EmbeddingBackward0", weight);
        if (n == null) {
            return out;
        }
        Tensor index = flat.unsqueeze(1).expand(flat.size(0), dim);
        Tensor keep = paddingIdx < 0 ? null : Tensor.arange(num).ne((double) paddingIdx).to(weight.dtype())
                .unsqueeze(1).to(weight.device());
        return n.finish(out, g -> {
            Tensor gw = IndexingOps.scatterAddInto(new int[] {num, dim}, 0, index, g[0].reshape(flat.size(0), dim));
            return new Tensor[] {keep == null ? gw : gw.mul(keep)};
        });
    }
}
