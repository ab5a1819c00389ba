#!/usr/bin/env python3
"""PyTorch twin of org.sparkgrad.jobs.bench.OpBenchmark: the same per-op cases, in the same order, on the
same inputs (built from the same integer hash of the element index, so that nothing is exchanged), printing
the same lines:

  case=NAME ms=MEDIAN iters=N check=C mag=M

C is sum(v * w) over the first step's result (the output of a forward case; the inputs' gradients of a
forward+backward case, run with a fixed upstream gradient; the loss plus the parameters' gradients of an MLP
step), w = uniform(i, 999) - 0.5 by row-major position; M is sum(|v * w|). See OpBenchmark's Javadoc for the
cases and the timing rule (first step for the check, warmup for --warmup-ms and until the step time settles
(at most --settle-max-ms), then at least --time-ms and
--min-iters timed steps, at most --max-iters; the median is reported).

Usage: torch_op_bench.py [--threads N] [--sizes 65536,4194304] [--batches 256,65536] [--match REGEX]
                         [--warmup-ms 200] [--settle-max-ms 10000] [--time-ms 300] [--min-iters 5] [--max-iters 2000]
"""
import argparse
import re
import statistics
import time

import torch
import torch.nn.functional as F

WEIGHT_SEED = 999
UPSTREAM_SEED = 77
WIDTH = 64
MLP_DIMS = [32, 64, 64, 10]
MLP_LR = 0.01


def uniform(n, seed):
    """float64 values in [0, 1) for indices 0..n-1: OpBenchmark.uniform, in int64."""
    i = torch.arange(n, dtype=torch.int64)
    h = ((i + seed * 1000003) * 2654435761) & 0xFFFFFFFF
    h = ((h ^ (h >> 16)) * 0x45d9f3b) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    return h.double() / 4294967296.0


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def pattern(seed, lo, hi, *shape):
    return (lo + (hi - lo) * uniform(numel(shape), seed)).float().reshape(shape)


def indices(seed, bound, *shape):
    return torch.floor(uniform(numel(shape), seed) * bound).long().reshape(shape)


def distinct(*shape):
    n = numel(shape)
    i = torch.arange(n, dtype=torch.int64)
    return (((i * 2654435761) % n).double() / n).float().reshape(shape)


_weights = {}


def accumulate(t, acc):
    v = t.detach().double().reshape(-1)
    n = v.numel()
    if n not in _weights:
        _weights[n] = uniform(n, WEIGHT_SEED) - 0.5
    x = v * _weights[n]
    acc[0] += x.sum().item()
    acc[1] += x.abs().sum().item()


def label(n):
    if n % (1 << 20) == 0:
        return f"{n // (1 << 20)}M"
    return f"{n // 1024}k" if n % 1024 == 0 else str(n)


class OpCase:
    def __init__(self, name, inputs, op, backward):
        self.name, self.inputs, self.op, self.backward = name, inputs, op, backward

    def bind(self):
        ins = self.inputs()
        if self.backward:
            for t in ins:
                t.requires_grad_()
        self.ins = ins
        return self

    def first(self):
        out = self.op(self.ins)
        acc = [0.0, 0.0]
        if not self.backward:
            accumulate(out, acc)
            return acc
        self.upstream = pattern(UPSTREAM_SEED, -1, 1, *out.shape)
        out.backward(self.upstream)
        for t in self.ins:
            accumulate(t.grad, acc)
        return acc

    def step(self):
        if not self.backward:
            self.op(self.ins)
            return
        for t in self.ins:
            t.grad = None
        self.op(self.ins).backward(self.upstream)


UNARY = [
    ("exp", -2, 2, torch.exp), ("log", 0.1, 2.1, torch.log), ("sqrt", 0.1, 2.1, torch.sqrt),
    ("abs", -1, 1, torch.abs), ("neg", -1, 1, torch.neg), ("sin", -3, 3, torch.sin), ("cos", -3, 3, torch.cos),
    ("tanh", -3, 3, torch.tanh), ("sigmoid", -4, 4, torch.sigmoid), ("relu", -1, 1, torch.relu),
    ("clamp", -1, 1, lambda t: t.clamp(-0.5, 0.5)), ("pow2", -1, 1, lambda t: t.pow(2.0)),
    ("pow1.5", 0.1, 2.1, lambda t: t.pow(1.5)),
]
BINARY = [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div)]
REDUCE_ALL = {"sum": torch.sum, "mean": torch.mean, "max": torch.max}
REDUCE_DIM = {"sum": lambda x, d: x.sum(d), "mean": lambda x, d: x.mean(d), "max": lambda x, d: x.max(d).values}


