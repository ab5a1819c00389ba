package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/**
 * Merges dimensions startDim..endDim into one, like {@code torch.nn.Flatten}; the defaults (1, -1) keep
 * the batch dimension: [N, C, H, W] becomes [N, C*H*W].
 */
public class Flatten extends Module {
    private final int startDim;
    private final int endDim;

    /** Flattens every dimension but the first (start_dim=1, end_dim=-1). */
    public Flatten() {
        this(1, -1);
    }

    /** Flattens dimensions startDim..endDim (negative ones count from the end). */
    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    /** {@code input.flatten(startDim, endDim)}. */
    @Override
    public Tensor forward(Tensor input) {
        return input.flatten(startDim, endDim);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=" + endDim;
    }
}
