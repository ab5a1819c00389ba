#!/usr/bin/env python3
"""PyTorch twin of org.sparkgrad.jobs.bench.EngineBenchmark: the same six cases, shapes and loop
structure (manual SGD under torch.no_grad() for the first four; nn + optim for the last two), printing the
same key=value lines with impl=torch.

  seed_mlp           64x1000 -> 100 -> 10, clamp(min=0), sum of squares, SGD (lr 1e-6)
  large_mlp          batch 256, 1024 -> 4096 -> 4096 -> 10, relu, MSE (mean), SGD; GFLOP/s = 6*B*sum(in*out)/t
  sgemm              1024^3 float32 a.mm(b) without grad; GFLOP/s = 2 n^3 / t
  autograd_overhead  10,000 scalar ops (5,000 x mul then add) forward + backward; us per op
  d2l_step           the d2l seed's step: next batch of 10 from a shuffling DataLoader over 1000 synthetic
                     samples, nn.Sequential(nn.Linear(2, 1)), MSELoss, zero_grad, backward, SGD(lr 0.03) step
  seed_mlp_nn        Sequential(Linear(1000, 100), ReLU, Linear(100, 10)) on a fixed batch of 64,
                     MSELoss(reduction="sum"), zero_grad, backward, SGD(lr 1e-5) step

On --device cuda (or cuda:N), seed_mlp, large_mlp, sgemm and seed_mlp_nn make their data and parameters
on the CPU exactly as there (same seeds) and move them with .to(device); each timed step and each phase ends
with torch.cuda.synchronize() so that queued kernels are counted; --case all means those four there.
autograd_overhead and d2l_step measure CPU overhead and refuse another device. Without a usable CUDA
device the only output is "unavailable device=cuda reason=..." and the exit status is 2.

Usage: torch_engine_bench.py [--case NAME|all] [--warmup N] [--iters N] [--threads N] [--device cpu|cuda|cuda:N]
"""
import argparse
import math
import os
import re
import statistics
import sys
import time

import torch

CASES = ["seed_mlp", "large_mlp", "sgemm", "autograd_overhead", "d2l_step", "seed_mlp_nn"]
DEVICE_CASES = ["seed_mlp", "large_mlp", "sgemm", "seed_mlp_nn"]  # the others time CPU overhead
UNAVAILABLE = 2  # exit status when the device cannot be used
DEFAULT_WARMUP = {"seed_mlp": 500, "large_mlp": 2, "sgemm": 3, "autograd_overhead": 30, "d2l_step": 2000,
                  "seed_mlp_nn": 500}
DEFAULT_ITERS = {"seed_mlp": 1000, "large_mlp": 5, "sgemm": 20, "autograd_overhead": 30, "d2l_step": 5000,
                 "seed_mlp_nn": 1000}

LARGE_BATCH = 256
LARGE_DIMS = [1024, 4096, 4096, 10]
SGEMM_N = 1024
CHAIN_OPS = 10_000


def large_mlp_flops():
    return 6.0 * LARGE_BATCH * sum(LARGE_DIMS[i] * LARGE_DIMS[i + 1] for i in range(len(LARGE_DIMS) - 1))


def synchronizer(device):
    """A function that waits for the work queued on the device (nothing to wait for on the CPU)."""
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


class Phases:
    """Median times of the parts of a step (forward, backward, update), reported as NAME_ms=...; each phase
    ends by waiting for its device, so that it is charged with its own kernels."""

    def __init__(self, device, *names):
        self.sync = synchronizer(device)
        self.names = names
        self.ms = [[] for _ in names]
        self.last = 0

    def start(self):
        self.last = time.perf_counter_ns()

    def mark(self, k):
        self.sync()
        now = time.perf_counter_ns()
        self.ms[k].append((now - self.last) / 1e6)
        self.last = now

    def reset(self):
        for m in self.ms:
            m.clear()

    def extra(self):
        return "".join(" %s_ms=%.4f" % (n, statistics.median(m)) for n, m in zip(self.names, self.ms))


def with_phases(step, phases):
    step.reset, step.extra = phases.reset, phases.extra
    return step


def sgd(params, lr):
    with torch.no_grad():
        for p in params:
            p.sub_(p.grad.mul(lr))
            p.grad.zero_()


def seed_mlp(device):
    g = torch.Generator().manual_seed(0)
    n, d_in, h, d_out = 64, 1000, 100, 10
    # Drawn on the CPU, in the same order, on every device; moved first so that the parameters are leaves.
    x = torch.randn(n, d_in, generator=g).to(device)
    y = torch.randn(n, d_out, generator=g).to(device)
    w1 = torch.randn(d_in, h, generator=g).to(device).requires_grad_()
    b1 = torch.randn(1, h, generator=g).to(device).requires_grad_()
    w2 = torch.randn(h, d_out, generator=g).to(device).requires_grad_()
    b2 = torch.randn(1, d_out, generator=g).to(device).requires_grad_()
    params = [w1, b1, w2, b2]
    lr = 1e-6
    state = {}
    ph = Phases(device, "fwd", "bwd", "sgd")

    def step():
        ph.start()
        y_pred = x.mm(w1).add(b1).clamp(min=0).mm(w2).add(b2)
        loss = (y_pred - y).pow(2).sum()
        ph.mark(0)
        loss.backward()
        ph.mark(1)
        sgd(params, lr)
        ph.mark(2)
        state["loss"] = loss

    return with_phases(step, ph), lambda: "%.6g" % state["loss"].item()


