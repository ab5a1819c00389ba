package org.sparkgrad.engine.opinfo;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.F;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.opinfo.OpInfoCall.Unsupported;

/**
 * How each recorded OpInfo is called through our API: {@code op(input, *args, **kwargs)} in torch's
 * argument order. A mapping returns the op's outputs (a tensor, or an array for ops returning a tuple) and
 * throws {@link Unsupported} for an argument or value we do not have; arguments it leaves unread count as
 * unsupported too.
 */
final class OpInfoOps {
    /** One OpInfo's call. */
    interface Mapping {
        Object call(OpInfoCall c);
    }

    private static final Map<String, Mapping> OPS = new TreeMap<>();

    private OpInfoOps() {
    }

    static Mapping get(String key) {
        return OPS.get(key);
    }

    private static void op(String key, Mapping m) {
        OPS.put(key, m);
    }

    static {
        // Elementwise arithmetic. A Python int is a Java long, a Python float a Java double.
        op("add", c -> withAlpha(c, Tensor::add, Tensor::add, Tensor::add, Tensor::add, Tensor::add));
        op("sub", c -> withAlpha(c, Tensor::sub, Tensor::sub, Tensor::sub, Tensor::sub, Tensor::sub));
        op("rsub", c -> withAlpha(c, Tensor::rsub, Tensor::rsub, Tensor::rsub, Tensor::rsub, Tensor::rsub));
        // A Python number as the input (mul(2.5, t), div(2.5, t)): the number times / over the tensor.
        op("mul", c -> c.rawInput() instanceof Number v ? scalarFirst(c, v, Tensor::mul, Tensor::mul)
                : binary(c, Tensor::mul, Tensor::mul, Tensor::mul));
        op("div.no_rounding_mode", c -> roundingDiv(c));
        op("true_divide", c -> roundingDiv(c));
        op("div.trunc_rounding", c -> roundingDiv(c));
        op("div.floor_rounding", c -> roundingDiv(c));
        op("pow", c -> {
            Object base = c.rawInput();
            if (base instanceof Long b) {
                return Tensor.pow(b, c.tensorArg(0));
            }
            if (base instanceof Double b) {
                return Tensor.pow(b, c.tensorArg(0));
            }
            return binary(c, Tensor::pow, Tensor::pow, Tensor::pow);
        });
        op("neg", c -> c.input().neg());

        // Elementwise functions.
        op("exp", c -> c.input().exp());
        op("log", c -> c.input().log());
        op("sqrt", c -> c.input().sqrt());
        op("abs", c -> c.input().abs());
        op("sin", c -> c.input().sin());
        op("cos", c -> c.input().cos());
        op("tanh", c -> c.input().tanh());
        op("sigmoid", c -> c.input().sigmoid());
        op("nn.functional.relu", c -> {
            if (Boolean.TRUE.equals(c.param(0, "inplace"))) {
                throw new Unsupported("inplace=True");
            }
            return F.relu(c.input());
        });
        op("clamp", c -> {
            Tensor x = c.input();
            Object min = c.param(0, "min");
            Object max = c.param(1, "max");
            if (min instanceof Tensor || max instanceof Tensor) {
                return x.clamp(optTensor(min), optTensor(max));
            }
            return x.clamp(min == null ? null : number(min), max == null ? null : number(max));
        });
        op("clamp_min", c -> binary(c, Tensor::clampMin, Tensor::clampMin, Tensor::clampMin));
        op("clamp_max", c -> binary(c, Tensor::clampMax, Tensor::clampMax, Tensor::clampMax));
        op("maximum", c -> c.input().maximum(c.tensorArg(0)));
        op("minimum", c -> c.input().minimum(c.tensorArg(0)));
        // torch.max(t, 2) is the reduction over dim 2 (Python dispatches an int to max(dim)).
        op("max.binary", c -> c.arg(0) instanceof Long d ? valuesIndices(c.input().max(intArg(d)))
                : c.input().max(c.tensorArg(0)));
        op("min.binary", c -> c.arg(0) instanceof Long d ? valuesIndices(c.input().min(intArg(d)))
                : c.input().min(c.tensorArg(0)));

        // Comparisons and selection.
        op("eq", c -> binary(c, Tensor::eq, Tensor::eq, Tensor::eq));
        op("ne", c -> binary(c, Tensor::ne, Tensor::ne, Tensor::ne));
        op("lt", c -> binary(c, Tensor::lt, Tensor::lt, Tensor::lt));
        op("le", c -> binary(c, Tensor::le, Tensor::le, Tensor::le));
        op("gt", c -> binary(c, Tensor::gt, Tensor::gt, Tensor::gt));
        op("ge", c -> binary(c, Tensor::ge, Tensor::ge, Tensor::ge));
        // where's OpInfo is lambda self, condition, other: torch.where(condition, self, other).
        op("where", c -> {
            Object self = c.rawInput();
            Tensor cond = c.tensorArg(0);
            Object other = c.arg(1);
            if (self instanceof Long v) {
                return Tensor.where(cond, v, tensor(other));
            }
            if (self instanceof Double v) {
                return Tensor.where(cond, v, tensor(other));
            }
            Tensor a = tensor(self);
            if (other instanceof Long v) {
                return Tensor.where(cond, a, v);
            }
            if (other instanceof Double v) {
                return Tensor.where(cond, a, v);
            }
            return Tensor.where(cond, a, tensor(other));
        });
        op("masked_fill", c -> {
            Tensor x = c.input();
            Tensor mask = c.tensorArg(0);
            Object value = c.arg(1);
            if (value instanceof Number v) {
                return x.maskedFill(mask, v.doubleValue());
            }
            return x.maskedFill(mask, tensor(value));
        });

        // Matrix products.
        op("matmul", c -> c.input().matmul(c.tensorArg(0)));
        op("mm", c -> c.input().mm(c.tensorArg(0)));
        op("mv", c -> c.input().mv(c.tensorArg(0)));
        op("dot", c -> c.input().dot(c.tensorArg(0)));
        op("bmm", c -> c.input().bmm(c.tensorArg(0)));

        // Views and shape.
        op("t", c -> c.input().t());
        op("transpose", c -> c.input().transpose(intArg(c.arg(0)), intArg(c.arg(1))));
        op("permute", c -> c.input().permute(ints(c.arg(0))));
        op("view", c -> c.input().view(ints(c.arg(0))));
        op("view_as", c -> c.input().view(c.tensorArg(0).shape()));
        op("reshape", c -> c.input().reshape(ints(c.arg(0))));
        op("reshape_as", c -> c.input().reshape(c.tensorArg(0).shape()));
        op("flatten", c -> c.input().flatten(intOr(c.param(0, "start_dim"), 0), intOr(c.param(1, "end_dim"), -1)));
        op("squeeze", c -> c.hasArg(0) ? c.input().squeeze(intArg(c.arg(0))) : c.input().squeeze());
        op("unsqueeze", c -> c.input().unsqueeze(intArg(c.arg(0))));
        op("expand", c -> c.input().expand(ints(c.arg(0))));
        op("expand_as", c -> c.input().expandAs(c.tensorArg(0)));
        op("select", c -> c.input().select(intArg(c.arg(0)), intArg(c.arg(1))));
        // aten.slice.Tensor(self, dim=0, start=None, end=None, step=1)
        op("slice", c -> {
            Tensor x = c.input();
            int dim = intOr(c.param(0, "dim"), 0);
            Object start = c.param(1, "start");
            Object end = c.param(2, "end");
            int step = intOr(c.param(3, "step"), 1);
            return x.slice(dim, start == null ? 0 : intArg(start), end == null ? Integer.MAX_VALUE : intArg(end), step);
        });
        op("narrow", c -> {
            Tensor x = c.input();
            int dim = intArg(c.arg(0));
            Object start = c.arg(1);
            int length = intArg(c.arg(2));
            return start instanceof Tensor t ? x.narrow(dim, t, length) : x.narrow(dim, intArg(start), length);
        });
        op("cat", c -> Tensor.cat(c.inputList(), intOr(c.param(0, "dim"), 0)));
        op("stack", c -> Tensor.stack(c.inputList(), intOr(c.param(0, "dim"), 0)));
        op("gather", c -> {
            Tensor x = c.input();
            int dim = intArg(c.arg(0));
            Tensor index = c.tensorArg(1);
            if (Boolean.TRUE.equals(c.param(2, "sparse_grad"))) {
                throw new Unsupported("sparse_grad=True");
            }
            return x.gather(dim, index);
        });
        op("index_select", c -> c.input().indexSelect(intArg(c.arg(0)), c.tensorArg(1)));
        op("clone", c -> c.input().clone());
        op("contiguous", c -> c.input().contiguous());
        op("zero_", c -> c.input().clone().zero_());

        // Reductions.
        op("sum", c -> reduce(c, Tensor::sum, Tensor::sum));
        op("mean", c -> reduce(c, Tensor::mean, Tensor::mean));
        op("prod", c -> {
            Tensor x = c.input();
            Object dim = c.param(0, "dim");
            boolean keepdim = bool(c.param(1, "keepdim"));
            dtypeUnsupported(c, 2);
            return dim == null ? x.prod() : x.prod(intArg(dim), keepdim);
        });
        op("max.reduction_no_dim", c -> c.input().max());
        op("min.reduction_no_dim", c -> c.input().min());
        op("max.reduction_with_dim", c -> valuesIndices(c.input().max(intArg(c.param(0, "dim")),
                bool(c.param(1, "keepdim")))));
        op("min.reduction_with_dim", c -> valuesIndices(c.input().min(intArg(c.param(0, "dim")),
                bool(c.param(1, "keepdim")))));
        op("amax", c -> c.input().amax(ints(orEmpty(c.param(0, "dim"))), bool(c.param(1, "keepdim"))));
        op("amin", c -> c.input().amin(ints(orEmpty(c.param(0, "dim"))), bool(c.param(1, "keepdim"))));
        op("argmax", c -> argReduce(c, true));
        op("argmin", c -> argReduce(c, false));
        // torch.norm(input, p='fro', dim=None, keepdim=False, dtype=None)
        op("norm", c -> norm(c));
        op("norm.fro", c -> norm(c));
        op("norm.inf", c -> norm(c));
        op("norm.nuc", c -> norm(c));
        // linalg.vector_norm(x, ord=2, dim=None, keepdim=False, dtype=None)
        op("linalg.vector_norm", c -> {
            Tensor x = c.input();
            Object ord = c.param(0, "ord");
            Object dim = c.param(1, "dim");
            boolean keepdim = bool(c.param(2, "keepdim"));
            dtypeUnsupported(c, 3);
            return x.vectorNorm(ord == null ? 2 : number(ord), dim == null ? null : ints(dim), keepdim);
        });
        // linalg.matrix_norm(A, ord='fro', dim=(-2, -1), keepdim=False, dtype=None)
        op("linalg.matrix_norm", c -> {
            Tensor x = c.input();
            Object ord = c.param(0, "ord");
            Object dim = c.param(1, "dim");
            int[] dims = dim == null ? new int[] {-2, -1} : ints(dim);
            boolean keepdim = bool(c.param(2, "keepdim"));
            dtypeUnsupported(c, 3);
            return ord == null || ord instanceof String ? x.matrixNorm(ord == null ? "fro" : (String) ord, dims, keepdim)
                    : x.matrixNorm(number(ord), dims, keepdim);
        });
        op("linalg.svdvals", c -> c.input().svdvals());
        op("softmax", c -> {
            dtypeUnsupported(c, 1);
            return c.input().softmax(intArg(c.arg(0)));
        });
        op("log_softmax", c -> {
            dtypeUnsupported(c, 1);
            return c.input().logSoftmax(intArg(c.arg(0)));
        });

        // nn.functional.
        op("nn.functional.linear", c -> F.linear(c.input(), c.tensorArg(0), optTensor(c.param(1, "bias"))));
        op("nn.functional.mse_loss", c -> F.mseLoss(c.input(), c.tensorArg(0), reduction(c)));
        op("nn.functional.l1_loss", c -> F.l1Loss(c.input(), c.tensorArg(0), reduction(c)));
        // cross_entropy(input, target, weight=None, size_average, ignore_index=-100, reduce, reduction, label_smoothing)
        op("nn.functional.cross_entropy", c -> {
            Tensor x = c.input();
            Tensor target = c.tensorArg(0);
            Tensor weight = optTensor(c.param(1, "weight"));
            int ignore = intOr(c.kw("ignore_index"), F.DEFAULT_IGNORE_INDEX);
            Object smoothing = c.kw("label_smoothing");
            return F.crossEntropy(x, target, weight, reduction(c), ignore, smoothing == null ? 0 : number(smoothing));
        });
        op("nn.functional.nll_loss", c -> F.nllLoss(c.input(), c.tensorArg(0), optTensor(c.param(1, "weight")),
                reduction(c), intOr(c.kw("ignore_index"), F.DEFAULT_IGNORE_INDEX)));
        op("nn.functional.binary_cross_entropy_with_logits", c -> F.binaryCrossEntropyWithLogits(c.input(),
                c.tensorArg(0), optTensor(c.param(1, "weight")), optTensor(c.kw("pos_weight")), reduction(c)));
    }

