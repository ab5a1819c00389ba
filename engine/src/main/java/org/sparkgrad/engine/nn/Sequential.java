package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/**
 * Layers applied one after another, like {@code torch.nn.Sequential}. The layers are children named
 * {@code "0"}, {@code "1"}, ..., so the state dict has keys such as {@code 0.weight} and {@code 0.bias}.
 *
 * <pre>{@code
 * Sequential net = new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 1));
 * Tensor w = net.get(0, Linear.class).weight();    // like net[0].weight
 * }</pre>
 */
public class Sequential extends ModuleSequence {
    /** A container of the given layers, in order. */
    public Sequential(Module... layers) {
        super(layers);
    }

    /** Appends a layer (named by its position), like {@code append}; returns this. */
    public Sequential add(Module layer) {
        append(layer);
        return this;
    }

    /** Feeds input through every layer in order, each with its hooks (an empty Sequential returns input). */
    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        for (Module m : children()) {
            x = m.call(x);
        }
        return x;
    }
}