def op_cases(n):
    r, c = n // WIDTH, WIDTH
    size = label(n)
    out = []
    for bwd in (False, True):
        suffix = f"_{size}_{'fwdbwd' if bwd else 'fwd'}"
        for name, lo, hi, f in UNARY:
            out.append(OpCase(name + suffix, lambda lo=lo, hi=hi: [pattern(1, lo, hi, r, c)],
                              lambda i, f=f: f(i[0]), bwd))
        for name, f in BINARY:
            lo, hi = (0.5, 1.5) if name == "div" else (-1, 1)
            for kind, shape in (("", (r, c)), ("_row", (1, c)), ("_col", (r, 1)), ("_scalar", ())):
                out.append(OpCase(name + kind + suffix,
                                  lambda lo=lo, hi=hi, shape=shape: [pattern(1, -1, 1, r, c), pattern(2, lo, hi, *shape)],
                                  lambda i, f=f: f(i[0], i[1]), bwd))
        for red in ("sum", "mean", "max"):
            def make(shape, red=red):
                return distinct(*shape) if red == "max" else pattern(1, -1, 1, *shape)
            out.append(OpCase(f"{red}_all{suffix}", lambda make=make: [make((r, c))],
                              lambda i, red=red: REDUCE_ALL[red](i[0]), bwd))
            for dim in (0, 1):
                for tall in (True, False):
                    shape = (r, c) if tall else (c, r)
                    out.append(OpCase(f"{red}{'_dim0' if dim == 0 else '_last'}{'_tall' if tall else '_wide'}{suffix}",
                                      lambda make=make, shape=shape: [make(shape)],
                                      lambda i, red=red, dim=dim: REDUCE_DIM[red](i[0], dim), bwd))
        out.append(OpCase("softmax" + suffix, lambda: [pattern(1, -3, 3, r, c)], lambda i: i[0].softmax(1), bwd))
        out.append(OpCase("log_softmax" + suffix, lambda: [pattern(1, -3, 3, r, c)],
                          lambda i: i[0].log_softmax(1), bwd))
        targets = indices(5, c, r)
        out.append(OpCase("cross_entropy" + suffix, lambda: [pattern(1, -3, 3, r, c)],
                          lambda i, t=targets: F.cross_entropy(i[0], t), bwd))
        out.append(OpCase("transpose_contiguous" + suffix, lambda: [pattern(1, -1, 1, r, c)],
                          lambda i: i[0].t().contiguous(), bwd))
        out.append(OpCase("cat" + suffix, lambda: [pattern(1, -1, 1, r, c // 2), pattern(2, -1, 1, r, c // 2)],
                          lambda i: torch.cat([i[0], i[1]], 1), bwd))
        rows = indices(6, r, r)
        out.append(OpCase("index_select" + suffix, lambda: [pattern(1, -1, 1, r, c)],
                          lambda i, rows=rows: i[0].index_select(0, rows), bwd))
        cols = indices(7, c, r, c)
        out.append(OpCase("gather" + suffix, lambda: [pattern(1, -1, 1, r, c)],
                          lambda i, cols=cols: i[0].gather(1, cols), bwd))
    return out


class MlpCase:
    """Linear(32, 64), act, Linear(64, 64), act, Linear(64, 10); SGD; zero_grad(set_to_none=True) like the
    engine's zeroGrad()."""

    def __init__(self, name, act, loss, batch):
        self.name = name
        layers = []
        for i in range(len(MLP_DIMS) - 1):
            lin = torch.nn.Linear(MLP_DIMS[i], MLP_DIMS[i + 1])
            bound = 1 / MLP_DIMS[i] ** 0.5
            with torch.no_grad():
                lin.weight.copy_(pattern(10 + 2 * i, -bound, bound, MLP_DIMS[i + 1], MLP_DIMS[i]))
                lin.bias.copy_(pattern(11 + 2 * i, -bound, bound, MLP_DIMS[i + 1]))
            layers.append(lin)
            if i + 2 < len(MLP_DIMS):
                layers.append({"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[act]())
        self.net = torch.nn.Sequential(*layers)
        classes = MLP_DIMS[-1]
        self.x = pattern(20, -1, 1, batch, MLP_DIMS[0])
        ce = loss == "ce"
        self.y = indices(21, classes, batch) if ce else pattern(21, -1, 1, batch, classes)
        self.loss = torch.nn.CrossEntropyLoss() if ce else torch.nn.MSELoss()
        self.opt = torch.optim.SGD(self.net.parameters(), lr=MLP_LR)

    def bind(self):
        return self

    def first(self):
        self.step()
        v = self.last.item()
        acc = [v, abs(v)]
        for p in self.net.parameters():
            accumulate(p.grad, acc)
        return acc

    def step(self):
        self.opt.zero_grad(set_to_none=True)
        self.last = self.loss(self.net(self.x), self.y)
        self.last.backward()
        self.opt.step()


def cases(sizes, batches, match):
    ops = [c for n in sizes for c in op_cases(n)]
    for b in batches:
        for act in ("sigmoid", "tanh", "relu"):
            for loss in ("mse", "ce"):
                ops.append((f"mlp_{act}_{loss}_b{b}", act, loss, b))
    for c in ops:
        name = c.name if isinstance(c, OpCase) else c[0]
        if re.search(match, name):
            yield c if isinstance(c, OpCase) else MlpCase(*c)


SETTLE_STEPS = 5
SETTLE_WINDOW_MS = 100


def warm_up(c, warmup_ms, settle_max_ms):
    """At least 2 steps and warmup_ms, then OpBenchmark.settle's rule: windows of at least SETTLE_STEPS
    steps and SETTLE_WINDOW_MS until two in a row are no faster than 0.97 times the best before them."""
    t0 = time.perf_counter_ns()
    i = 0
    while i < 2 or (time.perf_counter_ns() - t0) / 1e6 < warmup_ms:
        c.step()
        i += 1
    s0 = time.perf_counter_ns()
    best = float("inf")
    calm = 0
    while calm < 2 and (time.perf_counter_ns() - s0) / 1e6 < settle_max_ms:
        window = []
        w0 = time.perf_counter_ns()
        while len(window) < SETTLE_STEPS or (time.perf_counter_ns() - w0) / 1e6 < SETTLE_WINDOW_MS:
            s = time.perf_counter_ns()
            c.step()
            window.append((time.perf_counter_ns() - s) / 1e6)
        m = statistics.median(window)
        calm = calm + 1 if m >= 0.97 * best else 0
        best = min(best, m)


def timed(c, time_ms, min_iters, max_iters):
    ms = []
    start = time.perf_counter_ns()
    while len(ms) < max_iters and (len(ms) < min_iters or (time.perf_counter_ns() - start) / 1e6 < time_ms):
        s = time.perf_counter_ns()
        c.step()
        ms.append((time.perf_counter_ns() - s) / 1e6)
    return ms


def positive_ints(s):
    v = [int(x) for x in s.split(",")]
    if any(x <= 0 for x in v):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {s!r}")
    return v


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--sizes", type=positive_ints, default=[65536, 4194304])
    p.add_argument("--batches", type=positive_ints, default=[256, 65536])
    p.add_argument("--match", default="")
    p.add_argument("--warmup-ms", type=float, default=200)
    p.add_argument("--settle-max-ms", type=float, default=10000)
    p.add_argument("--time-ms", type=float, default=300)
    p.add_argument("--min-iters", type=int, default=5)
    p.add_argument("--max-iters", type=int, default=2000)
    a = p.parse_args()
    for n in a.sizes:
        if n % WIDTH:
            p.error(f"--sizes must be multiples of {WIDTH}, got {n}")
    if a.threads is not None:
        torch.set_num_threads(a.threads)
    print(f"info impl=torch threads={torch.get_num_threads()} torch={torch.__version__}", flush=True)
    for c in cases(a.sizes, a.batches, a.match):
        c = c.bind()
        check = c.first()
        w0 = time.perf_counter_ns()
        warm_up(c, a.warmup_ms, a.settle_max_ms)
        warm_ms = (time.perf_counter_ns() - w0) / 1e6
        ms = timed(c, a.time_ms, a.min_iters, a.max_iters)
        print(f"case={c.name} ms={statistics.median(ms):.4f} iters={len(ms)} check={check[0]:.10g} mag={check[1]:.10g}"
              f" warm={warm_ms:.0f} mean={statistics.fmean(ms):.4f}", flush=True)


if __name__ == "__main__":
    main()