def large_mlp(device):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(LARGE_BATCH, LARGE_DIMS[0], generator=g).to(device)
    y = torch.randn(LARGE_BATCH, LARGE_DIMS[-1], generator=g).to(device)
    ws, bs = [], []
    for i in range(len(LARGE_DIMS) - 1):
        scale = 1.0 / math.sqrt(LARGE_DIMS[i])
        ws.append(torch.randn(LARGE_DIMS[i], LARGE_DIMS[i + 1], generator=g).mul_(scale).to(device).requires_grad_())
        bs.append(torch.zeros(1, LARGE_DIMS[i + 1]).to(device).requires_grad_())
    params = ws + bs
    lr = 1e-3
    state = {}
    ph = Phases(device, "fwd", "bwd", "sgd")

    def step():
        ph.start()
        a = x
        for i in range(len(ws)):
            a = a.mm(ws[i]).add(bs[i])
            if i + 1 < len(ws):
                a = a.relu()
        loss = a.sub(y).pow(2).mean()
        ph.mark(0)
        loss.backward()
        ph.mark(1)
        sgd(params, lr)
        ph.mark(2)
        state["loss"] = loss

    return with_phases(step, ph), lambda: "%.6g" % state["loss"].item()


def sgemm(device):
    g = torch.Generator().manual_seed(2)
    a = torch.randn(SGEMM_N, SGEMM_N, generator=g).to(device)
    b = torch.randn(SGEMM_N, SGEMM_N, generator=g).to(device)
    state = {}

    def step():
        with torch.no_grad():
            state["c"] = a.mm(b)

    return step, lambda: "%.6g" % state["c"][7, 13].item()


def autograd_overhead(device):
    assert device.type == "cpu", "main() checked that this case runs on the cpu"
    x0 = torch.tensor(1.0, requires_grad=True)
    fwd_ms, bwd_ms = [], []

    def step():
        t0 = time.perf_counter_ns()
        x0.grad = None
        x = x0
        for _ in range(CHAIN_OPS // 2):
            x = x.mul(1.0001).add(0.0001)
        t1 = time.perf_counter_ns()
        x.backward()
        t2 = time.perf_counter_ns()
        fwd_ms.append((t1 - t0) / 1e6)
        bwd_ms.append((t2 - t1) / 1e6)

    def reset():
        fwd_ms.clear()
        bwd_ms.clear()

    def extra():
        return " fwd_us_per_op=%.3f bwd_us_per_op=%.3f" % (
            statistics.median(fwd_ms) * 1e3 / CHAIN_OPS, statistics.median(bwd_ms) * 1e3 / CHAIN_OPS)

    step.reset, step.extra = reset, extra
    return step, lambda: "%.6g" % x0.grad.item()


def d2l_step(device):
    assert device.type == "cpu", "main() checked that this case runs on the cpu"
    from torch import nn
    from torch.utils import data
    g = torch.Generator().manual_seed(3)
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    features = torch.normal(0, 1, (1000, 2), generator=g)
    labels = (features.matmul(true_w) + true_b + torch.normal(0, 0.01, (1000,), generator=g)).reshape(-1, 1)
    loader = data.DataLoader(data.TensorDataset(features, labels), 10, shuffle=True,
                             generator=torch.Generator().manual_seed(3))
    net = nn.Sequential(nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.normal_(0, 0.01, generator=g)
        net[0].bias.fill_(0)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=0.03)
    state = {"it": iter(loader)}
    ph = Phases(device, "data", "fwd", "bwd", "sgd")

    def step():
        ph.start()
        try:
            x, y = next(state["it"])
        except StopIteration:
            state["it"] = iter(loader)
            x, y = next(state["it"])
        ph.mark(0)
        l = loss(net(x), y)
        ph.mark(1)
        trainer.zero_grad()
        l.backward()
        ph.mark(2)
        trainer.step()
        ph.mark(3)

    def check():
        with torch.no_grad():
            return "%.6g" % loss(net(features), labels).item()

    return with_phases(step, ph), check


def seed_mlp_nn(device):
    from torch import nn
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1000, generator=g).to(device)
    y = torch.randn(64, 10, generator=g).to(device)
    torch.manual_seed(0)  # nn.Linear draws its initial weights from the default generator
    net = nn.Sequential(nn.Linear(1000, 100), nn.ReLU(), nn.Linear(100, 10)).to(device)
    loss_fn = nn.MSELoss(reduction="sum")
    opt = torch.optim.SGD(net.parameters(), lr=1e-5)
    state = {}
    ph = Phases(device, "fwd", "bwd", "sgd")

    def step():
        ph.start()
        loss = loss_fn(net(x), y)
        ph.mark(0)
        opt.zero_grad()
        loss.backward()
        ph.mark(1)
        opt.step()
        ph.mark(2)
        state["loss"] = loss

    return with_phases(step, ph), lambda: "%.6g" % state["loss"].item()


