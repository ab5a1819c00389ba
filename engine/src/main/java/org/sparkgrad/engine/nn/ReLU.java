package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/** max(x, 0) elementwise, like {@code torch.nn.ReLU}. */
public class ReLU extends Module {
    /** The activation (it has no parameters). */
    public ReLU() {
    }

    /** {@code F.relu(input)}, any shape. */
    @Override
    public Tensor forward(Tensor input) {
        return F.relu(input);
    }
}
