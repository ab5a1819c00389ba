package org.sparkgrad.engine.nn;

import org.sparkgrad.engine.Tensor;

/**
 * Holds modules in a list, like {@code torch.nn.ModuleList}: they are children named {@code "0", "1", ...}
 * (state dict keys such as {@code 0.weight}), so their parameters belong to the owning module, but the
 * list is not applied itself: the owner's forward decides how to use them.
 *
 * <pre>{@code
 * class Deep extends Module {
 *     final ModuleList layers = registerModule("layers", new ModuleList());
 *     Deep(int n) { for (int i = 0; i < n; i++) layers.add(new Linear(4, 4)); }
 *     public Tensor forward(Tensor x) { for (Module m : layers) x = m.call(x).relu(); return x; }
 * }
 * }</pre>
 */
public class ModuleList extends ModuleSequence {
    /** A list of the given modules, in order. */
    public ModuleList(Module... modules) {
        super(modules);
    }

    /** Appends a module (named by its position), like {@code append}; returns this. */
    public ModuleList add(Module module) {
        append(module);
        return this;
    }

    /** Throws: a ModuleList has no forward, as in PyTorch. */
    @Override
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException("ModuleList has no forward: apply its modules from the owner's forward");
    }
}
