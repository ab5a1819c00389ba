"""Records what the seed tutorials' code prints when run in PyTorch, on the data our programs make.

Run with Debian's torch (CI has none, so the output files are committed):
    /usr/bin/python3 jobs/src/test/resources/seeds/record.py
It writes the *.txt files next to it; the jobs' SeedRecordingsTest compares our programs' output with them.

Where a seed draws unseeded random numbers (004's points, 000's network, 003's data), this script draws the
same numbers our programs draw: Generator is a port of org.sparkgrad.engine.Generator (java.util.SplittableRandom
and Marsaglia's polar method), so the seed's loop runs here on exactly our program's data.
"""
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
M64 = (1 << 64) - 1


class Generator:
    """org.sparkgrad.engine.Generator: SplittableRandom(seed) doubles, normals by the polar method."""

    def __init__(self, seed):
        self.seed = seed & M64
        self.spare = None

    def _next_long(self):
        self.seed = (self.seed + 0x9E3779B97F4A7C15) & M64
        z = self.seed
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def uniform(self):
        return (self._next_long() >> 11) * 2.0 ** -53

    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        while True:
            u = self.uniform() * 2 - 1
            v = self.uniform() * 2 - 1
            s = u * u + v * v
            if 0 < s < 1:
                break
        m = math.sqrt(-2 * math.log(s) / s)
        self.spare = v * m
        return u * m

    def randn(self, *shape, mean=0.0, std=1.0):
        n = math.prod(shape)
        return torch.tensor([mean + std * self.normal() for _ in range(n)], dtype=torch.float32).reshape(shape)


def write(name, lines):
    with open(os.path.join(HERE, name), "w") as f:
        f.write("\n".join(lines) + "\n")


def generator():
    g = Generator(42)
    write("generator.txt", [repr(g.normal()) for _ in range(6)])


def line_fit(seed=42, noise=2.0, n=100, every=50):
    """Seed 004's loop (lr 1e-9, no zeroing of the gradients) on LineFit.points(100, 2, 42)."""
    g = Generator(seed)
    step = 100.0 / (n - 1)
    xs, ys = [], []
    for i in range(n):
        xi = i * step
        xs.append(xi + noise * g.normal())
        ys.append(2.5 * xi + 1.0 + noise * g.normal())
    X = torch.tensor(xs, dtype=torch.float32)
    Y = torch.tensor(ys, dtype=torch.float32)
    lr = 1e-9
    iA, iB = torch.Tensor([0]), torch.Tensor([0])
    iA.requires_grad = True
    iB.requires_grad = True
    best_loss, best_a, best_b = float("inf"), 0.0, 0.0
    lines = []
    for epoch in range(1, 1001):
        loss = torch.mean((iA * X - Y + iB) ** 2 / (iA ** 2 + 1))
        loss.backward()
        if epoch == 1 or epoch % every == 0:
            lines.append("epoch %d loss %.9g a %.9g b %.9g" % (epoch, loss.item(), iA.item(), iB.item()))
        with torch.no_grad():
            iA -= lr * iA.grad
            iB -= lr * iB.grad
            cur_loss = loss.item()
            if cur_loss < best_loss:
                best_a = iA.item()
                best_b = iB.item()
                best_loss = cur_loss
    lines.append("best %r %r %r" % (best_a, best_b, best_loss))
    write("line-fit.txt", lines)


def manual_vs_autograd(seed=0, every=50):
    """Seed 000's network and hand-written backpropagation, on ManualVsAutograd's data and initial weights."""
    M, input_size, hidden_size, output_size = 64, 1000, 100, 10
    g = Generator(seed)
    x = g.randn(M, input_size)
    y = g.randn(M, output_size)
    parameters = {"w1": g.randn(input_size, hidden_size), "w2": g.randn(hidden_size, output_size),
                  "b1": g.randn(1, hidden_size), "b2": g.randn(1, output_size)}

    def model(x, parameters):
        Z1 = x.mm(parameters["w1"]) + parameters["b1"]
        A1 = Z1.clamp(min=0)
        Z2 = A1.mm(parameters["w2"]) + parameters["b2"]
        return Z2, {"Z1": Z1, "A1": A1}

    def backpropogation(x, y, y_pred, cache, parameters):
        m = y.size()[0]
        d_y_pred = 1 / m * (y_pred - y)
        d_w2 = 1 / m * cache["A1"].t().mm(d_y_pred)
        d_b2 = 1 / m * torch.sum(d_y_pred, 0, keepdim=True)
        d_A1 = d_y_pred.mm(parameters["w2"].t())
        d_Z1 = d_A1.clone()
        d_Z1[cache["Z1"] < 0] = 0
        d_w1 = 1 / m * x.t().mm(d_Z1)
        d_b1 = 1 / m * torch.sum(d_Z1, 0, keepdim=True)
        return {"d_w1": d_w1, "d_b1": d_b1, "d_w2": d_w2, "d_b2": d_b2}

    lines = []
    for t in range(400):
        y_pred, cache = model(x, parameters)
        loss = (y_pred - y).pow(2).sum()
        if (t + 1) % every == 0:
            lines.append("%d %.9g" % (t + 1, loss.item()))
        grads = backpropogation(x, y, y_pred, cache, parameters)
        for k in ("w1", "w2", "b1", "b2"):
            parameters[k] -= 1e-2 * grads["d_" + k]
    write("manual-vs-autograd.txt", lines)


