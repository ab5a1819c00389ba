package org.sparkgrad.engine.optim;

import java.util.ArrayList;
import java.util.Arrays;
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
 * The base of every optimizer, like {@code torch.optim.Optimizer} with one parameter group: it holds the
 * parameters, the learning rate and per-parameter state, and updates the parameters in place from their
 * gradients.
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
 * Updates write into the parameters' own storage (under no-grad), so a module keeps its {@code Parameter}
 * objects. State is kept per parameter under its name: the module's dotted name when the optimizer is built
 * from {@code namedParameters()}, else its position {@code "0", "1", ...}.
 *
 * <p>A subclass implements {@link #update} (one parameter's step) and describes its settings with
 * {@link #hyperParameters()}, {@link #stateKeys(Map)} and {@link #setHyperParameters(Map)}.
 */
public abstract class Optimizer {
    /** The hyper-parameter key of the learning rate. */
    public static final String LR = "lr";
    /** The hyper-parameter key of the learning rate a scheduler started from (PyTorch's {@code initial_lr}). */
    public static final String INITIAL_LR = "initial_lr";

    private final List<Tensor> params;
    private final List<String> names;
    private final Map<String, Integer> indexOf = new LinkedHashMap<>();
    private final List<Map<String, Tensor>> state;
    private double lr;
    private Double initialLr;

    /** An optimizer of a list of parameters, whose state is keyed by position. */
    protected Optimizer(List<? extends Tensor> params, double lr) {
        this(indexed(params), lr);
    }

    /** An optimizer of named parameters (e.g. {@code module.namedParameters()}), whose state is keyed by name. */
    protected Optimizer(Map<String, ? extends Tensor> namedParams, double lr) {
        checkLr(lr);
        if (namedParams == null || namedParams.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        this.params = new ArrayList<>(namedParams.size());
        this.names = new ArrayList<>(namedParams.size());
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map.Entry<String, ? extends Tensor> e : namedParams.entrySet()) {
            Tensor p = e.getValue();
            String name = e.getKey();
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("optimizer parameter names can't be empty, got '" + name + "'");
            }
            if (p == null) {
                throw new IllegalArgumentException("optimizer can only optimize Tensors, but parameter '" + name
                        + "' is null");
            }
            if (!p.isLeaf()) {
                throw new IllegalArgumentException("can't optimize a non-leaf Tensor (parameter '" + name + "' has grad_fn="
                        + p.gradFn().name() + ")");
            }
            if (!p.dtype().isFloatingPoint()) {
                throw new IllegalArgumentException("optimizer can only optimize floating point Tensors, but parameter '"
                        + name + "' is " + p.dtype().pyName());
            }
            if (!seen.add(p)) {
                throw new IllegalArgumentException("optimizer contains duplicate parameters: parameter '" + name
                        + "' is the same tensor as an earlier one");
            }
            indexOf.put(name, params.size());
            params.add(p);
            names.add(name);
        }
        this.state = new ArrayList<>(params.size());
        for (int i = 0; i < params.size(); i++) {
            state.add(new LinkedHashMap<>());
        }
        this.lr = lr;
    }

    private static Map<String, Tensor> indexed(List<? extends Tensor> params) {
        if (params == null) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        Map<String, Tensor> named = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            named.put(Integer.toString(i), params.get(i));
        }
        return named;
    }

    static void checkLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("Invalid learning rate: " + lr);
        }
    }

    // =====================================================================================================
    // Parameters and learning rate

    /** The optimized parameters, in order (unmodifiable). */
    public List<Tensor> parameters() {
        return Collections.unmodifiableList(params);
    }

    /** The names the state is keyed by, in parameter order (unmodifiable). */
    public List<String> parameterNames() {
        return Collections.unmodifiableList(names);
    }

    /** The learning rate the next {@link #step()} uses. */
    public double getLr() {
        return lr;
    }

    /** Sets the learning rate (schedulers call this); it must be finite and non-negative. */
    public void setLr(double lr) {
        checkLr(lr);
        this.lr = lr;
    }

    /** The learning rate the first scheduler attached to this optimizer started from, or null. */
    Double initialLr() {
        return initialLr;
    }

    /** Records the scheduler's starting learning rate once, like {@code group.setdefault('initial_lr', lr)}. */
    double initialLrOrCurrent() {
        if (initialLr == null) {
            initialLr = lr;
        }
        return initialLr;
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
     * Updates every parameter that has a gradient, in place and without recording autograd; parameters
     * whose gradient is null are skipped (their state is untouched).
     */
    public void step() {
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                Tensor g = p.grad();
                if (g != null) {
                    update(p, g, state.get(i));
                }
            }
        }
    }

    /**
     * One parameter's step, run under no-grad: reads and updates {@code state} (this parameter's buffers by
     * name, empty before its first step) and writes the new value into {@code param}'s storage.
     */
    protected abstract void update(Tensor param, Tensor grad, Map<String, Tensor> state);

    // =====================================================================================================
    // Settings and state

    /** The settings other than lr by PyTorch's param_group keys (booleans as 0 or 1), in a stable order. */
    protected abstract Map<String, Double> hyperParameters();

    /**
     * The buffers each parameter's state holds once it has taken a step, under the given settings (which
     * include lr), in the order {@link #update} creates them. {@link #loadStateDict} requires a parameter's
     * state to have all of them or none. May throw {@link IllegalArgumentException} for an invalid setting.
     */
    protected abstract Set<String> stateKeys(Map<String, Double> hyper);

    /**
     * Takes settings loaded from a state dict (the keys of {@link #hyperParameters()}, checked already).
     * Validates every value as the constructor does and throws {@link IllegalArgumentException} before
     * assigning anything when one is invalid.
     */
    protected abstract void setHyperParameters(Map<String, Double> hyper);

    /**
     * The optimizer's state, like {@code optimizer.state_dict()}: parameter names, hyper-parameters and
     * per-parameter buffers. The buffers are detached views of the live state (as in PyTorch, they change
     * with later steps); clone them, or write the state out, to keep a snapshot.
     */
    public OptimizerState stateDict() {
        Map<String, Double> hyper = new LinkedHashMap<>();
        hyper.put(LR, lr);
        if (initialLr != null) {
            hyper.put(INITIAL_LR, initialLr);
        }
        hyper.putAll(hyperParameters());
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            for (Map.Entry<String, Tensor> e : state.get(i).entrySet()) {
                tensors.put(OptimizerState.key(names.get(i), e.getKey()), e.getValue().detach());
            }
        }
        return new OptimizerState(names, hyper, tensors);
    }

    /**
     * Replaces the settings and per-parameter state with loaded ones, like {@code load_state_dict}. The
     * state must name the same parameters; every buffer must belong to a known parameter, be one this
     * optimizer keeps, and have the parameter's shape ({@code step}: one element); a parameter's buffers
     * must be complete. Buffers are copied (converted to the parameter's type; {@code step} to float32),
     * so the loaded state does not alias the given tensors. Everything is checked before anything changes:
     * on error the optimizer is unchanged and the message lists every problem.
     */
    public void loadStateDict(OptimizerState loaded) {
        if (loaded == null) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for " + getClass().getSimpleName()
                    + ":\n\tthe state is null");
        }
        List<String> problems = new ArrayList<>();
        checkParams(loaded.params(), problems);
        Map<String, Double> hyper = loaded.hyper();
        Set<String> expectedHyper = new LinkedHashSet<>();
        expectedHyper.add(LR);
        expectedHyper.addAll(hyperParameters().keySet());
        Set<String> missingHyper = new TreeSet<>(expectedHyper);
        missingHyper.removeAll(hyper.keySet());
        Set<String> unexpectedHyper = new TreeSet<>(hyper.keySet());
        unexpectedHyper.removeAll(expectedHyper);
        unexpectedHyper.remove(INITIAL_LR);
        if (!missingHyper.isEmpty()) {
            problems.add("Missing hyper-parameter(s): " + quoted(missingHyper) + ".");
        }
        if (!unexpectedHyper.isEmpty()) {
            problems.add("Unexpected hyper-parameter(s): " + quoted(unexpectedHyper) + ".");
        }
        for (Map.Entry<String, Double> e : hyper.entrySet()) {
            if (e.getValue() == null) {
                problems.add("hyper-parameter \"" + e.getKey() + "\" is null.");
            }
        }
        if (!problems.isEmpty()) {
            throw loadError(problems);
        }
        Double loadedInitial = hyper.get(INITIAL_LR);
        if (loadedInitial != null) {
            try {
                checkLr(loadedInitial);
            } catch (IllegalArgumentException ex) {
                problems.add(INITIAL_LR + ": " + ex.getMessage());
            }
        }
        try {
            checkLr(hyper.get(LR));
        } catch (IllegalArgumentException ex) {
            problems.add(ex.getMessage());
        }
        Set<String> keys = stateKeys(hyper);
        List<Map<String, Tensor>> newState = parseTensors(loaded.tensors(), keys, problems);
        if (!problems.isEmpty()) {
            throw loadError(problems);
        }
        // Validates the values and assigns them, or throws with nothing assigned.
        setHyperParameters(hyperOnly(hyper));
        lr = hyper.get(LR);
        initialLr = loadedInitial;
        for (int i = 0; i < state.size(); i++) {
            state.get(i).clear();
            state.get(i).putAll(newState.get(i));
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

    private Map<String, Double> hyperOnly(Map<String, Double> hyper) {
        Map<String, Double> out = new LinkedHashMap<>(hyper);
        out.remove(LR);
        out.remove(INITIAL_LR);
        return out;
    }

    /** Checks and copies the loaded buffers, by parameter index; adds every problem found. */
    private List<Map<String, Tensor>> parseTensors(Map<String, Tensor> tensors, Set<String> keys, List<String> problems) {
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

    static String quoted(Set<String> keys) {
        List<String> q = new ArrayList<>();
        for (String k : keys) {
            q.add("\"" + k + "\"");
        }
        return String.join(", ", q);
    }
}
