package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** The mean over adaptive 2-d windows giving a fixed output size, like {@code torch.nn.AdaptiveAvgPool2d}. */
public class AdaptiveAvgPool2d extends Module {
    private final int outH;
    private final int outW;

    /** A square output of the given size. */
    public AdaptiveAvgPool2d(int outputSize) {
        this(outputSize, outputSize);
    }

    /** An output of [outH, outW]. */
    public AdaptiveAvgPool2d(int outH, int outW) {
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.adaptiveAvgPool2d(input, outH, outW);
    }

    @Override
    protected String extraRepr() {
        return "output_size=" + Conv2d.tuple(new int[] {outH, outW});
    }
}
