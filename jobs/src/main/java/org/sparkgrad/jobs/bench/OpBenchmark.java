package org.sparkgrad.jobs.bench;

import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.CrossEntropyLoss;
import org.sparkgrad.engine.nn.F;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.ReLU;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.nn.Sigmoid;
import org.sparkgrad.engine.nn.Tanh;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.jobs.Options;

/**
 * The per-op matrix: times each engine op, forward and forward+backward, at a few sizes, plus small MLP
 * training steps; bench/torch_op_bench.py runs the same cases in PyTorch and bench/run-op-bench.sh puts the
 * two side by side. A benchmark, not a test: it asserts nothing about speed.
 *
 * <p>Both sides build their inputs from {@link #uniform}, an integer hash of the element index that PyTorch
 * computes identically in int64 and float64, so that no data has to be exchanged. Each case prints
 * {@code case=NAME ms=MEDIAN iters=N check=C mag=M}: C is {@code sum(v * w)} over the first step's result
 * (the output for a forward case, the inputs' gradients for a forward+backward case, the loss and the
 * parameters' gradients for an MLP step) with fixed weights w = {@code uniform(i, WEIGHT_SEED) - 0.5}, and M
 * is {@code sum(|v * w|)}, the scale against which the script compares the two sides' C. The positional
 * weights make a permuted or transposed result differ from the right one.
 *
 * <p>Forward cases run on inputs without grad (no graph is recorded); forward+backward cases clear the
 * inputs' gradients, run the op and call {@code backward} with a fixed upstream gradient of the output's
 * shape. Every case runs once for the check, then warms up for at least {@code --warmup-ms} (and 2 steps)
 * and then until its step time has settled (see {@link #settle}), then is timed for at least
 * {@code --time-ms} and {@code --min-iters} steps (at most {@code --max-iters}); the median step is reported,
 * and the whole warmup's length as {@code warm=MS}.
 *
 * <p>Options: {@link #OPTIONS} ({@code --help} lists them with their defaults). The thread count is
 * fixed when the JVM starts ({@code -Dsparkgrad.threads=N}, see bench/run-op-bench.sh).
 */
public final class OpBenchmark {
    /** The benchmark's options. */
    static final Options.Spec OPTIONS = new Options.Spec("OpBenchmark")
            .intList("sizes", "65536,4194304", 64, "element counts of the op cases (multiples of 64)")
            .intList("batches", "256,65536", 1, "batch sizes of the MLP training steps")
            .text("match", "", "a regular expression: only cases whose name it finds run")
            .number("warmup-ms", 200, Options.Range.NON_NEGATIVE, "untimed time per case (at least 2 steps)")
            .number("settle-max-ms", 10000, Options.Range.NON_NEGATIVE,
                    "the longest a case may warm up waiting for its step time to settle")
            .number("time-ms", 300, Options.Range.NON_NEGATIVE, "timed time per case")
            .intOption("min-iters", 5, 1, "timed steps per case, at least")
            .intOption("max-iters", 2000, 1, "timed steps per case, at most");

    /** The fewest steps of one {@link #settle} window. */
    static final int SETTLE_STEPS = 5;
    /** The shortest {@link #settle} window. */
    static final double SETTLE_WINDOW_MS = 100;
    /** The seed of the checksum weights. */
    static final int WEIGHT_SEED = 999;
    /** The seed of the upstream gradients. */
    static final int UPSTREAM_SEED = 77;
    /** The width of the [N/64, 64] ("tall") and [64, N/64] ("wide") matrices. */
    static final int WIDTH = 64;
    static final int[] MLP_DIMS = {32, 64, 64, 10};
    static final double MLP_LR = 0.01;

    private OpBenchmark() {
    }

    /** A named benchmark step, its inputs made. */
    interface Case {
        String name();

        /** Runs the first step; returns {check, mag}. */
        double[] first();

        void step();
    }

    public static void main(String[] args) {
        run(args, System.out);
    }

