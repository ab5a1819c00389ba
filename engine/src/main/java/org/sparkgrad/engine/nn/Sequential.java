package org.sparkgrad.engine.nn;

import java.util.Iterator;
import java.util.List;
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
public class Sequential extends Module implements Iterable<Module> {
    /** A container of the given layers, in order. */
    public Sequential(Module... layers) {
        for (Module m : layers) {
            add(m);
        }
    }

    /** Appends a layer (named by its position), like {@code append}; returns this. */
    public Sequential add(Module layer) {
        if (layer == null) {
            throw new IllegalArgumentException("Sequential: a layer can't be null (position " + size() + ")");
        }
        registerModule(String.valueOf(size()), layer);
        return this;
    }

    /** The number of layers. */
    public int size() {
        return namedChildren().size();
    }

    /** Layer i, like {@code net[i]}; negative i counts from the end. */
    public Module get(int i) {
        List<Module> layers = children();
        int n = layers.size();
        if (i < -n || i >= n) {
            throw new IndexOutOfBoundsException("index " + i + " is out of range for a Sequential of " + n + " layers");
        }
        return layers.get(i < 0 ? i + n : i);
    }

    /** Layer i as the given type, e.g. {@code net.get(0, Linear.class).weight()}; fails naming both types. */
    public <M extends Module> M get(int i, Class<M> type) {
        Module m = get(i);
        if (!type.isInstance(m)) {
            throw new ClassCastException("layer " + i + " of the Sequential is a " + m.getClass().getSimpleName() + ", not a "
                    + type.getSimpleName());
        }
        return type.cast(m);
    }

    /** Feeds input through every layer in order (an empty Sequential returns input). */
    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        for (Module m : children()) {
            x = m.forward(x);
        }
        return x;
    }

    /** The layers in order. */
    @Override
    public Iterator<Module> iterator() {
        return children().iterator();
    }
}
