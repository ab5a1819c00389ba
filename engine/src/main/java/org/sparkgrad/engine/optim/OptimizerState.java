package org.sparkgrad.engine.optim;

import java.util.ArrayList;
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
 *   <li>{@code params}: the names of the optimized parameters, in order, group after group ({@code "0",
 *       "1", ...} for parameters given as a list; the module's dotted names for named parameters).
 *   <li>{@code hyper}: the settings by PyTorch's param_group keys, e.g. {@code lr}, {@code initial_lr},
 *       {@code momentum}, {@code weight_decay}, {@code beta1}; booleans such as {@code nesterov} are 0 or 1.
 *       With one parameter group the keys are plain ({@code lr}); with several, each key is prefixed by
 *       its group, {@code param_groups.<g>.lr}, and {@code param_groups.<g>.params} is the number of
 *       parameters of group g: the groups take consecutive runs of {@code params}, as the groups' integer
 *       ids run on in PyTorch's state dict. {@link #paramGroups()} reads them back as {@link Group}s.
 *   <li>{@code tensors}: per-parameter state as {@code state.<param>.<buffer>}, e.g.
 *       {@code state.0.momentum_buffer}, {@code state.fc.weight.exp_avg}, {@code state.fc.weight.step}.
 *       A parameter that never had a gradient has no entries.
 * </ul>
 *
 * The maps keep their insertion order and, like the list, cannot be modified.
 *
 * @param params parameter names in the optimizer's order
 * @param hyper hyper-parameters by name (prefixed by group when there are several groups)
 * @param tensors state tensors by {@code state.<param>.<buffer>}
 */
public record OptimizerState(List<String> params, Map<String, Double> hyper, Map<String, Tensor> tensors) {
    /** The key prefix of a group's settings when there are several groups. */
    public static final String GROUP_PREFIX = "param_groups.";
    /** The per-group key (after {@link #GROUP_PREFIX} and the index) holding the group's parameter count. */
    public static final String GROUP_PARAMS = "params";

    /**
     * Copies the arguments into unmodifiable collections, keeping their order; checks that grouped
     * settings (if any) split {@code params} into consecutive runs.
     */
    public OptimizerState {
        params = List.copyOf(params);
        hyper = Collections.unmodifiableMap(new LinkedHashMap<>(hyper));
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        parseGroups(params, hyper);
    }

    /** One parameter group of a state: its parameters' names and its settings (plain keys). */
    public record Group(List<String> params, Map<String, Double> hyper) {
        /** Copies the arguments into unmodifiable collections, keeping their order. */
        public Group {
            params = List.copyOf(params);
            hyper = Collections.unmodifiableMap(new LinkedHashMap<>(hyper));
        }
    }

    /** A state of several groups, flattened into {@code params} and prefixed {@code hyper} keys (one group: plain keys). */
    public static OptimizerState of(List<Group> groups, Map<String, Tensor> tensors) {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("an optimizer state needs at least one parameter group");
        }
        if (groups.size() == 1) {
            return new OptimizerState(groups.get(0).params(), groups.get(0).hyper(), tensors);
        }
        List<String> params = new ArrayList<>();
        Map<String, Double> hyper = new LinkedHashMap<>();
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            params.addAll(group.params());
            hyper.put(GROUP_PREFIX + g + "." + GROUP_PARAMS, (double) group.params().size());
            for (Map.Entry<String, Double> e : group.hyper().entrySet()) {
                hyper.put(GROUP_PREFIX + g + "." + e.getKey(), e.getValue());
            }
        }
        return new OptimizerState(params, hyper, tensors);
    }

    /** The parameter groups: one with every parameter and the plain settings, or the prefixed ones. */
    public List<Group> paramGroups() {
        return parseGroups(params, hyper);
    }

    /** The key of one parameter's state buffer: {@code state.<param>.<buffer>}. */
    public static String key(String param, String buffer) {
        return "state." + param + "." + buffer;
    }

    private static List<Group> parseGroups(List<String> params, Map<String, Double> hyper) {
        boolean grouped = hyper.keySet().stream().anyMatch(k -> k.startsWith(GROUP_PREFIX));
        if (!grouped) {
            return List.of(new Group(params, hyper));
        }
        java.util.TreeMap<Integer, Map<String, Double>> byGroup = new java.util.TreeMap<>();
        for (Map.Entry<String, Double> e : hyper.entrySet()) {
            String k = e.getKey();
            int dot = k.indexOf('.', GROUP_PREFIX.length());
            Integer g = null;
            if (k.startsWith(GROUP_PREFIX) && dot > GROUP_PREFIX.length() && dot < k.length() - 1) {
                try {
                    g = Integer.valueOf(k.substring(GROUP_PREFIX.length(), dot));
                } catch (NumberFormatException ex) {
                    g = null;
                }
            }
            if (g == null || g < 0) {
                throw new IllegalArgumentException("optimizer state with parameter groups: hyper-parameter \"" + k
                        + "\" is not of the form " + GROUP_PREFIX + "<group>.<key>");
            }
            byGroup.computeIfAbsent(g, x -> new LinkedHashMap<>()).put(k.substring(dot + 1), e.getValue());
        }
        if (byGroup.lastKey() != byGroup.size() - 1) {
            throw new IllegalArgumentException("optimizer state: the parameter groups must be numbered 0.."
                    + (byGroup.size() - 1) + ", got " + byGroup.keySet());
        }
        List<Map<String, Double>> settings = new ArrayList<>(byGroup.values());
        List<Group> out = new ArrayList<>();
        int start = 0;
        for (int g = 0; g < settings.size(); g++) {
            Map<String, Double> h = settings.get(g);
            Double count = h.remove(GROUP_PARAMS);
            String countKey = GROUP_PREFIX + g + "." + GROUP_PARAMS;
            if (count == null || count != Math.rint(count) || count < 1 || start + count > params.size()) {
                throw new IllegalArgumentException("optimizer state: \"" + countKey + "\" must be the number (>= 1) of "
                        + "group " + g + "'s parameters among the " + params.size() + " listed (" + (params.size() - start)
                        + " left), got " + count);
            }
            int end = start + (int) (double) count;
            out.add(new Group(params.subList(start, end), h));
            start = end;
        }
        if (start != params.size()) {
            throw new IllegalArgumentException("optimizer state: its " + settings.size() + " groups hold " + start
                    + " parameters but " + params.size() + " are listed");
        }
        return out;
    }
}