    /** Runs the cases the arguments select, printing an info line and one line per case. */
    static void run(String[] args, PrintStream out) {
        Options o;
        try {
            o = OPTIONS.parse(args);
        } catch (Options.HelpRequested help) {
            out.print(help.getMessage());
            return;
        }
        Pattern match = Pattern.compile(o.text("match"));
        double warmupMs = o.number("warmup-ms");
        double settleMaxMs = o.number("settle-max-ms");
        double timeMs = o.number("time-ms");
        int minIters = o.intValue("min-iters");
        int maxIters = o.intValue("max-iters");
        out.println("info impl=java threads=" + Runtime.getRuntime().availableProcessors() + " sparkgrad_threads="
                + System.getProperty("sparkgrad.threads", "unset") + " java=" + System.getProperty("java.version"));
        for (Supplier<Case> s : cases(o.ints("sizes"), o.ints("batches"), match)) {
            Case c = s.get();
            double[] check = c.first();
            long w0 = System.nanoTime();
            warmUp(c, warmupMs, settleMaxMs);
            double warmMs = (System.nanoTime() - w0) / 1e6;
            double[] ms = time(c, timeMs, minIters, maxIters);
            out.println(String.format(Locale.ROOT, "case=%s ms=%.4f iters=%d check=%.10g mag=%.10g warm=%.0f mean=%.4f",
                    c.name(), EngineBenchmark.median(ms), ms.length, check[0], check[1], warmMs,
                    Arrays.stream(ms).average().orElse(Double.NaN)));
        }
    }

    /** The untimed steps: at least 2 and {@code warmupMs}, then {@link #settle}. */
    private static void warmUp(Case c, double warmupMs, double settleMaxMs) {
        long t0 = System.nanoTime();
        for (int i = 0; i < 2 || (System.nanoTime() - t0) / 1e6 < warmupMs; i++) {
            c.step();
        }
        settle(c, settleMaxMs);
    }

    /**
     * Steps in windows (at least {@link #SETTLE_STEPS} steps and {@link #SETTLE_WINDOW_MS}) until two windows
     * in a row have run with the JIT idle (no compilation time added, where the JVM reports it) and with a
     * median step no faster than 0.97 times the best window before them; for at most {@code maxMs}. A fixed
     * warmup is not enough on the JVM: each case brings new SIMD loops, which run ten times slower or more
     * until C2 has compiled them, and on 2 cores C2's queue can hold them for a second or more while the step
     * time stays flat (the same median rule runs in bench/torch_op_bench.py, where it ends after the first
     * windows).
     */
    private static void settle(Case c, double maxMs) {
        long t0 = System.nanoTime();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        double best = Double.POSITIVE_INFINITY;
        int calm = 0;
        while (calm < 2 && (System.nanoTime() - t0) / 1e6 < maxMs) {
            long compiledBefore = jitTimed ? jit.getTotalCompilationTime() : 0;
            List<Double> window = new ArrayList<>();
            long w0 = System.nanoTime();
            while (window.size() < SETTLE_STEPS || (System.nanoTime() - w0) / 1e6 < SETTLE_WINDOW_MS) {
                long s = System.nanoTime();
                c.step();
                window.add((System.nanoTime() - s) / 1e6);
            }
            double m = EngineBenchmark.median(window.stream().mapToDouble(Double::doubleValue).toArray());
            boolean jitIdle = !jitTimed || jit.getTotalCompilationTime() == compiledBefore;
            calm = jitIdle && m >= 0.97 * best ? calm + 1 : 0;
            best = Math.min(best, m);
        }
    }

