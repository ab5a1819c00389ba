package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** The maximum over 2-d windows, like {@code torch.nn.MaxPool2d}; see {@link F#maxPool2d(Tensor, int[], int[], int[], int[], boolean)}. */
public class MaxPool2d extends Module {
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
    private final boolean ceilMode;

    /** A square kernel with stride = kernel, no padding. */
    public MaxPool2d(int kernelSize) {
        this(new int[] {kernelSize, kernelSize}, null, new int[] {0, 0}, new int[] {1, 1}, false);
    }

    /** Every option; pairs are {height, width}; stride null means the kernel size. */
    public MaxPool2d(int[] kernelSize, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        this.kernel = kernelSize.clone();
        this.stride = stride == null ? kernel : stride.clone();
        this.padding = padding.clone();
        this.dilation = dilation.clone();
        this.ceilMode = ceilMode;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.maxPool2d(input, kernel, stride, padding, dilation, ceilMode);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + Conv2d.tuple(kernel) + ", stride=" + Conv2d.tuple(stride) + ", padding="
                + Conv2d.tuple(padding) + ", dilation=" + Conv2d.tuple(dilation) + ", ceil_mode=" + (ceilMode ? "True" : "False");
    }
}
