package org.sparkgrad.engine.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Function;
import org.sparkgrad.engine.FunctionCtx;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.Tensor.HookHandle;

/**
 * The base of every layer and model, like {@code torch.nn.Module}: it owns parameters, buffers and child
 * modules by name (in registration order), and computes {@link #forward}.
 *
 * <pre>{@code
 * Sequential net = new Sequential(new Linear(2, 1));
 * Tensor y = net.call(x);                        // like net(x): forward with hooks
 * net.zeroGrad();
 * Map<String, Tensor> state = net.stateDict();   // {"0.weight": ..., "0.bias": ...}
 * }</pre>
 *
 * Hooks run when the module is applied with {@link #call} (PyTorch's {@code module(x)}), not when
 * {@link #forward} is called directly, as in PyTorch; containers apply their children with {@code call}.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;
    private final List<ForwardPreHook> forwardPreHooks = new ArrayList<>();
    private final List<ForwardHook> forwardHooks = new ArrayList<>();
    private final List<BackwardHook> backwardHooks = new ArrayList<>();

    /** Computes the module's output; {@link #call} runs it with the module's hooks. */
    public abstract Tensor forward(Tensor input);

    /** Runs before {@link #forward}; like {@code register_forward_pre_hook}. */
    @FunctionalInterface
    public interface ForwardPreHook {
        /** Returns a replacement input, or null to keep {@code input}. */
        Tensor apply(Module module, Tensor input);
    }

    /** Runs after {@link #forward}; like {@code register_forward_hook}. */
    @FunctionalInterface
    public interface ForwardHook {
        /** Returns a replacement output, or null to keep {@code output}. */
        Tensor apply(Module module, Tensor input, Tensor output);
    }

    /** Runs when the gradient with respect to the module's input is computed; like {@code register_full_backward_hook}. */
    @FunctionalInterface
    public interface BackwardHook {
        /**
         * Gets the gradients with respect to the module's input ({@code gradInput}, null when the input does
         * not require grad) and output; returns a replacement for gradInput, or null to keep it. The
         * arguments must not be modified in place.
         */
        Tensor apply(Module module, Tensor gradInput, Tensor gradOutput);
    }

    /**
     * Applies the module like PyTorch's {@code module(input)}: forward pre-hooks (each may replace the
     * input), {@link #forward}, forward hooks (each may replace the output), and, when backward hooks are
     * registered and grad mode is on, sets up the gradient hooks around input and output.
     */
    public final Tensor call(Tensor input) {
        Tensor x = input;
        for (ForwardPreHook h : List.copyOf(forwardPreHooks)) {
            Tensor r = h.apply(this, x);
            if (r != null) {
                x = r;
            }
        }
        List<BackwardHook> bw = GradMode.isEnabled() ? List.copyOf(backwardHooks) : List.of();
        BackwardHookState state = bw.isEmpty() ? null : new BackwardHookState(this, bw, x != null && x.requiresGrad());
        if (state != null && state.inputNeedsGrad) {
            x = new GradTap(state::onGradInput).apply(x)[0];
        }
        Tensor out = forward(x);
        for (ForwardHook h : List.copyOf(forwardHooks)) {
            Tensor r = h.apply(this, x, out);
            if (r != null) {
                out = r;
            }
        }
        if (state != null && out != null && out.requiresGrad()) {
            out = new GradTap(state::onGradOutput).apply(out)[0];
        }
        return out;
    }

    /** Registers a hook run before each {@link #call}'s forward; returns its handle. */
    public final HookHandle registerForwardPreHook(ForwardPreHook hook) {
        return register(forwardPreHooks, hook);
    }

    /** Registers a hook run after each {@link #call}'s forward; returns its handle. */
    public final HookHandle registerForwardHook(ForwardHook hook) {
        return register(forwardHooks, hook);
    }

    /**
     * Registers a hook run once per backward pass through each {@link #call}, with the gradients with
     * respect to the module's input and output (a "full" backward hook: they are the module's, not its
     * last op's); returns its handle.
     */
    public final HookHandle registerFullBackwardHook(BackwardHook hook) {
        return register(backwardHooks, hook);
    }

    private static <H> HookHandle register(List<H> hooks, H hook) {
        if (hook == null) {
            throw new IllegalArgumentException("a hook can't be null");
        }
        // Each registration gets its own slot, so removing it removes exactly this one even if added twice.
        Object[] slot = {hook};
        hooks.add(hook);
        return () -> {
            if (slot[0] != null) {
                removeIdentical(hooks, slot[0]);
                slot[0] = null;
            }
        };
    }

    private static <H> void removeIdentical(List<H> hooks, Object hook) {
        for (int i = hooks.size() - 1; i >= 0; i--) {
            if (hooks.get(i) == hook) {
                hooks.remove(i);
                return;
            }
        }
    }

    /** What one call's backward hooks see: the output gradient arrives first, then the input gradient. */
    private static final class BackwardHookState {
        private final Module module;
        private final List<BackwardHook> hooks;
        private final boolean inputNeedsGrad;
        private Tensor gradOutput;

        BackwardHookState(Module module, List<BackwardHook> hooks, boolean inputNeedsGrad) {
            this.module = module;
            this.hooks = hooks;
            this.inputNeedsGrad = inputNeedsGrad;
        }

        Tensor onGradOutput(Tensor g) {
            gradOutput = g;
            if (!inputNeedsGrad) {
                // No input gradient will come: PyTorch calls the hooks now with grad_input None.
                fire(null);
            }
            return g;
        }

        Tensor onGradInput(Tensor g) {
            return fire(g);
        }

        private Tensor fire(Tensor gradInput) {
            Tensor gi = gradInput;
            for (BackwardHook h : hooks) {
                Tensor r = h.apply(module, gi, gradOutput);
                if (r != null) {
                    if (gi == null) {
                        throw new IllegalStateException("a backward hook returned a gradient for an input that does not "
                                + "require grad");
                    }
                    if (!Arrays.equals(r.shape(), gi.shape())) {
                        throw new IllegalArgumentException("backward hook returned a gradient of shape "
                                + Arrays.toString(r.shape()) + " for an input of shape "
                                + Arrays.toString(gi.shape()));
                    }
                    gi = r;
                }
            }
            return gi;
        }
    }

    /** An identity op whose backward hands the gradient to a function (which may replace it). */
    private static final class GradTap extends Function {
        private final UnaryOperator<Tensor> onGrad;

        GradTap(UnaryOperator<Tensor> onGrad) {
            this.onGrad = onGrad;
        }

        @Override
        protected Tensor[] forward(FunctionCtx ctx, Tensor... inputs) {
            return new Tensor[] {inputs[0]};
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor... grads) {
            return new Tensor[] {onGrad.apply(grads[0])};
        }

        @Override
        protected String name() {
            return "BackwardHookFunctionBackward";
        }
    }

    /** Registers (or replaces) a parameter under name; returns it. */
    protected final Parameter registerParameter(String name, Parameter p) {
        checkName(name);
        parameters.put(name, p);
        return p;
    }

    /** Registers (or replaces) a non-learnable tensor that is part of the state dict; returns it. */
    protected final Tensor registerBuffer(String name, Tensor t) {
        checkName(name);
        buffers.put(name, t);
        return t;
    }

    /** Registers (or replaces) a child module under name; returns it. */
    protected final <M extends Module> M registerModule(String name, M m) {
        checkName(name);
        children.put(name, m);
        return m;
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("module attribute name can't be empty or contain \".\", got '" + name + "'");
        }
    }

    /** Every parameter of this module and its descendants, in registration order, each once. */
    public List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Parameters by dotted name, e.g. {@code 0.weight}, {@code encoder.fc.bias}. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        collectParameters("", out, seen);
        return out;
    }

    private void collectParameters(String prefix, Map<String, Parameter> out, Set<Tensor> seen) {
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            if (e.getValue() != null && seen.add(e.getValue())) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, Module> c : children.entrySet()) {
            c.getValue().collectParameters(prefix + c.getKey() + ".", out, seen);
        }
    }

    /** Buffers by dotted name. */
    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectBuffers("", out);
        return out;
    }

    private void collectBuffers(String prefix, Map<String, Tensor> out) {
        buffers.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collectBuffers(prefix + k + ".", out));
    }

    /** The direct children, in registration order. */
    public List<Module> children() {
        return new ArrayList<>(children.values());
    }

    /** The direct children by name. */
    public Map<String, Module> namedChildren() {
        return Collections.unmodifiableMap(children);
    }

    /** Clears the gradient of every parameter (sets it to null, as PyTorch's default set_to_none=True). */
    public void zeroGrad() {
        for (Parameter p : parameters()) {
            p.setGrad(null);
        }
    }

    /**
     * Moves every parameter, gradient and buffer of this module and its descendants to a device, in place,
     * like {@code model.to(device)}: the parameter objects stay the same (only their data moves), so an
     * optimizer made before the move still updates them. Returns this module.
     */
    public Module to(Device device) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (Parameter p : parameters()) {
                if (p.device().equals(device)) {
                    continue;
                }
                Tensor grad = p.grad();
                p.setData(p.detach().to(device));
                if (grad != null) {
                    p.setGrad(grad.to(device));
                }
            }
            moveBuffers(device);
        }
        return this;
    }

    /** Leaf buffers move in place; a buffer with history (written by recorded ops) is replaced by a moved copy. */
    private void moveBuffers(Device device) {
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
            Tensor b = e.getValue();
            if (b == null || b.device().equals(device)) {
                continue;
            }
            if (b.isLeaf()) {
                b.setData(b.detach().to(device));
            } else {
                e.setValue(b.detach().to(device));
            }
        }
        for (Module c : children.values()) {
            c.moveBuffers(device);
        }
    }

    /** Switches this module and its descendants to training mode. */
    public Module train() {
        return train(true);
    }

    /** Switches training mode on or off for this module and its descendants. */
    public Module train(boolean mode) {
        training = mode;
        for (Module m : children.values()) {
            m.train(mode);
        }
        return this;
    }

    /** Switches to evaluation mode. */
    public Module eval() {
        return train(false);
    }

    /** Whether the module is in training mode. */
    public boolean isTraining() {
        return training;
    }

    /**
     * Parameters and buffers by dotted name, detached from the graph (sharing storage, like PyTorch), in
     * PyTorch's order: each module's parameters, then its buffers, then its children's, depth first.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<String> params = namedParameters().keySet();
        collectState("", params, out);
        return out;
    }

    private void collectState(String prefix, Set<String> params, Map<String, Tensor> out) {
        parameters.forEach((k, v) -> {
            if (params.contains(prefix + k)) {
                out.put(prefix + k, v.detach());
            }
        });
        buffers.forEach((k, v) -> out.put(prefix + k, v.detach()));
        children.forEach((k, m) -> m.collectState(prefix + k + ".", params, out));
    }

    /**
     * Copies values into this module's parameters and buffers by name. Checks everything before copying
     * anything, so a mismatch leaves the module unchanged; the error lists missing keys, unexpected keys,
     * and every shape or dtype mismatch.
     *
     * @param strict whether missing and unexpected keys are errors (shape and dtype mismatches always are)
     */
    public void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = new LinkedHashMap<>(namedParameters());
        own.putAll(namedBuffers());
        List<String> problems = new ArrayList<>();
        Set<String> missing = new TreeSet<>(own.keySet());
        missing.removeAll(state.keySet());
        Set<String> unexpected = new TreeSet<>(state.keySet());
        unexpected.removeAll(own.keySet());
        if (strict && !missing.isEmpty()) {
            problems.add("Missing key(s) in state_dict: " + quoted(missing) + ".");
        }
        if (strict && !unexpected.isEmpty()) {
            problems.add("Unexpected key(s) in state_dict: " + quoted(unexpected) + ".");
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) {
                continue;
            }
            Tensor dst = e.getValue();
            if (!Arrays.equals(src.shape(), dst.shape())) {
                problems.add("size mismatch for " + e.getKey() + ": copying a param with shape "
                        + Arrays.toString(src.shape()) + " from checkpoint, the shape in current model is "
                        + Arrays.toString(dst.shape()) + ".");
            } else if (src.dtype() != dst.dtype()) {
                problems.add("dtype mismatch for " + e.getKey() + ": checkpoint has " + src.dtype().pyName()
                        + ", the model has " + dst.dtype().pyName() + ".");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for " + getClass().getSimpleName() + ":\n\t"
                    + String.join("\n\t", problems));
        }
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (Map.Entry<String, Tensor> e : own.entrySet()) {
                Tensor src = state.get(e.getKey());
                if (src != null) {
                    e.getValue().copy_(src);
                }
            }
        }
    }

    /** {@link #loadStateDict(Map, boolean)} with strict checking. */
    public void loadStateDict(Map<String, Tensor> state) {
        loadStateDict(state, true);
    }

    private static String quoted(Set<String> keys) {
        List<String> q = new ArrayList<>();
        for (String k : keys) {
            q.add("\"" + k + "\"");
        }
        return String.join(", ", q);
    }

    /** The layer's settings shown in its printout, e.g. {@code in_features=2, out_features=1, bias=True}. */
    protected String extraRepr() {
        return "";
    }

    /** PyTorch's module printout, children indented by two spaces. */
    @Override
    public String toString() {
        String name = getClass().getSimpleName();
        if (children.isEmpty()) {
            return name + "(" + extraRepr() + ")";
        }
        StringBuilder sb = new StringBuilder(name).append("(");
        String extra = extraRepr();
        if (!extra.isEmpty()) {
            sb.append("\n  ").append(extra);
        }
        for (Map.Entry<String, Module> c : children.entrySet()) {
            sb.append("\n  (").append(c.getKey()).append("): ").append(c.getValue().toString().replace("\n", "\n  "));
        }
        return sb.append("\n)").toString();
    }
}
