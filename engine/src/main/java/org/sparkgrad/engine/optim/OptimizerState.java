package org.sparkgrad.engine.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.Tensor;

/**
 * What {@link Optimizer#stateDict()} returns and {@link Optimizer#loadStateDict} takes, like PyTorch's
 * optimizer {@code state_dict()}: plain names, numbers and tensors, so it can be written to a file.
 *
 * <ul>
 *   <li>{@code params}: the names of the optimized parameters, in order ({@code "0", "1", ...} for an
 *       optimizer built from a list; the module's dotted names for one built from named parameters).
 *   <li>{@code hyper}: the settings by PyTorch's param_group keys, e.g. {@code lr}, {@code momentum},
 *       {@code weight_decay}, {@code beta1}; booleans such as {@code nesterov} are 0 or 1.
 *   <li>{@code tensors}: per-parameter state as {@code state.<param>.<buffer>}, e.g.
 *       {@code state.0.momentum_buffer}, {@code state.fc.weight.exp_avg}, {@code state.fc.weight.step}.
 *       A parameter that never had a gradient has no entries.
 * </ul>
 *
 * The maps keep their insertion order and, like the list, cannot be modified.
 *
 * @param params parameter names in the optimizer's order
 * @param hyper hyper-parameters by name
 * @param tensors state tensors by {@code state.<param>.<buffer>}
 */
public record OptimizerState(List<String> params, Map<String, Double> hyper, Map<String, Tensor> tensors) {
    /** Copies the arguments into unmodifiable collections, keeping their order. */
    public OptimizerState {
        params = List.copyOf(params);
        hyper = Collections.unmodifiableMap(new LinkedHashMap<>(hyper));
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** The key of one parameter's state buffer: {@code state.<param>.<buffer>}. */
    public static String key(String param, String buffer) {
        return "state." + param + "." + buffer;
    }
}
