package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** x for x &gt; 0, negativeSlope * x otherwise, like {@code torch.nn.LeakyReLU} (default slope 0.01). */
public class LeakyReLU extends Module {
    private final double negativeSlope;

    /** Slope 0.01. */
    public LeakyReLU() {
        this(0.01);
    }

    /** The given slope for negative inputs. */
    public LeakyReLU(double negativeSlope) {
        this.negativeSlope = negativeSlope;
    }

    /** {@code F.leakyRelu(input, negativeSlope)}. */
    @Override
    public Tensor forward(Tensor input) {
        return F.leakyRelu(input, negativeSlope);
    }

    @Override
    protected String extraRepr() {
        return "negative_slope=" + negativeSlope;
    }
}