    // =====================================================================================================
    // Argument conversions

    private static Object unsupported(String what) {
        throw new Unsupported(what);
    }

    static Tensor tensor(Object v) {
        return OpInfoCall.tensor("argument", v);
    }

    private static Tensor optTensor(Object v) {
        return v == null ? null : tensor(v);
    }

    static int intArg(Object v) {
        if (v instanceof Long l) {
            return Math.toIntExact(l);
        }
        throw new Unsupported("int argument given as " + OpInfoCall.describe(v));
    }

    static int intOr(Object v, int dflt) {
        return v == null ? dflt : intArg(v);
    }

    static boolean bool(Object v) {
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new Unsupported("bool argument given as " + OpInfoCall.describe(v));
    }

    static double number(Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new Unsupported("number argument given as " + OpInfoCall.describe(v));
    }

    /** A size or dims argument: an int or a list of ints. */
    static int[] ints(Object v) {
        if (v instanceof Long) {
            return new int[] {intArg(v)};
        }
        if (v instanceof List<?> l) {
            int[] out = new int[l.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = intArg(l.get(i));
            }
            return out;
        }
        throw new Unsupported("int list given as " + OpInfoCall.describe(v));
    }

    private static void dtypeUnsupported(OpInfoCall c, int position) {
        if (c.param(position, "dtype") != null) {
            throw new Unsupported("dtype=");
        }
    }

