package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** tanh(x) elementwise, like {@code torch.nn.Tanh}. */
public class Tanh extends Module {
    /** The activation (it has no parameters). */
    public Tanh() {
    }

    /** {@code F.tanh(input)}, any shape. */
    @Override
    public Tensor forward(Tensor input) {
        return F.tanh(input);
    }
}
