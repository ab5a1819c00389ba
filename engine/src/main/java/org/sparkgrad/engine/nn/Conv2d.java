package org.sparkgrad.engine.nn;

import java.util.Arrays;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;

/**
 * A 2-d convolution layer, like {@code torch.nn.Conv2d} (zero padding): weight [out, in / groups, kH, kW] and
 * bias [out] are parameters named {@code weight} and {@code bias}, initialised as PyTorch does (weight by
 * kaiming_uniform_ with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in / groups * kH *
 * kW; bias from the same bound).
 *
 * <pre>{@code
 * Conv2d conv = new Conv2d(3, 16, 3);                 // x: [N, 3, H, W] -> [N, 16, H - 2, W - 2]
 * Conv2d same = new Conv2d(3, 16, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1, true, gen);
 * }</pre>
 */
public class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
    private final int groups;
    private final Parameter weight;
    private final Parameter bias;

    /** A square kernel, stride 1, no padding, with bias, from the default generator. */
    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, new int[] {kernelSize, kernelSize}, new int[] {1, 1}, new int[] {0, 0},
                new int[] {1, 1}, 1, true, Generator.defaultGenerator());
    }

    /** Every option; pairs are {height, width}; the weights are drawn from gen. */
    public Conv2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding, int[] dilation,
                  int groups, boolean bias, Generator gen) {
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: in_channels (" + inChannels + ") and out_channels (" + outChannels
                    + ") must be divisible by groups (" + groups + ")");
        }
        if (kernelSize.length != 2 || kernelSize[0] < 1 || kernelSize[1] < 1) {
            throw new IllegalArgumentException("Conv2d: kernel_size must be {height, width} >= 1, got "
                    + Arrays.toString(kernelSize));
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernelSize.clone();
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.dilation = dilation.clone();
        this.groups = groups;
        this.weight = registerParameter("weight",
                new Parameter(Tensor.zeros(outChannels, inChannels / groups, kernel[0], kernel[1])));
        this.bias = bias ? registerParameter("bias", new Parameter(Tensor.zeros(outChannels))) : null;
        resetParameters(gen);
    }

    /** Re-draws weight and bias with PyTorch's default initialisation from gen. */
    public final void resetParameters(Generator gen) {
        Init.kaimingUniform_(weight, Math.sqrt(5), "fan_in", "leaky_relu", gen);
        if (bias != null) {
            int fanIn = Init.fanInAndFanOut(weight)[0];
            double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
            Init.uniform_(bias, -bound, bound, gen);
        }
    }

    /** {@code F.conv2d(input, weight, bias, stride, padding, dilation, groups)}. */
    @Override
    public Tensor forward(Tensor input) {
        return F.conv2d(input, weight, bias, stride, padding, dilation, groups);
    }

    /** The weight [out, in / groups, kH, kW]. */
    public Parameter weight() {
        return weight;
    }

    /** The bias [out], or null. */
    public Parameter bias() {
        return bias;
    }

    @Override
    protected String extraRepr() {
        StringBuilder s = new StringBuilder(inChannels + ", " + outChannels + ", kernel_size=" + tuple(kernel)
                + ", stride=" + tuple(stride));
        if (padding[0] != 0 || padding[1] != 0) {
            s.append(", padding=").append(tuple(padding));
        }
        if (dilation[0] != 1 || dilation[1] != 1) {
            s.append(", dilation=").append(tuple(dilation));
        }
        if (groups != 1) {
            s.append(", groups=").append(groups);
        }
        if (bias == null) {
            s.append(", bias=False");
        }
        return s.toString();
    }

    /** PyTorch's printout of a pair: {@code (3, 3)}. */
    static String tuple(int[] v) {
        return "(" + v[0] + ", " + v[1] + ")";
    }
}
