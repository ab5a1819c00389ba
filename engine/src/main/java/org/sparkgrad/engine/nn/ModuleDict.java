package org.sparkgrad.engine.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.sparkgrad.engine.Tensor;

/**
 * Holds modules by name, like {@code torch.nn.ModuleDict}: they are children under their keys (state dict
 * keys such as {@code encoder.weight}), in insertion order; the dict is not applied itself.
 *
 * <pre>{@code
 * ModuleDict heads = new ModuleDict(Map.of("cls", new Linear(8, 3)));
 * heads.put("reg", new Linear(8, 1));
 * Tensor y = heads.get("reg").call(features);
 * }</pre>
 */
public class ModuleDict extends Module {
    /** An empty dict. */
    public ModuleDict() {
    }

    /** A dict of the given modules, in the map's iteration order. */
    public ModuleDict(Map<String, ? extends Module> modules) {
        if (modules == null) {
            throw new IllegalArgumentException("ModuleDict needs a map of modules, got null");
        }
        modules.forEach(this::put);
    }

    /** Adds or replaces the module under name (no dots, not empty); returns this. */
    public ModuleDict put(String name, Module module) {
        if (module == null) {
            throw new IllegalArgumentException("ModuleDict: the module under '" + name + "' can't be null");
        }
        registerModule(name, module);
        return this;
    }

    /** The module under name; throws naming the keys when there is none. */
    public Module get(String name) {
        Module m = namedChildren().get(name);
        if (m == null) {
            throw new IllegalArgumentException("ModuleDict has no module '" + name + "'; it has " + keys());
        }
        return m;
    }

    /** Whether a module is stored under name. */
    public boolean containsKey(String name) {
        return namedChildren().containsKey(name);
    }

    /** The names, in insertion order. */
    public Set<String> keys() {
        return namedChildren().keySet();
    }

    /** A copy of the modules by name, in insertion order. */
    public Map<String, Module> asMap() {
        return new LinkedHashMap<>(namedChildren());
    }

    /** The number of modules. */
    public int size() {
        return namedChildren().size();
    }

    /** Throws: a ModuleDict has no forward, as in PyTorch. */
    @Override
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException("ModuleDict has no forward: apply its modules from the owner's forward");
    }
}