    private static Reduction reduction(OpInfoCall c) {
        Object r = c.kw("reduction");
        if (r == null) {
            return Reduction.MEAN;
        }
        return switch ((String) r) {
            case "mean" -> Reduction.MEAN;
            case "sum" -> Reduction.SUM;
            case "none" -> Reduction.NONE;
            default -> throw new IllegalArgumentException(r + " is not a valid value for reduction");
        };
    }

    /** A Python int as itself, a Python float as itself, for alpha-scaled numbers. */
    private static Object times(Object v, Object alpha) {
        if (alpha == null) {
            return v;
        }
        if (v instanceof Long a && alpha instanceof Long b) {
            return a * b;
        }
        return number(v) * number(alpha);
    }

    interface AlphaD {
        Tensor apply(Tensor a, Tensor b, double alpha);
    }

    interface AlphaL {
        Tensor apply(Tensor a, Tensor b, long alpha);
    }

    /** add/sub/rsub(input, other, alpha=1): other a tensor or a Python number (then scaled by alpha here). */
    private static Object withAlpha(OpInfoCall c, BinaryT t, BinaryD d, BinaryL l, AlphaD ad, AlphaL al) {
        Tensor x = c.input();
        Object other = c.arg(0);
        Object alpha = c.param(1, "alpha");
        if (!(other instanceof Tensor o)) {
            Object v = times(other, alpha);
            return v instanceof Long n ? l.apply(x, n) : d.apply(x, number(v));
        }
        if (alpha == null) {
            return t.apply(x, o);
        }
        return alpha instanceof Long a ? al.apply(x, o, a) : ad.apply(x, o, number(alpha));
    }

