package org.sparkgrad.engine.nn;

import java.util.Iterator;
import java.util.List;

/**
 * What {@link Sequential} and {@link ModuleList} share: children named by position {@code "0", "1", ...},
 * appended, read by index and iterated in order.
 */
abstract class ModuleSequence extends Module implements Iterable<Module> {
    ModuleSequence(Module... modules) {
        for (Module m : modules) {
            append(m);
        }
    }

    /** Appends a module named by its position. */
    final void append(Module m) {
        if (m == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": a layer can't be null (position " + size()
                    + ")");
        }
        registerModule(String.valueOf(size()), m);
    }

    /** The number of modules. */
    public int size() {
        return namedChildren().size();
    }

    /** Module i, like {@code net[i]}; negative i counts from the end. */
    public Module get(int i) {
        List<Module> layers = children();
        int n = layers.size();
        if (i < -n || i >= n) {
            throw new IndexOutOfBoundsException("index " + i + " is out of range for a " + getClass().getSimpleName()
                    + " of " + n + " layers");
        }
        return layers.get(i < 0 ? i + n : i);
    }

    /** Module i as the given type, e.g. {@code net.get(0, Linear.class).weight()}; fails naming both types. */
    public <M extends Module> M get(int i, Class<M> type) {
        Module m = get(i);
        if (!type.isInstance(m)) {
            throw new ClassCastException("layer " + i + " of the " + getClass().getSimpleName() + " is a "
                    + m.getClass().getSimpleName() + ", not a " + type.getSimpleName());
        }
        return type.cast(m);
    }

    /** The modules in order. */
    @Override
    public Iterator<Module> iterator() {
        return children().iterator();
    }
}
