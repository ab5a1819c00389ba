"""Records PyTorch's own OpInfo test inputs for the ops sparkgrad has (or should have) as a corpus for OpInfoTest.

For each OpInfo named in OPS (torch 1.13's op_db), float64, seeded, at most MAX_SAMPLES sample inputs and
MAX_ERRORS error inputs per OpInfo (torch must raise on each), plus the hand-made extra_samples() for arguments
OpInfo does not exercise (label_smoothing, ...), it writes one JSON object per line:

  {"kind": "sample", "op": "add", "variant": "", "i": 0,
   "input": <value>, "args": [<value>...], "kwargs": {"alpha": <value>},
   "outputs": [<tensor>...], "grad_fns": ["AddBackward0", ...],
   "grads": [<tensor or null>...]}                       # null (and "grad_error") where torch's backward fails                       # d(sum_k out_k * G(out_k)) / d(each differentiable input)
  {"kind": "error", "op": ..., "input": ..., "args": ..., "kwargs": ..., "error_type": "RuntimeError",
   "error_regex": "...", "error_message": "what torch said"}   # only error inputs torch does raise on

A <tensor> is {"tensor": dtype, "shape": [...], "data": [...] (row-major, NaN/Infinity as JSON literals),
"grad": whether it requires grad}; other values are {"int": n}, {"float": x}, {"bool": b}, {"str": s},
{"dtype": name}, {"list": [<value>...]} and null. The upstream gradient G of an output with n elements is fixed:
G[i] = 0.5 + 0.25 * (i % 5), in the output's shape (the Java test builds the same one). Differentiable inputs
are the floating tensors that require grad, in the order: input (each tensor of a list), args, kwargs.

Regenerate (Debian's torch 1.13; no network needed):

  /usr/bin/python3 engine/src/test/python/gen_opinfo_corpus.py > engine/src/test/resources/opinfo/corpus.jsonl
"""
import collections
import json
import math
import sys
import types
import unittest

try:
    import expecttest  # noqa: F401  (torch.testing._internal imports it only for its TestCase base class)
except ImportError:
    stub = types.ModuleType("expecttest")
    stub.TestCase = unittest.TestCase
    stub.ACCEPT = False
    sys.modules["expecttest"] = stub

import torch
from torch.testing._internal.common_methods_invocations import op_db

MAX_SAMPLES = 40
MAX_ERRORS = 20
MAX_NUMEL = 400  # larger tensors are left out, to keep the corpus small
SMALL_NUMEL = 125  # and only MAX_LARGE samples per OpInfo may have a tensor larger than this
MAX_LARGE = 2

# (name, variant_test_name) of the OpInfos recorded.
OPS = [
    ("add", ""), ("sub", ""), ("rsub", ""), ("mul", ""), ("div", "no_rounding_mode"), ("div", "trunc_rounding"),
    ("div", "floor_rounding"), ("true_divide", ""), ("pow", ""), ("neg", ""),
    ("exp", ""), ("log", ""), ("sqrt", ""), ("abs", ""), ("sin", ""), ("cos", ""), ("tanh", ""), ("sigmoid", ""),
    ("nn.functional.relu", ""), ("clamp", ""), ("clamp_min", ""), ("clamp_max", ""),
    ("maximum", ""), ("minimum", ""), ("max", "binary"), ("min", "binary"),
    ("eq", ""), ("ne", ""), ("lt", ""), ("le", ""), ("gt", ""), ("ge", ""), ("where", ""), ("masked_fill", ""),
    ("matmul", ""), ("mm", ""), ("mv", ""), ("dot", ""), ("bmm", ""),
    ("t", ""), ("transpose", ""), ("permute", ""), ("view", ""), ("view_as", ""), ("reshape", ""),
    ("reshape_as", ""), ("flatten", ""), ("squeeze", ""), ("unsqueeze", ""), ("expand", ""), ("expand_as", ""),
    ("select", ""), ("slice", ""), ("narrow", ""), ("cat", ""), ("stack", ""), ("gather", ""),
    ("index_select", ""), ("clone", ""), ("contiguous", ""), ("zero_", ""),
    ("sum", ""), ("mean", ""), ("prod", ""), ("max", "reduction_no_dim"), ("max", "reduction_with_dim"),
    ("min", "reduction_no_dim"), ("min", "reduction_with_dim"), ("amax", ""), ("amin", ""), ("argmax", ""),
    ("argmin", ""), ("norm", ""), ("norm", "fro"), ("norm", "inf"), ("norm", "nuc"), ("linalg.vector_norm", ""),
    ("linalg.matrix_norm", ""), ("linalg.svdvals", ""), ("softmax", ""), ("log_softmax", ""),
    ("nn.functional.linear", ""), ("nn.functional.mse_loss", ""), ("nn.functional.l1_loss", ""),
    ("nn.functional.cross_entropy", ""), ("nn.functional.nll_loss", ""),
    ("nn.functional.binary_cross_entropy_with_logits", ""),
]

