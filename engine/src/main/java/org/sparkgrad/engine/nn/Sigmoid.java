package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** 1 / (1 + exp(-x)) elementwise, like {@code torch.nn.Sigmoid}. */
public class Sigmoid extends Module {
    /** The activation (it has no parameters). */
    public Sigmoid() {
    }

    /** {@code F.sigmoid(input)}, any shape. */
    @Override
    public Tensor forward(Tensor input) {
        return F.sigmoid(input);
    }
}