def linear_regression(seed=0, shuffles=(0, 1, 2, 3, 4)):
    """Seed 003's loop on LinearRegression's data and initial weights; the batch order is torch's, one line
    of epoch losses (the loss over all rows after each epoch, as the seed prints) per shuffle seed."""
    g = Generator(seed)
    true_w = torch.tensor([2, -3.4])
    X = g.randn(1000, 2)
    noise = g.randn(1000, std=0.01)
    labels = (torch.matmul(X, true_w) + 4.2 + noise).reshape((-1, 1))
    w0 = Generator(seed + 1).randn(1, 2, std=0.01)
    lines = ["noise %.9g" % noise.pow(2).mean().item()]
    for s in shuffles:
        torch.manual_seed(s)
        data_iter = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, labels), 10, shuffle=True)
        net = torch.nn.Sequential(torch.nn.Linear(2, 1))
        with torch.no_grad():
            net[0].weight.copy_(w0)
            net[0].bias.fill_(0)
        loss = torch.nn.MSELoss()
        trainer = torch.optim.SGD(net.parameters(), lr=0.03)
        losses = []
        for epoch in range(3):
            for xb, yb in data_iter:
                l = loss(net(xb), yb)
                trainer.zero_grad()
                l.backward()
                trainer.step()
            with torch.no_grad():
                losses.append("%.9g" % loss(net(X), labels).item())
        lines.append(" ".join(losses))
    write("linear-regression.txt", lines)


def descent():
    """Seed 002's free exercise, verbatim."""
    lines = []
    learning_rate = 0.1
    x = torch.Tensor([11, 2.0])
    x.requires_grad_(True)
    ys = []
    for i in range(1000):
        y = 2 * (x[0] ** 2) + 4 * x[1] ** 2
        y.backward()
        if len(ys) and y >= ys[-1]:
            break
        ys.append(y)
        lines.append("%s %s %s" % (y, i, x.grad))
        with torch.no_grad():
            x -= learning_rate * x.grad
        x.grad.zero_()
    write("descent.txt", lines)


def autograd_demo(seed=0):
    """The seeds' autograd cells (000, 001, 002/003, 002's descent) as AutogradDemo groups them, verbatim."""
    out = []

    def p(*values):
        out.append(" ".join(str(v) for v in values))

    p("== seed 000: f(x) = 3x^3 + 4x^2 + 6 at 1, and mean(f(x)) at [[1, 2], [3, 4]]")

    def fn(x):
        return 3 * x.pow(3) + 4 * x.pow(2) + 6

    x1 = torch.tensor([1.0], requires_grad=True)
    y1 = fn(x1)
    p(y1)
    y1.backward()
    p(x1.grad)
    x2 = torch.tensor([[1.0, 2], [3, 4]], requires_grad=True)
    fn(x2).mean().backward()
    p(x2.grad)

    p("== seed 001: out = mean(3 (x + 2)^2)")
    x = torch.ones(2, 2, requires_grad=True)
    p(x)
    y = x + 2
    p(y)
    z = y * y * 3
    o = z.mean()
    p(z, o)
    o.backward()
    p(x.grad)

    p("== seed 001: a vector-Jacobian product")
    x = Generator(seed).randn(3).requires_grad_()
    p(x)
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    p(y)
    y.backward(torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float))
    p(x.grad)

    p("== seed 001: z = (x + 2)^2, backward(ones_like(x)), no_grad")
    x = torch.tensor([[1, 2, 4], [3, 1, 2]], dtype=torch.float, requires_grad=True)
    p(x)
    y = x + 2
    z = y * y
    p(z)
    z.backward(torch.ones_like(x))
    p(x.grad)
    p(x.requires_grad)
    p((x ** 2).requires_grad)
    with torch.no_grad():
        p((x ** 2).requires_grad)
    p((x ** 2).requires_grad)

    p("== seeds 002, 003: y = 2 x.x, then x.sum()")
    x = torch.arange(4.0)
    p(x)
    x.requires_grad_(True)
    y = 2 * x.T @ x
    p(y)
    y.backward()
    p(x.grad)
    p(x.grad == 4 * x)
    x.grad.zero_()
    y = x.sum()
    y.backward()
    p(x.grad)

    p("== seed 002: y = 2 x1^3 + 3 x1 x2 + 4 x2 at [1, 2]")
    x = torch.Tensor([1, 2])
    x.requires_grad_(True)
    y = 2 * (x[0] ** 3) + 3 * x[0] * x[1] + 4 * x[1]
    y.backward()
    p(x.grad)

    p("== seed 002: gradient descent on 2 x0^2 + 4 x1^2")
    with open(os.path.join(HERE, "descent.txt")) as f:
        out.extend(f.read().splitlines())
    write("autograd-demo.txt", out)


if __name__ == "__main__":
    torch.set_num_threads(1)
    generator()
    line_fit()
    manual_vs_autograd()
    linear_regression()
    descent()
    autograd_demo()