    /** The timed steps' times in ms. */
    private static double[] time(Case c, double timeMs, int minIters, int maxIters) {
        List<Double> ms = new ArrayList<>();
        long start = System.nanoTime();
        while (ms.size() < maxIters && (ms.size() < minIters || (System.nanoTime() - start) / 1e6 < timeMs)) {
            long s = System.nanoTime();
            c.step();
            ms.add((System.nanoTime() - s) / 1e6);
        }
        return ms.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** 65536 -> 64k, 4194304 -> 4M, other counts as they are. */
    static String label(int n) {
        if (n % (1 << 20) == 0) {
            return n / (1 << 20) + "M";
        }
        return n % 1024 == 0 ? n / 1024 + "k" : Integer.toString(n);
    }

    // ---------------------------------------------------------------------------------------------------
    // Deterministic inputs, computed identically by bench/torch_op_bench.py.

    /** A value in [0, 1) from the index i and a seed (a 32-bit multiplicative hash with one xor-shift mix). */
    static double uniform(long i, int seed) {
        long h = ((i + seed * 1000003L) * 2654435761L) & 0xFFFFFFFFL;
        h = ((h ^ (h >>> 16)) * 0x45d9f3bL) & 0xFFFFFFFFL;
        h ^= h >>> 16;
        return h / 4294967296.0;
    }

    /** A float32 tensor with element i = (float) (lo + (hi - lo) * uniform(i, seed)). */
    static Tensor pattern(int seed, double lo, double hi, int... shape) {
        float[] v = new float[numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (lo + (hi - lo) * uniform(i, seed));
        }
        return Tensor.tensor(v, shape);
    }

    /** An int64 tensor with element i = floor(uniform(i, seed) * bound), in [0, bound). */
    static Tensor indices(int seed, int bound, int... shape) {
        double[] v = new double[numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.floor(uniform(i, seed) * bound);
        }
        return Tensor.tensor(v, DType.INT64, shape);
    }

    /** Distinct float32 values (i * 2654435761 mod n) / n, n the element count, so that max has no ties. */
    static Tensor distinct(int... shape) {
        int n = numel(shape);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (((i * 2654435761L) % n) / (double) n);
        }
        return Tensor.tensor(v, shape);
    }

