package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;

/**
 * A lookup table of numEmbeddings vectors of size embeddingDim, like {@code torch.nn.Embedding}: the
 * parameter {@code weight} [num, dim] is drawn from N(0, 1) as in PyTorch, with the padding row (if any)
 * zeroed; that row gets no gradient. Input: int64 indices of any shape; output: indices.shape + [dim].
 */
public class Embedding extends Module {
    private final int numEmbeddings;
    private final int embeddingDim;
    private final int paddingIdx;
    private final Parameter weight;

    /** No padding index, weights from the default generator. */
    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, null, Generator.defaultGenerator());
    }

    /** paddingIdx null for none (negative counts from the end); weights drawn from gen. */
    public Embedding(int numEmbeddings, int embeddingDim, Integer paddingIdx, Generator gen) {
        if (numEmbeddings < 1 || embeddingDim < 0) {
            throw new IllegalArgumentException("Embedding: num_embeddings must be >= 1 and embedding_dim >= 0, got "
                    + numEmbeddings + " and " + embeddingDim);
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.paddingIdx = F.paddingIndex(numEmbeddings, paddingIdx);
        this.weight = registerParameter("weight", new Parameter(Tensor.zeros(numEmbeddings, embeddingDim)));
        resetParameters(gen);
    }

    /** Re-draws the weight from N(0, 1) with gen and zeroes the padding row. */
    public final void resetParameters(Generator gen) {
        Init.normal_(weight, 0, 1, gen);
        if (paddingIdx >= 0) {
            Init.zeros_(weight.select(0, paddingIdx));
        }
    }

    /** {@code F.embedding(indices, weight, paddingIdx)}. */
    @Override
    public Tensor forward(Tensor indices) {
        return F.embedding(indices, weight, paddingIdx < 0 ? null : paddingIdx);
    }

    /** The table [num_embeddings, embedding_dim]. */
    public Parameter weight() {
        return weight;
    }

    @Override
    protected String extraRepr() {
        return numEmbeddings + ", " + embeddingDim + (paddingIdx >= 0 ? ", padding_idx=" + paddingIdx : "");
    }
}
