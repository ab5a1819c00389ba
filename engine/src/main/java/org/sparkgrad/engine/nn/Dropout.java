package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;

/**
 * Zeroes each element with probability p in training and scales the rest by 1 / (1 - p), like
 * {@code torch.nn.Dropout}; the identity in eval mode. With no {@link BatchContext} open the mask is drawn
 * from the module's generator; with one open it is a pure function of (this module's seed, the step, the
 * call's index within the scope, the row's sample key, the element's index in the row) — see
 * {@link BatchContext}. The seed is drawn from the generator when the module is built, so models built from
 * equally seeded generators have equal seeds.
 */
public class Dropout extends Module {
    private final double p;
    private final Generator gen;
    private final long seed;

    /** Dropout with p = 0.5 and the default generator. */
    public Dropout() {
        this(0.5);
    }

    /** Dropout with probability p and the default generator. */
    public Dropout(double p) {
        this(p, Generator.defaultGenerator());
    }

    /** Dropout with probability p drawing from gen (its seed for scoped masks is gen's next number). */
    public Dropout(double p, Generator gen) {
        F.checkDropoutProbability(p);
        this.p = p;
        this.gen = gen;
        this.seed = (long) (gen.nextUniform() * 0x1p53);
    }

    /** {@code F.dropout(input, p, isTraining())} with this module's generator and seed. */
    @Override
    public Tensor forward(Tensor input) {
        return F.dropout(input, p, isTraining(), gen, seed);
    }

    /** The drop probability. */
    public double p() {
        return p;
    }

    /** The seed of the masks drawn inside a {@link BatchContext}. */
    public long seed() {
        return seed;
    }

    @Override
    protected String extraRepr() {
        return "p=" + p + ", inplace=False";
    }
}
