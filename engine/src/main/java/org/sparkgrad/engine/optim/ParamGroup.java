package org.sparkgrad.engine.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.Tensor;

/**
 * A group of parameters with its own settings, like one dict of PyTorch's {@code optimizer.param_groups}:
 * the group's learning rate, weight decay, momentum, betas and so on override the optimizer's defaults.
 *
 * <pre>{@code
 * SGD opt = new SGD(net.body.parameters(), 0.01, 0.9);       // group 0: lr 0.01, momentum 0.9
 * opt.addParamGroup(new ParamGroup(net.head.parameters())    // group 1: lr 0.1, momentum 0.9
 *         .set("lr", 0.1));
 * opt.paramGroups().get(1).setLr(0.05);                      // what a scheduler does per group
 * }</pre>
 *
 * Settings go by PyTorch's keys ({@code lr}, {@code weight_decay}, {@code momentum}; Adam's {@code betas} as
 * {@code beta1} and {@code beta2}; booleans as 0 or 1). Before the group is added, {@link #set} records any
 * key; {@link Optimizer#addParamGroup} fills in the defaults and rejects unknown keys and invalid values.
 * Once added, {@link #set} checks the value as the optimizer's constructor does.
 */
public final class ParamGroup {
    private final List<Tensor> params;
    /** The names given with the tensors, or null: the optimizer then names them by global position. */
    private final List<String> givenNames;
    private List<String> names;
    private final Map<String, Double> options = new LinkedHashMap<>();
    private Double initialLr;
    private Optimizer owner;

    /** A group of parameters named by their position in the optimizer ({@code "0", "1", ...}). */
    public ParamGroup(List<? extends Tensor> params) {
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        this.params = new ArrayList<>(params);
        this.givenNames = null;
    }

    /** A group of named parameters (e.g. {@code module.namedParameters()}), whose state is keyed by name. */
    public ParamGroup(Map<String, ? extends Tensor> namedParams) {
        if (namedParams == null || namedParams.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        this.params = new ArrayList<>(namedParams.values());
        this.givenNames = new ArrayList<>(namedParams.keySet());
    }

    /**
     * Sets one of the group's settings; returns this group. On a group that belongs to an optimizer the
     * key must be one the optimizer has, the value must pass its checks, and a change that would change
     * which buffers the group's parameters keep (e.g. amsgrad) is refused once they have state.
     */
    public ParamGroup set(String key, double value) {
        if (key == null) {
            throw new IllegalArgumentException("a param group setting needs a key, got null");
        }
        if (owner == null) {
            if (key.equals(Optimizer.INITIAL_LR)) {
                initialLr = value;
            } else {
                options.put(key, value);
            }
            return this;
        }
        owner.changeOption(this, key, value);
        return this;
    }

    /** Sets a boolean setting ({@code nesterov}, {@code amsgrad}, {@code centered}) as 1 or 0; returns this group. */
    public ParamGroup set(String key, boolean value) {
        return set(key, value ? 1.0 : 0.0);
    }

    /** One setting by its PyTorch key; throws if the group has no such setting. */
    public double get(String key) {
        if (Optimizer.INITIAL_LR.equals(key) && initialLr != null) {
            return initialLr;
        }
        Double v = options.get(key);
        if (v == null) {
            throw new IllegalArgumentException("param group has no setting \"" + key + "\"; it has "
                    + Optimizer.quoted(options().keySet()));
        }
        return v;
    }

    /** Whether the group has the setting. */
    public boolean has(String key) {
        return options.containsKey(key) || (Optimizer.INITIAL_LR.equals(key) && initialLr != null);
    }

    /** The group's learning rate. */
    public double getLr() {
        return get(Optimizer.LR);
    }

    /** Sets the group's learning rate (schedulers call this); it must be finite and non-negative. */
    public ParamGroup setLr(double lr) {
        return set(Optimizer.LR, lr);
    }

    /** The group's settings: {@code lr}, {@code initial_lr} once a scheduler set it, then the others (unmodifiable). */
    public Map<String, Double> options() {
        Map<String, Double> out = new LinkedHashMap<>();
        if (options.containsKey(Optimizer.LR)) {
            out.put(Optimizer.LR, options.get(Optimizer.LR));
        }
        if (initialLr != null) {
            out.put(Optimizer.INITIAL_LR, initialLr);
        }
        out.putAll(options);
        return Collections.unmodifiableMap(out);
    }

    /** The group's parameters, in order (unmodifiable). */
    public List<Tensor> params() {
        return Collections.unmodifiableList(params);
    }

    /** The names the group's state is keyed by, once the group belongs to an optimizer (unmodifiable). */
    public List<String> names() {
        if (names == null) {
            throw new IllegalStateException("the group's names are given when it is added to an optimizer");
        }
        return Collections.unmodifiableList(names);
    }

    // ---- for Optimizer

    List<String> givenNames() {
        return givenNames;
    }

    Map<String, Double> rawOptions() {
        return options;
    }

    Double initialLr() {
        return initialLr;
    }

    void setInitialLr(Double value) {
        initialLr = value;
    }

    Optimizer owner() {
        return owner;
    }

    void attach(Optimizer optimizer, List<String> assignedNames, Map<String, Double> filled) {
        owner = optimizer;
        names = List.copyOf(assignedNames);
        options.clear();
        options.putAll(filled);
    }
}