    private static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Adds sum(v * w) and sum(|v * w|) of t's elements (row-major) to acc. */
    static void accumulate(Tensor t, double[] acc) {
        double[] v = t.toArray();
        for (int i = 0; i < v.length; i++) {
            double x = v[i] * (uniform(i, WEIGHT_SEED) - 0.5);
            acc[0] += x;
            acc[1] += Math.abs(x);
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // The cases, in the order bench/torch_op_bench.py lists them.

    /** One op on its float inputs (made fresh per case by inputs); the other operands are captured in op. */
    private record OpCase(String name, Supplier<Tensor[]> inputs, Function<Tensor[], Tensor> op, boolean backward) {
        /** The case with its inputs made (once), and its upstream gradient. */
        Case bind() {
            Tensor[] in = inputs.get();
            if (backward) {
                for (Tensor t : in) {
                    t.requiresGrad_();
                }
            }
            return new Case() {
                Tensor upstream;

                @Override
                public String name() {
                    return name;
                }

                @Override
                public double[] first() {
                    Tensor out = op.apply(in);
                    double[] acc = new double[2];
                    if (!backward) {
                        accumulate(out, acc);
                        return acc;
                    }
                    upstream = pattern(UPSTREAM_SEED, -1, 1, out.shape());
                    out.backward(upstream);
                    for (Tensor t : in) {
                        accumulate(t.grad(), acc);
                    }
                    return acc;
                }

                @Override
                public void step() {
                    if (!backward) {
                        op.apply(in);
                        return;
                    }
                    for (Tensor t : in) {
                        t.setGrad(null);
                    }
                    op.apply(in).backward(upstream);
                }
            };
        }
    }

    /** The unary ops: name, input range, op. */
    private record Unary(String name, double lo, double hi, Function<Tensor, Tensor> op) {
    }

    static final List<Unary> UNARY = List.of(
            new Unary("exp", -2, 2, Tensor::exp), new Unary("log", 0.1, 2.1, Tensor::log),
            new Unary("sqrt", 0.1, 2.1, Tensor::sqrt), new Unary("abs", -1, 1, Tensor::abs),
            new Unary("neg", -1, 1, Tensor::neg), new Unary("sin", -3, 3, Tensor::sin),
            new Unary("cos", -3, 3, Tensor::cos), new Unary("tanh", -3, 3, Tensor::tanh),
            new Unary("sigmoid", -4, 4, Tensor::sigmoid), new Unary("relu", -1, 1, Tensor::relu),
            new Unary("clamp", -1, 1, t -> t.clamp(-0.5, 0.5)), new Unary("pow2", -1, 1, t -> t.pow(2.0)),
            new Unary("pow1.5", 0.1, 2.1, t -> t.pow(1.5)));

    /** The binary ops: name, op. */
    private record Binary(String name, BinaryOperator<Tensor> op) {
    }

    static final List<Binary> BINARY = List.of(new Binary("add", Tensor::add), new Binary("sub", Tensor::sub),
            new Binary("mul", Tensor::mul), new Binary("div", Tensor::div));

    /** Every case the sizes and batches give whose name contains a match of match, in a fixed order. */
    static List<Supplier<Case>> cases(int[] sizes, int[] batches, Pattern match) {
        List<OpCase> ops = new ArrayList<>();
        for (int n : sizes) {
            if (n % WIDTH != 0) {
                throw new IllegalArgumentException("--sizes must be multiples of " + WIDTH + ", got " + n);
            }
            opCases(n, ops);
        }
        List<Supplier<Case>> out = new ArrayList<>();
        for (OpCase c : ops) {
            if (match.matcher(c.name()).find()) {
                out.add(c::bind);
            }
        }
        for (int b : batches) {
            for (String act : List.of("sigmoid", "tanh", "relu")) {
                for (String loss : List.of("mse", "ce")) {
                    String name = "mlp_" + act + "_" + loss + "_b" + b;
                    if (match.matcher(name).find()) {
                        out.add(() -> new MlpCase(name, act, loss, b));
                    }
                }
            }
        }
        return out;
    }

    private static void opCases(int n, List<OpCase> out) {
        int r = n / WIDTH;
        int c = WIDTH;
        String size = label(n);
        for (boolean bwd : new boolean[] {false, true}) {
            String mode = bwd ? "fwdbwd" : "fwd";
            String suffix = "_" + size + "_" + mode;
            for (Unary u : UNARY) {
                out.add(new OpCase(u.name() + suffix, () -> new Tensor[] {pattern(1, u.lo(), u.hi(), r, c)},
                        in -> u.op().apply(in[0]), bwd));
            }
            for (Binary b : BINARY) {
                double lo = b.name().equals("div") ? 0.5 : -1;
                double hi = b.name().equals("div") ? 1.5 : 1;
                int[][] other = {{r, c}, {1, c}, {r, 1}, {}};
                String[] kinds = {"", "_row", "_col", "_scalar"};
                for (int k = 0; k < kinds.length; k++) {
                    int[] shape = other[k];
                    out.add(new OpCase(b.name() + kinds[k] + suffix,
                            () -> new Tensor[] {pattern(1, -1, 1, r, c), pattern(2, lo, hi, shape)},
                            in -> b.op().apply(in[0], in[1]), bwd));
                }
            }
            for (String red : List.of("sum", "mean", "max")) {
                Function<int[], Tensor> input = shape -> red.equals("max") ? distinct(shape) : pattern(1, -1, 1, shape);
                out.add(new OpCase(red + "_all" + suffix, () -> new Tensor[] {input.apply(new int[] {r, c})},
                        in -> reduceAll(red, in[0]), bwd));
                for (int dim : new int[] {0, 1}) {
                    for (boolean tall : new boolean[] {true, false}) {
                        int[] shape = tall ? new int[] {r, c} : new int[] {c, r};
                        out.add(new OpCase(red + (dim == 0 ? "_dim0" : "_last") + (tall ? "_tall" : "_wide") + suffix,
                                () -> new Tensor[] {input.apply(shape)}, in -> reduceDim(red, in[0], dim), bwd));
                    }
                }
            }
            out.add(new OpCase("softmax" + suffix, () -> new Tensor[] {pattern(1, -3, 3, r, c)},
                    in -> in[0].softmax(1), bwd));
            out.add(new OpCase("log_softmax" + suffix, () -> new Tensor[] {pattern(1, -3, 3, r, c)},
                    in -> in[0].logSoftmax(1), bwd));
            Tensor targets = indices(5, c, r);
            out.add(new OpCase("cross_entropy" + suffix, () -> new Tensor[] {pattern(1, -3, 3, r, c)},
                    in -> F.crossEntropy(in[0], targets), bwd));
            out.add(new OpCase("transpose_contiguous" + suffix, () -> new Tensor[] {pattern(1, -1, 1, r, c)},
                    in -> in[0].t().contiguous(), bwd));
            out.add(new OpCase("cat" + suffix,
                    () -> new Tensor[] {pattern(1, -1, 1, r, c / 2), pattern(2, -1, 1, r, c / 2)},
                    in -> Tensor.cat(1, in[0], in[1]), bwd));
            Tensor rows = indices(6, r, r);
            out.add(new OpCase("index_select" + suffix, () -> new Tensor[] {pattern(1, -1, 1, r, c)},
                    in -> in[0].indexSelect(0, rows), bwd));
            Tensor cols = indices(7, c, r, c);
            out.add(new OpCase("gather" + suffix, () -> new Tensor[] {pattern(1, -1, 1, r, c)},
                    in -> in[0].gather(1, cols), bwd));
        }
    }

    private static Tensor reduceAll(String red, Tensor x) {
        return switch (red) {
            case "sum" -> x.sum();
            case "mean" -> x.mean();
            default -> x.max();
        };
    }

    private static Tensor reduceDim(String red, Tensor x, int dim) {
        return switch (red) {
            case "sum" -> x.sum(dim);
            case "mean" -> x.mean(dim);
            default -> x.max(dim).values();
        };
    }

    /**
     * One training step of Linear(32, 64), act, Linear(64, 64), act, Linear(64, 10) with SGD: zero_grad
     * (to None), forward, loss (MSE against [B, 10] targets, or cross entropy against classes), backward, step.
     * The check is the first step's loss plus the weighted sum of its gradients.
     */
    static final class MlpCase implements Case {
        private final String name;
        private final Sequential net;
        private final Loss loss;
        private final Tensor x;
        private final Tensor y;
        private final SGD opt;
        private Tensor last;

        MlpCase(String name, String act, String lossName, int batch) {
            this.name = name;
            List<Module> layers = new ArrayList<>();
            for (int i = 0; i + 1 < MLP_DIMS.length; i++) {
                Linear l = new Linear(MLP_DIMS[i], MLP_DIMS[i + 1]);
                double bound = 1 / Math.sqrt(MLP_DIMS[i]);
                try (GradMode.Scope s = GradMode.noGrad()) {
                    l.weight().copy_(pattern(10 + 2 * i, -bound, bound, MLP_DIMS[i + 1], MLP_DIMS[i]));
                    l.bias().copy_(pattern(11 + 2 * i, -bound, bound, MLP_DIMS[i + 1]));
                }
                layers.add(l);
                if (i + 2 < MLP_DIMS.length) {
                    layers.add(switch (act) {
                        case "sigmoid" -> new Sigmoid();
                        case "tanh" -> new Tanh();
                        default -> new ReLU();
                    });
                }
            }
            net = new Sequential(layers.toArray(new Module[0]));
            int classes = MLP_DIMS[MLP_DIMS.length - 1];
            x = pattern(20, -1, 1, batch, MLP_DIMS[0]);
            boolean ce = lossName.equals("ce");
            y = ce ? indices(21, classes, batch) : pattern(21, -1, 1, batch, classes);
            loss = ce ? new CrossEntropyLoss() : new MSELoss();
            opt = new SGD(net.parameters(), MLP_LR);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public double[] first() {
            step();
            double l = last.item();
            double[] acc = {l, Math.abs(l)};
            for (Tensor p : net.parameters()) {
                accumulate(p.grad(), acc);
            }
            return acc;
        }

        @Override
        public void step() {
            opt.zeroGrad();
            last = loss.forward(net.forward(x), y);
            last.backward();
            opt.step();
        }
    }
}
