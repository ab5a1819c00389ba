package org.sparkgrad.engine.opinfo;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/**
 * The decoded arguments of one OpInfo call, {@code op(input, *args, **kwargs)}, for a mapping to read. It
 * remembers which arguments were read: one the mapping left unread is an argument we do not support, and
 * so is any value the mapping cannot express ({@link Unsupported}).
 */
final class OpInfoCall {
    /** Thrown by a mapping for an op, argument or value our API does not have: counted, not failed. */
    static final class Unsupported extends RuntimeException {
        Unsupported(String what) {
            super(what, null, false, false);
        }
    }

    private final Object input;
    private final List<Object> args;
    private final Map<String, Object> kwargs;
    private final BitSet readArgs = new BitSet();
    private final Set<String> readKwargs = new HashSet<>();

    OpInfoCall(Object input, List<Object> args, Map<String, Object> kwargs) {
        this.input = input;
        this.args = args;
        this.kwargs = kwargs;
    }

    /** The input as a tensor of a type we have. */
    Tensor input() {
        return tensor("input", input);
    }

    /** The input as decoded: a tensor, a Python number (pow(2, t)), a list. */
    Object rawInput() {
        return input;
    }

    /** The input as a list of tensors (cat, stack). */
    List<Tensor> inputList() {
        if (!(input instanceof List<?> list)) {
            throw new Unsupported("input of type " + describe(input));
        }
        List<Tensor> out = new ArrayList<>();
        for (Object o : list) {
            out.add(tensor("input list element", o));
        }
        return out;
    }

    int argCount() {
        return args.size();
    }

    /** Positional argument i, or null (Python None) when there is none. */
    Object arg(int i) {
        readArgs.set(i);
        return i < args.size() ? args.get(i) : null;
    }

    boolean hasArg(int i) {
        return i < args.size();
    }

    /** Keyword argument name, or null when absent. */
    Object kw(String name) {
        readKwargs.add(name);
        return kwargs.get(name);
    }

    boolean hasKw(String name) {
        return kwargs.containsKey(name);
    }

    /** Positional argument i, else keyword name (Python's way of passing one parameter), else null. */
    Object param(int i, String name) {
        return hasArg(i) ? arg(i) : kw(name);
    }

    Tensor tensorArg(int i) {
        return tensor("argument " + i, arg(i));
    }

    /** The unread arguments: what the mapping did not express. */
    List<String> unread() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            if (!readArgs.get(i)) {
                out.add("argument " + i + " (" + describe(args.get(i)) + ")");
            }
        }
        for (String k : kwargs.keySet()) {
            if (!readKwargs.contains(k)) {
                out.add(k + "=");
            }
        }
        return out;
    }

    /** Every tensor that requires grad, in the generator's order: input, args, kwargs. */
    List<Tensor> differentiable() {
        List<Tensor> out = new ArrayList<>();
        collect(input, out);
        for (Object a : args) {
            collect(a, out);
        }
        for (Object v : kwargs.values()) {
            collect(v, out);
        }
        return out;
    }

    private static void collect(Object v, List<Tensor> out) {
        if (v instanceof Tensor t && t.requiresGrad()) {
            out.add(t);
        } else if (v instanceof List<?> l) {
            for (Object o : l) {
                collect(o, out);
            }
        }
    }

    static Tensor tensor(String what, Object v) {
        if (v instanceof Tensor t) {
            return t;
        }
        throw new Unsupported(what + " of type " + describe(v));
    }

    /** A short description of a value's kind, for the unsupported list. */
    static String describe(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof OpInfoCorpus.ForeignTensor t) {
            return t.dtype() + " tensor";
        }
        if (v instanceof OpInfoCorpus.ForeignDType t) {
            return "dtype " + t.name();
        }
        if (v instanceof OpInfoCorpus.ForeignValue f) {
            return f.type();
        }
        if (v instanceof Tensor t) {
            return t.dtype().pyName() + " tensor";
        }
        if (v instanceof DType t) {
            return "dtype " + t.pyName();
        }
        if (v instanceof List<?>) {
            return "list";
        }
        return v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }
}
