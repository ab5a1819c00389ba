package org.sparkgrad.engine.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/**
 * The base of every optimizer, like {@code torch.optim.Optimizer}: it holds parameter groups (each with
 * its own learning rate and settings, see {@link ParamGroup}), per-parameter state, and updates the
 * parameters in place from their gradients.
 *
 * <pre>{@code
 * Optimizer opt = new SGD(net.parameters(), 0.03);
 * for (...) {
 *     opt.zeroGrad();
 *     lossFn(net.forward(x), y).backward();
 *     opt.step();
 * }
 * }</pre>
 *
 * The constructor's parameters form group 0 with the constructor's settings, which are also the defaults
 * that {@link #addParamGroup} fills into later groups (PyTorch's {@code defaults}). Updates write into the
 * parameters' own storage (under no-grad), so a module keeps its {@code Parameter} objects. State is kept
 * per parameter under its name: the module's dotted name for named parameters, else its position
 * {@code "0", "1", ...} counted over all groups.
 *
 * <p>A subclass passes its defaults (by PyTorch's keys, {@code lr} included) to the constructor,
 * implements {@link #update} (one parameter's step with its group's settings), {@link #checkOptions} and
 * {@link #stateKeys}.
 */
public abstract class Optimizer {
    /** The hyper-parameter key of the learning rate. */
    public static final String LR = "lr";
    /** The hyper-parameter key of the learning rate a scheduler started from (PyTorch's {@code initial_lr}). */
    public static final String INITIAL_LR = "initial_lr";

    private final Map<String, Double> defaults;
    private final List<ParamGroup> groups = new ArrayList<>();
    private final List<Tensor> params = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<ParamGroup> groupOf = new ArrayList<>();
    private final Map<String, Integer> indexOf = new LinkedHashMap<>();
    private final Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<Map<String, Tensor>> state = new ArrayList<>();

    /** An optimizer of a list of parameters (state keyed by position) with the given defaults, lr included. */
    protected Optimizer(List<? extends Tensor> params, Map<String, Double> defaults) {
        this(checkedDefaults(defaults), new ParamGroup(params));
    }

    /** An optimizer of named parameters (e.g. {@code module.namedParameters()}), state keyed by name. */
    protected Optimizer(Map<String, ? extends Tensor> namedParams, Map<String, Double> defaults) {
        this(checkedDefaults(defaults), new ParamGroup(namedParams));
    }

    private Optimizer(Map<String, Double> defaults, ParamGroup first) {
        this.defaults = defaults;
        checkOptions(defaults);
        addParamGroup(first);
    }

    private static Map<String, Double> checkedDefaults(Map<String, Double> defaults) {
        if (defaults == null || !defaults.containsKey(LR)) {
            throw new IllegalArgumentException("an optimizer's defaults must include \"lr\", got " + defaults);
        }
        checkLr(defaults.get(LR));
        return Collections.unmodifiableMap(new LinkedHashMap<>(defaults));
    }