DTYPES = {torch.float64: "float64", torch.float32: "float32", torch.int64: "int64", torch.bool: "bool",
          torch.int32: "int32", torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8",
          torch.float16: "float16", torch.bfloat16: "bfloat16", torch.complex64: "complex64",
          torch.complex128: "complex128"}


class Skip(Exception):
    """A sample left out: a tensor over MAX_NUMEL elements, or a complex tensor."""


def upstream(out):
    n = out.numel()
    g = torch.tensor([0.5 + 0.25 * (i % 5) for i in range(n)], dtype=out.dtype)
    return g.reshape(out.shape)


largest = [0]  # the largest tensor of the record being encoded


def tensor(t):
    largest[0] = max(largest[0], t.numel())
    if t.numel() > MAX_NUMEL:
        raise Skip("numel %d" % t.numel())
    if t.is_complex():
        raise Skip("complex")
    data = t.detach().reshape(-1).tolist()
    return {"tensor": DTYPES[t.dtype], "shape": list(t.shape), "data": data, "grad": bool(t.requires_grad)}


def value(v):
    if isinstance(v, torch.Tensor):
        return tensor(v)
    if v is None:
        return None
    if isinstance(v, bool):
        return {"bool": v}
    if isinstance(v, int):
        return {"int": v}
    if isinstance(v, complex):
        raise Skip("complex")
    if isinstance(v, float):
        return {"float": v}
    if isinstance(v, str):
        return {"str": v}
    if isinstance(v, torch.dtype):
        return {"dtype": DTYPES[v]}
    if isinstance(v, (list, tuple, torch.Size)):
        return {"list": [value(x) for x in v]}
    return {"unknown": type(v).__name__, "repr": repr(v)}


def flat_tensors(v):
    if isinstance(v, torch.Tensor):
        return [v]
    if isinstance(v, (list, tuple)):
        return [t for x in v for t in flat_tensors(x)]
    return []


def diff_inputs(s):
    ts = flat_tensors(s.input) + flat_tensors(list(s.args)) + flat_tensors(list(s.kwargs.values()))
    return [t for t in ts if t.requires_grad]


def encode_call(s):
    return {"input": value(s.input), "args": [value(a) for a in s.args],
            "kwargs": {k: value(v) for k, v in s.kwargs.items()}}


def fresh(v):
    """A view or non-contiguous tensor as a contiguous leaf with its values (the corpus keeps no strides;
    torch's autograd.grad returns None for some of OpInfo's no-grad views made leaves)."""
    if isinstance(v, torch.Tensor):
        if v._base is None and v.is_contiguous():
            return v
        return v.detach().clone(memory_format=torch.contiguous_format).requires_grad_(v.requires_grad)
    if isinstance(v, list):
        return [fresh(x) for x in v]
    if isinstance(v, tuple):
        return tuple(fresh(x) for x in v)
    return v