    private static Object argReduce(OpInfoCall c, boolean max) {
        Tensor x = c.input();
        Object dim = c.param(0, "dim");
        boolean keepdim = bool(c.param(1, "keepdim"));
        if (dim == null) {
            if (keepdim) {
                throw new Unsupported("keepdim=True without dim");
            }
            return max ? x.argmax() : x.argmin();
        }
        return max ? x.argmax(intArg(dim), keepdim) : x.argmin(intArg(dim), keepdim);
    }

    private static Object orEmpty(Object dims) {
        return dims == null ? List.of() : dims;
    }

    /** number * tensor as tensor * number: a Python int a long, a float a double. */
    private static Object scalarFirst(OpInfoCall c, Number v, BinaryD d, BinaryL l) {
        Tensor t = c.tensorArg(0);
        return v instanceof Long n ? l.apply(t, n) : d.apply(t, v.doubleValue());
    }

    /** div(input, other, rounding_mode=None): input or other may be a Python number. */
    private static Object roundingDiv(OpInfoCall c) {
        Object other = c.arg(0);
        String mode = (String) c.kw("rounding_mode");
        if (c.rawInput() instanceof Long v) {
            return Tensor.div(v, tensor(other), mode);
        }
        if (c.rawInput() instanceof Double v) {
            return Tensor.div(v, tensor(other), mode);
        }
        Tensor x = c.input();
        if (other instanceof Long v) {
            return x.div(v, mode);
        }
        if (other instanceof Double v) {
            return x.div(v, mode);
        }
        return x.div(tensor(other), mode);
    }