    static void checkLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("Invalid learning rate: " + lr);
        }
    }

    // =====================================================================================================
    // Parameter groups and learning rate

    /**
     * Adds a group of parameters, like {@code add_param_group}: settings the group does not set are taken
     * from the defaults (the constructor's settings). Positional parameters are named by their position
     * over all groups. Throws, adding nothing, for an unknown setting, an invalid value, a parameter that
     * is already in a group, a non-leaf or non-floating tensor, or a name already used.
     */
    public final void addParamGroup(ParamGroup group) {
        if (group == null) {
            throw new IllegalArgumentException("addParamGroup needs a ParamGroup, got null");
        }
        if (group.owner() != null) {
            throw new IllegalArgumentException("the param group already belongs to an optimizer");
        }
        Set<String> unknown = new TreeSet<>(group.rawOptions().keySet());
        unknown.removeAll(defaults.keySet());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("param group has unknown setting(s) " + quoted(unknown) + "; "
                    + getClass().getSimpleName() + " has " + quoted(defaults.keySet()));
        }
        Map<String, Double> filled = new LinkedHashMap<>(defaults);
        filled.putAll(group.rawOptions());
        checkLr(filled.get(LR));
        if (group.initialLr() != null) {
            checkLr(group.initialLr());
        }
        checkOptions(filled);
        List<String> groupNames = new ArrayList<>();
        Set<Tensor> inGroup = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<String> namesInGroup = new LinkedHashSet<>();
        for (int j = 0; j < group.params().size(); j++) {
            String name = group.givenNames() == null ? Integer.toString(params.size() + j) : group.givenNames().get(j);
            checkParam(name, group.params().get(j), inGroup);
            if (indexOf.containsKey(name) || !namesInGroup.add(name)) {
                throw new IllegalArgumentException("optimizer parameter name '" + name + "' is used twice");
            }
            groupNames.add(name);
        }
        group.attach(this, groupNames, filled);
        groups.add(group);
        for (int j = 0; j < groupNames.size(); j++) {
            Tensor p = group.params().get(j);
            seen.add(p);
            indexOf.put(groupNames.get(j), params.size());
            params.add(p);
            names.add(groupNames.get(j));
            groupOf.add(group);
            state.add(new LinkedHashMap<>());
        }
    }

    private void checkParam(String name, Tensor p, Set<Tensor> inGroup) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("optimizer parameter names can't be empty, got '" + name + "'");
        }
        if (p == null) {
            throw new IllegalArgumentException("optimizer can only optimize Tensors, but parameter '" + name + "' is null");
        }
        if (!p.isLeaf()) {
            throw new IllegalArgumentException("can't optimize a non-leaf Tensor (parameter '" + name + "' has grad_fn="
                    + p.gradFn().name() + ")");
        }
        if (!p.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("optimizer can only optimize floating point Tensors, but parameter '"
                    + name + "' is " + p.dtype().pyName());
        }
        if (!inGroup.add(p)) {
            throw new IllegalArgumentException("optimizer contains duplicate parameters: parameter '" + name
                    + "' is the same tensor as an earlier one");
        }
        if (seen.contains(p)) {
            throw new IllegalArgumentException("some parameters appear in more than one parameter group: parameter '"
                    + name + "' is already in an earlier group");
        }
    }

    /** Checks and applies {@link ParamGroup#set} on a group of this optimizer. */
    void changeOption(ParamGroup group, String key, double value) {
        if (key.equals(INITIAL_LR)) {
            checkLr(value);
            group.setInitialLr(value);
            return;
        }
        if (!defaults.containsKey(key)) {
            throw new IllegalArgumentException("param group has no setting \"" + key + "\"; "
                    + getClass().getSimpleName() + " has " + quoted(defaults.keySet()));
        }
        Map<String, Double> changed = new LinkedHashMap<>(group.rawOptions());
        changed.put(key, value);
        checkLr(changed.get(LR));
        checkOptions(changed);
        if (!stateKeys(changed).equals(stateKeys(group.rawOptions()))) {
            for (int i = 0; i < params.size(); i++) {
                if (groupOf.get(i) == group && !state.get(i).isEmpty()) {
                    throw new IllegalStateException("can't set \"" + key + "\" to " + value + ": it changes the state "
                            + getClass().getSimpleName() + " keeps, and parameter '" + names.get(i) + "' has state");
                }
            }
        }
        group.rawOptions().put(key, value);
    }

    /** The parameter groups, in order (unmodifiable; each group's settings can be changed). */
    public List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /** The settings later groups start from: the constructor's (unmodifiable), like PyTorch's {@code defaults}. */
    public Map<String, Double> defaults() {
        return defaults;
    }

    /** The optimized parameters of all groups, in order (unmodifiable). */
    public List<Tensor> parameters() {
        return Collections.unmodifiableList(params);
    }

    /** The names the state is keyed by, in parameter order (unmodifiable). */
    public List<String> parameterNames() {
        return Collections.unmodifiableList(names);
    }

    /** The learning rate the next {@link #step()} uses; with several groups use {@link ParamGroup#getLr()}. */
    public double getLr() {
        return onlyGroup("getLr").getLr();
    }

    /** Sets the learning rate; with several groups use {@link ParamGroup#setLr(double)}. */
    public void setLr(double lr) {
        onlyGroup("setLr").setLr(lr);
    }

    /** The first group's setting (the typed getters of the subclasses read it). */
    protected double firstGroup(String key) {
        return groups.get(0).get(key);
    }

    private ParamGroup onlyGroup(String what) {
        if (groups.size() != 1) {
            throw new IllegalStateException(what + "() needs an optimizer with one parameter group, this one has "
                    + groups.size() + ": use paramGroups().get(i)." + what + "(...)");
        }
        return groups.get(0);
    }

    // =====================================================================================================
    // Gradients and steps

    /** Clears every parameter's gradient (sets it to null, PyTorch's default {@code set_to_none=True}). */
    public void zeroGrad() {
        zeroGrad(true);
    }

    /**
     * Clears every parameter's gradient: to null when {@code setToNone}, else by writing zeros into the
     * existing gradient's storage, like {@code zero_grad(set_to_none=False)}. A gradient that has history
     * (from {@code create_graph}) is replaced by a detached tensor sharing that storage, as PyTorch's
     * {@code detach_()} leaves it.
     */
    public void zeroGrad(boolean setToNone) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g == null) {
                    continue;
                }
                if (setToNone) {
                    p.setGrad(null);
                } else if (g.gradFn() != null) {
                    // A grad with history (create_graph) is cut from its graph: zeros in its storage, no history.
                    p.setGrad(g.detach().zero_());
                } else {
                    g.requiresGrad_(false);
                    g.zero_();
                }
            }
        }
    }

    /**
     * Updates every parameter that has a gradient, in place and without recording autograd, with its
     * group's settings; parameters whose gradient is null are skipped (their state is untouched).
     */
    public void step() {
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                Tensor g = p.grad();
                if (g != null) {
                    update(p, g, state.get(i), groupOf.get(i));
                }
            }
        }
    }

    /**
     * One parameter's step, run under no-grad: reads and updates {@code state} (this parameter's buffers by
     * name, empty before its first step), reads the settings of {@code group} and writes the new value
     * into {@code param}'s storage.
     */
    protected abstract void update(Tensor param, Tensor grad, Map<String, Tensor> state, ParamGroup group);

    // =====================================================================================================
    // Settings and state

    /**
     * Checks a group's settings (every key of the defaults, lr already checked), throwing
     * {@link IllegalArgumentException} with PyTorch's message for an invalid value. Must not depend on
     * the optimizer's fields: the constructor calls it before the subclass has set any.
     */
    protected abstract void checkOptions(Map<String, Double> options);

    /**
     * The buffers each parameter's state holds once it has taken a step, under the given group settings,
     * in the order {@link #update} creates them. {@link #loadStateDict} requires a parameter's state to
     * have all of them or none. May throw {@link IllegalArgumentException} for an invalid setting.
     */
    protected abstract Set<String> stateKeys(Map<String, Double> options);

    /**
     * The optimizer's state, like {@code optimizer.state_dict()}: parameter names, each group's settings
     * and per-parameter buffers. The buffers are detached views of the live state (as in PyTorch, they
     * change with later steps); clone them, or write the state out, to keep a snapshot.
     */
    public OptimizerState stateDict() {
        List<OptimizerState.Group> out = new ArrayList<>();
        for (ParamGroup g : groups) {
            out.add(new OptimizerState.Group(g.names(), g.options()));
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            for (Map.Entry<String, Tensor> e : state.get(i).entrySet()) {
                tensors.put(OptimizerState.key(names.get(i), e.getKey()), e.getValue().detach());
            }
        }
        return OptimizerState.of(out, tensors);
    }

    /**
     * Replaces every group's settings and the per-parameter state with loaded ones, like
     * {@code load_state_dict}. The state must have as many groups, naming the same parameters in the same
     * groups; every buffer must belong to a known parameter, be one this optimizer keeps with that
     * parameter's group settings, and have the parameter's shape ({@code step}: one element); a
     * parameter's buffers must be complete. Buffers are copied (converted to the parameter's type;
     * {@code step} to float32), so the loaded state does not alias the given tensors. Everything is checked
     * before anything changes: on error the optimizer is unchanged and the message lists every problem.
     */
    public void loadStateDict(OptimizerState loaded) {
        if (loaded == null) {
            throw loadError(List.of("the state is null"));
        }
        List<String> problems = new ArrayList<>();
        List<OptimizerState.Group> loadedGroups = loaded.paramGroups();
        if (loadedGroups.size() != groups.size()) {
            throw loadError(List.of("loaded state dict has a different number of parameter groups: "
                    + loadedGroups.size() + ", the optimizer has " + groups.size() + "."));
        }
        checkParams(loaded.params(), problems);
        for (int g = 0; problems.isEmpty() && g < groups.size(); g++) {
            int size = loadedGroups.get(g).params().size();
            if (size != groups.get(g).params().size()) {
                problems.add("loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                        + "group: group " + g + " has " + size + " parameters, the optimizer's has "
                        + groups.get(g).params().size() + ".");
            }
        }
        for (int g = 0; g < groups.size(); g++) {
            checkHyperKeys(loadedGroups.get(g).hyper(), groups.size() == 1 ? "" : "param group " + g + ": ", problems);
        }
        if (!problems.isEmpty()) {
            throw loadError(problems);
        }
        List<Set<String>> keysOf = new ArrayList<>();
        List<Map<String, Double>> newOptions = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            Map<String, Double> hyper = loadedGroups.get(g).hyper();
            String where = groups.size() == 1 ? "" : "param group " + g + ": ";
            Double loadedInitial = hyper.get(INITIAL_LR);
            if (loadedInitial != null) {
                try {
                    checkLr(loadedInitial);
                } catch (IllegalArgumentException ex) {
                    problems.add(where + INITIAL_LR + ": " + ex.getMessage());
                }
            }
            try {
                checkLr(hyper.get(LR));
            } catch (IllegalArgumentException ex) {
                problems.add(where + ex.getMessage());
            }
            Map<String, Double> options = new LinkedHashMap<>(defaults);
            for (String k : defaults.keySet()) {
                options.put(k, hyper.get(k));
            }
            newOptions.add(options);
            Set<String> keys = stateKeys(options);
            for (int j = 0; j < groups.get(g).params().size(); j++) {
                keysOf.add(keys);
            }
        }
        List<Map<String, Tensor>> newState = parseTensors(loaded.tensors(), keysOf, problems);
        if (!problems.isEmpty()) {
            throw loadError(problems);
        }
        // Every group's values are validated before any is assigned.
        for (Map<String, Double> options : newOptions) {
            checkOptions(options);
        }
        for (int g = 0; g < groups.size(); g++) {
            groups.get(g).rawOptions().putAll(newOptions.get(g));
            groups.get(g).setInitialLr(loadedGroups.get(g).hyper().get(INITIAL_LR));
        }
        for (int i = 0; i < state.size(); i++) {
            state.get(i).clear();
            state.get(i).putAll(newState.get(i));
        }
    }

    private void checkHyperKeys(Map<String, Double> hyper, String where, List<String> problems) {
        Set<String> missing = new TreeSet<>(defaults.keySet());
        missing.removeAll(hyper.keySet());
        Set<String> unexpected = new TreeSet<>(hyper.keySet());
        unexpected.removeAll(defaults.keySet());
        unexpected.remove(INITIAL_LR);
        if (!missing.isEmpty()) {
            problems.add(where + "Missing hyper-parameter(s): " + quoted(missing) + ".");
        }
        if (!unexpected.isEmpty()) {
            problems.add(where + "Unexpected hyper-parameter(s): " + quoted(unexpected) + ".");
        }
        for (Map.Entry<String, Double> e : hyper.entrySet()) {
            if (e.getValue() == null) {
                problems.add(where + "hyper-parameter \"" + e.getKey() + "\" is null.");
            }
        }
    }

    private void checkParams(List<String> loadedParams, List<String> problems) {
        if (loadedParams.equals(names)) {
            return;
        }
        Set<String> missing = new TreeSet<>(names);
        missing.removeAll(loadedParams);
        Set<String> unexpected = new TreeSet<>(loadedParams);
        unexpected.removeAll(names);
        if (!missing.isEmpty()) {
            problems.add("Missing parameter(s): " + quoted(missing) + ".");
        }
        if (!unexpected.isEmpty()) {
            problems.add("Unexpected parameter(s): " + quoted(unexpected) + ".");
        }
        if (missing.isEmpty() && unexpected.isEmpty()) {
            problems.add("loaded parameters " + loadedParams + " are not in the optimizer's order " + names + ".");
        }
    }

    /** Checks and copies the loaded buffers, by parameter index; adds every problem found. */
    private List<Map<String, Tensor>> parseTensors(Map<String, Tensor> tensors, List<Set<String>> keysOf,
            List<String> problems) {
        List<Map<String, Tensor>> out = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            out.add(new LinkedHashMap<>());
        }
        List<Map<String, Tensor>> found = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            found.add(new LinkedHashMap<>());
        }
        Set<Integer> rejected = new java.util.HashSet<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String key = e.getKey();
            int dot = key.lastIndexOf('.');
            if (!key.startsWith("state.") || dot <= "state.".length()) {
                problems.add("Unexpected key \"" + key + "\": expected state.<param>.<buffer>.");
                continue;
            }
            String name = key.substring("state.".length(), dot);
            String buffer = key.substring(dot + 1);
            Integer index = indexOf.get(name);
            if (index == null) {
                problems.add("Unexpected key \"" + key + "\": the optimizer has no parameter \"" + name + "\".");
                continue;
            }
            Set<String> keys = keysOf.get(index);
            if (!keys.contains(buffer)) {
                problems.add("Unexpected key \"" + key + "\": " + getClass().getSimpleName() + " keeps "
                        + (keys.isEmpty() ? "no state with these settings" : "only " + quoted(new TreeSet<>(keys))) + ".");
                continue;
            }
            Tensor src = e.getValue();
            Tensor p = params.get(index);
            if (src == null) {
                rejected.add(index);
                problems.add("state \"" + key + "\" is null.");
            } else if (buffer.equals("step")) {
                if (src.numel() != 1) {
                    rejected.add(index);
                    problems.add("size mismatch for " + key + ": expected a step count with one element, got shape "
                            + Arrays.toString(src.shape()) + ".");
                } else {
                    found.get(index).put(buffer, src);
                }
            } else if (!Arrays.equals(src.shape(), p.shape())) {
                rejected.add(index);
                problems.add("size mismatch for " + key + ": copying a tensor with shape " + Arrays.toString(src.shape())
                        + " from the loaded state, the parameter \"" + name + "\" has shape " + Arrays.toString(p.shape())
                        + ".");
            } else if (!src.dtype().isFloatingPoint()) {
                rejected.add(index);
                problems.add("dtype mismatch for " + key + ": expected a floating point tensor, got "
                        + src.dtype().pyName() + ".");
            } else {
                found.get(index).put(buffer, src);
            }
        }
        for (int i = 0; i < params.size(); i++) {
            Map<String, Tensor> f = found.get(i);
            if (f.isEmpty() || rejected.contains(i)) {
                continue;
            }
            Set<String> keys = keysOf.get(i);
            Set<String> absent = new TreeSet<>(keys);
            absent.removeAll(f.keySet());
            if (!absent.isEmpty()) {
                problems.add("incomplete state for parameter \"" + names.get(i) + "\": missing " + quoted(absent) + ".");
                continue;
            }
            if (!problems.isEmpty()) {
                continue;
            }
            for (String k : keys) {
                out.get(i).put(k, copyOf(f.get(k), params.get(i), k));
            }
        }
        return out;
    }

    private static Tensor copyOf(Tensor src, Tensor param, String buffer) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            if (buffer.equals("step")) {
                return Tensor.scalar(src.item(), DType.FLOAT32);
            }
            return Tensor.zerosLike(param).copy_(src.to(param.device()));
        }
    }

    private IllegalArgumentException loadError(List<String> problems) {
        return new IllegalArgumentException("Error(s) in loading state_dict for " + getClass().getSimpleName() + ":\n\t"
                + String.join("\n\t", problems));
    }

    /** A boolean setting stored as 0 or 1 in a state dict; other values are an error. */
    protected static boolean flag(String name, double value) {
        if (value != 0 && value != 1) {
            throw new IllegalArgumentException("hyper-parameter \"" + name + "\" must be 0 or 1, got " + value);
        }
        return value == 1;
    }

    static String quoted(Collection<String> keys) {
        List<String> q = new ArrayList<>();
        for (String k : keys) {
            q.add("\"" + k + "\"");
        }
        return String.join(", ", q);
    }
}
