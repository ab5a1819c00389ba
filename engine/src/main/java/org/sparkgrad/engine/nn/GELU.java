package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** {@code x * Phi(x)}, like {@code torch.nn.GELU}: exact (erf) by default, or approximate = "tanh". */
public class GELU extends Module {
    private final String approximate;

    /** The exact form (approximate = "none"). */
    public GELU() {
        this("none");
    }

    /** approximate "none" (erf) or "tanh". */
    public GELU(String approximate) {
        if (!approximate.equals("none") && !approximate.equals("tanh")) {
            throw new IllegalArgumentException("approximate argument must be either none or tanh, got '" + approximate + "'");
        }
        this.approximate = approximate;
    }

    /** {@code F.gelu(input, approximate)}. */
    @Override
    public Tensor forward(Tensor input) {
        return F.gelu(input, approximate);
    }

    @Override
    protected String extraRepr() {
        return "approximate='" + approximate + "'";
    }
}