    interface BinaryT {
        Tensor apply(Tensor a, Tensor b);
    }

    interface BinaryD {
        Tensor apply(Tensor a, double b);
    }

    interface BinaryL {
        Tensor apply(Tensor a, long b);
    }

    /** op(input, other) with other a tensor, a Python int or a Python float. */
    private static Object binary(OpInfoCall c, BinaryT t, BinaryD d, BinaryL l) {
        Tensor x = c.input();
        Object other = c.arg(0);
        if (other instanceof Long v) {
            return l.apply(x, v);
        }
        if (other instanceof Double v) {
            return d.apply(x, v);
        }
        return t.apply(x, tensor(other));
    }

    interface DimsReduce {
        Tensor apply(Tensor x, int[] dims, boolean keepdim);
    }

    /** sum/mean(input, dim=None, keepdim=False, dtype=None). */
    private static Object reduce(OpInfoCall c, Function<Tensor, Tensor> all, DimsReduce dims) {
        Tensor x = c.input();
        Object dim = c.param(0, "dim");
        boolean keepdim = bool(c.param(1, "keepdim"));
        dtypeUnsupported(c, 2);
        return dim == null ? all.apply(x) : dims.apply(x, ints(dim), keepdim);
    }

    private static Tensor[] valuesIndices(Tensor.ValuesIndices vi) {
        return new Tensor[] {vi.values(), vi.indices()};
    }

    private static Object norm(OpInfoCall c) {
        Tensor x = c.input();
        Object p = c.param(0, "p");
        Object dim = c.param(1, "dim");
        boolean keepdim = bool(c.param(2, "keepdim"));
        dtypeUnsupported(c, 3);
        if (p instanceof String s) {
            return x.norm(s, dim == null ? null : ints(dim), keepdim);
        }
        return x.norm(p == null ? 2 : number(p), dim == null ? null : ints(dim), keepdim);
    }
}
