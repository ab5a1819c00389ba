package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** The mean over 2-d windows, like {@code torch.nn.AvgPool2d}; see {@link F#avgPool2d(Tensor, int[], int[], int[], boolean, boolean)}. */
public class AvgPool2d extends Module {
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final boolean ceilMode;
    private final boolean countIncludePad;

    /** A square kernel with stride = kernel, no padding. */
    public AvgPool2d(int kernelSize) {
        this(new int[] {kernelSize, kernelSize}, null, new int[] {0, 0}, false, true);
    }

    /** Every option; pairs are {height, width}; stride null means the kernel size. */
    public AvgPool2d(int[] kernelSize, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
        this.kernel = kernelSize.clone();
        this.stride = stride == null ? kernel : stride.clone();
        this.padding = padding.clone();
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.avgPool2d(input, kernel, stride, padding, ceilMode, countIncludePad);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + Conv2d.tuple(kernel) + ", stride=" + Conv2d.tuple(stride) + ", padding="
                + Conv2d.tuple(padding);
    }
}