BUILDERS = {"seed_mlp": seed_mlp, "large_mlp": large_mlp, "sgemm": sgemm, "autograd_overhead": autograd_overhead,
            "d2l_step": d2l_step, "seed_mlp_nn": seed_mlp_nn}


def blas_libraries():
    """The BLAS-like shared libraries mapped into this process (after a matmul has run)."""
    found = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                at = line.find("/")
                if at < 0:
                    continue
                path = line[at:].strip()
                name = os.path.basename(path)
                if (name.startswith(("libblas", "libopenblas", "libblis", "libmkl", "libcblas")) or "mkl_rt" in name) \
                        and path not in found:
                    found.append(path)
    except OSError:
        pass
    return [os.path.realpath(p) for p in found]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", default="all")
    ap.add_argument("--warmup", type=int)
    ap.add_argument("--iters", type=int)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    ap.add_argument("--show-config", action="store_true", help="also print torch.__config__.show()")
    args = ap.parse_args()

    try:
        device = torch.device(args.device)
    except RuntimeError as e:
        ap.error("--device: expected cpu, cuda or cuda:N, got %r (%s)" % (args.device, e))
    if device.type not in ("cpu", "cuda"):
        ap.error("--device: expected cpu, cuda or cuda:N, got %r" % args.device)
    cases = (CASES if device.type == "cpu" else DEVICE_CASES) if args.case == "all" else args.case.split(",")
    for name in cases:
        if name not in BUILDERS:
            sys.exit("unknown case %s; one of %s" % (name, CASES))
        if device.type != "cpu" and name not in DEVICE_CASES:
            sys.exit("case %s measures CPU overhead and runs on the cpu only, got --device %s; on %s run one of %s"
                     % (name, device, device, DEVICE_CASES))
    if device.type == "cuda":
        reason = None
        if not torch.cuda.is_available():
            reason = "torch.cuda.is_available() is False"
        elif (device.index or 0) >= torch.cuda.device_count():
            reason = "torch.cuda.device_count() is %d" % torch.cuda.device_count()
        if reason:
            print("unavailable device=%s reason=%s" % (device, reason), flush=True)
            sys.exit(UNAVAILABLE)
    sync = synchronizer(device)

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.mm(torch.ones(4, 4), torch.ones(4, 4))  # load the BLAS before looking for it
    blas = ",".join(blas_libraries()) or "unknown"
    build = "unknown"
    try:
        m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
        if m:
            build = m.group(1)
    except Exception:  # noqa: BLE001 - informational only
        pass
    gpu = ""
    if device.type == "cuda":
        gpu = " gpu=%s cuda=%s tf32_matmul=%s" % (torch.cuda.get_device_name(device).replace(" ", "_"),
                                                  torch.version.cuda, torch.backends.cuda.matmul.allow_tf32)
    print("info impl=torch threads=%d device=%s torch=%s blas_build=%s blas=%s omp=%s openblas_threads=%s%s"
          % (torch.get_num_threads(), device, torch.__version__, build, blas,
             os.environ.get("OMP_NUM_THREADS", "unset"), os.environ.get("OPENBLAS_NUM_THREADS", "unset"), gpu))
    if args.show_config:
        print(torch.__config__.show(), file=sys.stderr)

    for name in cases:
        step, check = BUILDERS[name](device)
        warmup = args.warmup if args.warmup is not None else DEFAULT_WARMUP[name]
        iters = args.iters if args.iters is not None else DEFAULT_ITERS[name]
        for _ in range(warmup):
            step()
            sync()
        getattr(step, "reset", lambda: None)()
        ms = []
        for _ in range(iters):
            t0 = time.perf_counter_ns()
            step()
            sync()
            ms.append((time.perf_counter_ns() - t0) / 1e6)
        median = statistics.median(ms)
        mean = statistics.fmean(ms)
        line = ("case=%s impl=torch threads=%d device=%s warmup=%d iters=%d ms_per_step=%.4f median_ms=%.4f mean_ms=%.4f"
                " min_ms=%.4f" % (name, torch.get_num_threads(), device, warmup, iters, median, median, mean, min(ms)))
        if name == "large_mlp":
            line += " gflops=%.2f" % (large_mlp_flops() / (median * 1e6))
        elif name == "sgemm":
            line += " gflops=%.2f" % (2.0 * SGEMM_N ** 3 / (median * 1e6))
        elif name == "autograd_overhead":
            line += " us_per_op=%.3f" % (median * 1e3 / CHAIN_OPS)
        line += getattr(step, "extra", lambda: "")() + " check=" + check()
        print(line, flush=True)


if __name__ == "__main__":
    main()