def normalized(s):
    s.input = fresh(s.input)
    s.args = fresh(tuple(s.args))
    s.kwargs = {k: fresh(v) for k, v in s.kwargs.items()}
    return s


def record_sample(op, s, i):
    s = normalized(s)
    rec = {"kind": "sample", "op": op.name, "variant": op.variant_test_name, "i": i}
    rec.update(encode_call(s))
    out = op.op(s.input, *s.args, **s.kwargs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    rec["outputs"] = [tensor(o) for o in outs]
    rec["grad_fns"] = [o.grad_fn.name() if o.grad_fn is not None else None for o in outs]
    diff_out = [o for o in outs if o.requires_grad]
    inputs = diff_inputs(s)
    if diff_out and inputs:
        try:
            grads = torch.autograd.grad(diff_out, inputs, [upstream(o) for o in diff_out], allow_unused=True)
            rec["grads"] = [None if g is None else tensor(g) for g in grads]
        except RuntimeError as e:  # torch's own backward fails on a few samples: compare the forward only
            rec["grads"] = None
            rec["grad_error"] = str(e)
    else:
        rec["grads"] = []
    return rec


def record_error(op, e, i):
    e.sample_input = normalized(e.sample_input)
    rec = {"kind": "error", "op": op.name, "variant": op.variant_test_name, "i": i}
    rec.update(encode_call(e.sample_input))
    si = e.sample_input
    try:
        op.op(si.input, *si.args, **si.kwargs)
    except e.error_type as raised:
        rec["error_type"] = e.error_type.__name__
        rec["error_regex"] = e.error_regex
        rec["error_message"] = str(raised)
        return rec
    raise Skip("torch-does-not-raise")


def inputs_of(op):
    """The reference inputs (the samples plus extremal values, 0-d and empty tensors), or the samples alone
    where torch 1.13's reference inputs fail to build for float64 with requires_grad."""
    try:
        torch.manual_seed(0)
        return list(op.reference_inputs("cpu", torch.float64, requires_grad=op.supports_autograd))
    except (ValueError, RuntimeError, TypeError):
        torch.manual_seed(0)
        return list(op.sample_inputs("cpu", torch.float64, requires_grad=op.supports_autograd))


def extra_samples():
    """Inputs OpInfo 1.13 lacks for arguments and cases we support: (OpInfo name, variant, SampleInput), recorded as
    samples numbered from EXTRA_INDEX on."""
    from torch.testing._internal.common_methods_invocations import SampleInput
    torch.manual_seed(0)

    def t(*shape, grad=True):
        return torch.randn(*shape, dtype=torch.float64).requires_grad_(grad)

    def probs(*shape):
        return torch.rand(*shape, dtype=torch.float64).softmax(1).requires_grad_()

    ce = "nn.functional.cross_entropy"
    targets = torch.tensor([1, 0, 2, 1])
    weight = torch.tensor([0.5, 2.0, 1.25], dtype=torch.float64)
    for reduction in ("mean", "sum", "none"):
        for ls in (0.1, 0.75):
            yield ce, "", SampleInput(t(4, 3), args=(targets,), kwargs={"label_smoothing": ls, "reduction": reduction})
            yield ce, "", SampleInput(t(4, 3), args=(targets,),
                                      kwargs={"weight": weight, "label_smoothing": ls, "reduction": reduction})
            yield ce, "", SampleInput(t(4, 3), args=(targets,),
                                      kwargs={"ignore_index": 1, "label_smoothing": ls, "reduction": reduction})
            yield ce, "", SampleInput(t(4, 3), args=(targets,), kwargs={"weight": weight, "ignore_index": 2,
                                                                        "label_smoothing": ls, "reduction": reduction})
            yield ce, "", SampleInput(t(4, 3), args=(probs(4, 3),), kwargs={"label_smoothing": ls, "reduction": reduction})
            yield ce, "", SampleInput(t(2, 3, 2, 2), args=(torch.tensor([[[0, 2], [1, 1]], [[2, 0], [0, 1]]]),),
                                      kwargs={"label_smoothing": ls, "reduction": reduction})
    yield ce, "", SampleInput(t(3), args=(torch.tensor(2),), kwargs={"label_smoothing": 0.3})
    yield ce, "", SampleInput(t(4, 3), args=(targets,), kwargs={"ignore_index": 1, "reduction": "mean"})
    yield "nn.functional.nll_loss", "", SampleInput(t(2, 3), args=(torch.tensor([1, 1]),), kwargs={"ignore_index": 1})
    yield "nn.functional.nll_loss", "", SampleInput(t(2, 3, 4), args=(torch.tensor([[0, 1, 2, 1], [2, 2, 0, 1]]),),
                                                    kwargs={"reduction": "none", "weight": weight})
    yield "nn.functional.nll_loss", "", SampleInput(t(2, 3, 1, 2, 2), args=(torch.randint(0, 3, (2, 1, 2, 2)),),
                                                    kwargs={"reduction": "none"})
    # Singular values: an ill-conditioned matrix (Hilbert, 6 x 6, condition number 1.5e7), repeated singular
    # values (2 I: amax/amin share the gradient evenly), a wide and a batched matrix.
    hilbert = torch.tensor([[1.0 / (i + j + 1) for j in range(6)] for i in range(6)], dtype=torch.float64)
    yield "linalg.svdvals", "", SampleInput(hilbert.clone().requires_grad_())
    yield "linalg.svdvals", "", SampleInput(t(2, 3, 5))
    mn = "linalg.matrix_norm"
    for ord in (2, -2, "nuc"):
        yield mn, "", SampleInput((2 * torch.eye(3, dtype=torch.float64)).requires_grad_(), args=(ord,))
        yield mn, "", SampleInput(hilbert.clone().requires_grad_(), args=(ord,))
        yield mn, "", SampleInput(t(3, 2, 4), args=(ord, (0, 2), True))
    yield "nn.functional.binary_cross_entropy_with_logits", "", SampleInput(
        t(3, 4), args=(torch.rand(3, 4, dtype=torch.float64).requires_grad_(),),
        kwargs={"weight": torch.rand(4, dtype=torch.float64), "pos_weight": torch.rand(3, 1, dtype=torch.float64) + 0.5,
                "reduction": "sum"})


EXTRA_INDEX = 1000


def main():
    by_key = {(o.name, o.variant_test_name): o for o in op_db}
    out = sys.stdout
    for key in OPS:
        op = by_key[key]
        skipped = collections.Counter()
        torch.manual_seed(0)
        kept = 0
        large = 0
        for i, s in enumerate(inputs_of(op)):
            if kept >= MAX_SAMPLES:
                break
            largest[0] = 0
            try:
                rec = record_sample(op, s, i)
                if largest[0] > SMALL_NUMEL:
                    large += 1
                    if large > MAX_LARGE:
                        raise Skip("large")
            except Skip as why:
                skipped[why.args[0].split()[0]] += 1
                continue
            out.write(json.dumps(rec, separators=(",", ":")) + "\n")
            kept += 1
        extra = [si for name, variant, si in extra_samples() if (name, variant) == key]
        for j, si in enumerate(extra):
            out.write(json.dumps(record_sample(op, si, EXTRA_INDEX + j), separators=(",", ":")) + "\n")
        if op.error_inputs_func is None:
            continue
        torch.manual_seed(0)
        kept = 0
        for i, e in enumerate(op.error_inputs("cpu")):
            if kept >= MAX_ERRORS:
                break
            try:
                rec = record_error(op, e, i)
            except Skip as why:
                skipped[why.args[0].split()[0]] += 1
                continue
            out.write(json.dumps(rec, separators=(",", ":")) + "\n")
            kept += 1
        if skipped:
            print("%s%s: left out %s" % (key[0], "." + key[1] if key[1] else "", dict(skipped)), file=sys.stderr)


if __name__ == "__main__":
    main()
