package org.sparkgrad.jobs.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Devices;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.backend.Blas;
import org.sparkgrad.engine.data.DataLoader;
import org.sparkgrad.engine.data.SyntheticData;
import org.sparkgrad.engine.data.TensorDataset;
import org.sparkgrad.engine.nn.Init;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.ReLU;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.jobs.Options;

/**
 * Times the engine on six cases that bench/torch_engine_bench.py runs identically in PyTorch, printing
 * one machine-parsable line per case ({@code key=value} pairs separated by spaces). A benchmark, not a
 * test: it asserts nothing about speed.
 *
 * <ul>
 *   <li>{@code seed_mlp}: the seed tutorial's training step (64x1000 -> 100 -> 10, sum of squares, SGD);</li>
 *   <li>{@code large_mlp}: batch 256, 1024 -> 4096 -> 4096 -> 10 with ReLU, MSE, SGD; GFLOP/s counts
 *       6 * B * sum(in * out) per step (the forward and both backward matrix products);</li>
 *   <li>{@code sgemm}: a 1024^3 float32 product without grad, 2 n^3 / time;</li>
 *   <li>{@code autograd_overhead}: 10,000 scalar ops (5,000 x mul then add) forward and backward, in
 *       microseconds per op;</li>
 *   <li>{@code d2l_step}: the d2l seed's training step: the next batch of 10 from a shuffling DataLoader over
 *       1000 synthetic samples (a new epoch when one runs out), {@code Sequential(Linear(2, 1))}, MSELoss,
 *       zero_grad, backward, SGD (lr 0.03) step; phases data/fwd/bwd/sgd (bwd includes zero_grad);</li>
 *   <li>{@code seed_mlp_nn}: seed_mlp written with nn and optim: {@code Sequential(Linear(1000, 100), ReLU,
 *       Linear(100, 10))} on a fixed batch of 64, MSELoss(reduction=sum), SGD (lr 1e-5, so that the loss is still
 *       well above 0 after the default 1500 steps); phases fwd/bwd/sgd
 *       (bwd includes zero_grad).</li>
 * </ul>
 *
 * Arguments: {@link #OPTIONS} ({@code --help} lists them); {@code --threads N} is checked, not set: the thread
 * counts must be fixed when the JVM starts, with {@code -XX:ActiveProcessorCount=N -Dsparkgrad.threads=N} and
 * {@code OPENBLAS_NUM_THREADS=N} (see bench/run-engine-bench.sh). Run with {@code --add-modules=jdk.incubator.vector}.
 *
 * <p>On another device than the CPU, the cases in {@link #DEVICE_CASES} make their data and parameters on the
 * CPU exactly as there (same seeds) and move them with {@code to(device)}; each timed step and each phase
 * ends with {@link Devices#synchronize} so that queued kernels are counted (a no-op on the CPU). Those cases
 * are also what {@code --case all} means there. autograd_overhead and d2l_step measure the CPU and the JVM
 * (scalar ops, a host DataLoader) and refuse another device. When the device cannot be used, the only output
 * is {@code unavailable device=cuda:0 reason=...} and the exit status is {@value #UNAVAILABLE}, so that
 * scripts can say what they could not measure (bench/run-gpu-bench.sh).
 */
public final class EngineBenchmark {
    static final String[] CASES = {"seed_mlp", "large_mlp", "sgemm", "autograd_overhead", "d2l_step", "seed_mlp_nn"};
    /** The cases that run on any device; the others time CPU and JVM overhead. */
    static final List<String> DEVICE_CASES = List.of("seed_mlp", "large_mlp", "sgemm", "seed_mlp_nn");
    /** Exit status when the requested device cannot be used. */
    static final int UNAVAILABLE = 2;
    /** The benchmark's options. */
    static final Options.Spec OPTIONS = new Options.Spec("EngineBenchmark")
            .text("case", "all", "the cases to run, comma-separated (" + String.join("|", CASES) + "), or all")
            .optionalInt("warmup", 0, "per case", "untimed steps before timing")
            .optionalInt("iters", 1, "per case", "timed steps")
            .optionalInt("threads", 1, "not checked", "the thread count the JVM was started with, checked")
            .device("device", "cpu", false, "the device the cases run on");

    private EngineBenchmark() {
    }

    /**
     * Median times of the parts of a step (forward, backward, update), reported as {@code NAME_ms=...}. Each
     * phase ends by waiting for its device, so that a phase is charged with its own kernels.
     */
    static final class Phases {
        private final Device device;
        private final String[] names;
        private final List<List<Double>> ms = new ArrayList<>();
        private long last;

        Phases(Device device, String... names) {
            this.device = device;
            this.names = names;
            for (String n : names) {
                ms.add(new ArrayList<>());
            }
        }

        /** Starts timing a step. */
        void start() {
            last = System.nanoTime();
        }

        /** Ends phase k (in order) and starts the next. */
        void mark(int k) {
            Devices.synchronize(device);
            long now = System.nanoTime();
            ms.get(k).add((now - last) / 1e6);
            last = now;
        }

        void reset() {
            ms.forEach(List::clear);
        }

        String extra() {
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < names.length; k++) {
                sb.append(fmt(" " + names[k] + "_ms=%.4f", median(ms.get(k).stream().mapToDouble(Double::doubleValue).toArray())));
            }
            return sb.toString();
        }
    }

    /** The timed body of one case: setup happens once, then step() runs warmup + iters times. */
    private interface Case {
        void step();

        /** A short value to print after timing (e.g. the final loss) so that the work is visibly real. */
        String check();

        /** Forgets what the warmup recorded. */
        default void resetStats() {
        }

        /** Extra key=value pairs (with a leading space) from what the timed steps recorded. */
        default String extra() {
            return "";
        }
    }

    /** A case whose steps record phase times: the warmup's are forgotten, the timed ones reported. */
    private abstract static class PhasedCase implements Case {
        private final Phases phases;

        PhasedCase(Phases phases) {
            this.phases = phases;
        }

        @Override
        public void resetStats() {
            phases.reset();
        }

        @Override
        public String extra() {
            return phases.extra();
        }
    }

    public static void main(String[] args) {
        int status = run(args, System.out);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the benchmark with command-line arguments, printing its lines to {@code out}; returns the exit
     * status: 0, or {@value #UNAVAILABLE} when the device cannot be used. Bad arguments throw.
     */
    static int run(String[] args, PrintStream out) {
        Options o;
        try {
            o = OPTIONS.parse(args);
        } catch (Options.HelpRequested help) {
            out.print(help.getMessage());
            return 0;
        }
        String which = o.text("case");
        Integer warmup = o.optionalInt("warmup");
        Integer iters = o.optionalInt("iters");
        Integer threads = o.optionalInt("threads");
        Device device = Device.parse(o.text("device"));
        boolean onCpu = device.equals(Device.CPU);
        List<String> cases = !which.equals("all") ? List.of(which.split(","))
                : onCpu ? Arrays.asList(CASES) : DEVICE_CASES;
        for (String name : cases) {
            defaultIters(name); // an unknown name fails here, before anything runs
            if (!onCpu && !DEVICE_CASES.contains(name)) {
                throw new IllegalArgumentException("case " + name + " measures CPU and JVM overhead and runs on the cpu"
                        + " only, got --device " + device + "; on " + device + " run one of " + DEVICE_CASES);
            }
        }
        if (!Devices.available(device)) {
            out.println("unavailable device=" + device + " reason="
                    + Devices.unavailableReason(device).replaceAll("\\s+", " ").strip());
            return UNAVAILABLE;
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        String blasThreads = System.getenv("OPENBLAS_NUM_THREADS");
        if (threads != null) {
            String engineThreads = System.getProperty("sparkgrad.threads");
            if (threads != cpus || !String.valueOf(threads).equals(engineThreads)) {
                System.err.println("warning: --threads " + threads + " but the JVM sees " + cpus + " processors and"
                        + " sparkgrad.threads=" + engineThreads + "; start it with -XX:ActiveProcessorCount=" + threads
                        + " -Dsparkgrad.threads=" + threads + " so that the engine's loops use that many");
            }
            if (blasThreads == null || !blasThreads.equals(String.valueOf(threads))) {
                System.err.println("warning: --threads " + threads + " but OPENBLAS_NUM_THREADS=" + blasThreads
                        + "; set it before starting the JVM");
            }
        }
        String blas = Blas.implementation();
        out.println("info impl=java threads=" + cpus + " device=" + device + " sparkgrad_threads="
                + System.getProperty("sparkgrad.threads", "unset") + " openblas_threads=" + (blasThreads == null ? "unset" : blasThreads)
                + " java=" + System.getProperty("java.version") + " blas=" + blas.replace(' ', '_'));

        for (String name : cases) {
            Case c = build(name, device);
            int w = warmup != null ? warmup : defaultWarmup(name);
            int n = iters != null ? iters : defaultIters(name);
            double[] timed = time(c, device, w, n);
            double[] ms = Arrays.copyOf(timed, n);
            out.println(report(name, cpus, device, w, ms, c.extra() + fmt(" alloc_kib_per_step=%.1f", timed[n]), c.check()));
        }
        return 0;
    }

    static int defaultWarmup(String name) {
        return switch (name) {
            case "seed_mlp" -> 500;
            case "large_mlp" -> 2;
            case "sgemm" -> 3;
            case "autograd_overhead" -> 30;
            case "d2l_step" -> 2000;
            case "seed_mlp_nn" -> 500;
            default -> throw new IllegalArgumentException("unknown case " + name + "; one of " + Arrays.toString(CASES));
        };
    }

    static int defaultIters(String name) {
        return switch (name) {
            case "seed_mlp" -> 1000;
            case "large_mlp" -> 5;
            case "sgemm" -> 20;
            case "autograd_overhead" -> 30;
            case "d2l_step" -> 5000;
            case "seed_mlp_nn" -> 1000;
            default -> throw new IllegalArgumentException("unknown case " + name + "; one of " + Arrays.toString(CASES));
        };
    }

    /** Bytes allocated so far by the calling thread, or -1 where the JVM cannot tell. */
    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled()) {
            return t.getThreadAllocatedBytes(Thread.currentThread().getId());
        }
        return -1;
    }

    /**
     * Per-step times in ms, each step ending when its device is done; the last element of the result is the
     * mean heap allocation per step in KiB.
     */
    private static double[] time(Case c, Device device, int warmup, int iters) {
        for (int i = 0; i < warmup; i++) {
            c.step();
            Devices.synchronize(device);
        }
        c.resetStats();
        double[] ms = new double[iters];
        long before = allocatedBytes();
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            c.step();
            Devices.synchronize(device);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        long after = allocatedBytes();
        double[] out = Arrays.copyOf(ms, iters + 1);
        out[iters] = before < 0 ? Double.NaN : (after - before) / 1024.0 / iters;
        return out;
    }

    /** The case's output line. */
    private static String report(String name, int threads, Device device, int warmup, double[] ms, String extra,
            String check) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = median(ms);
        double mean = Arrays.stream(ms).average().orElse(Double.NaN);
        StringBuilder sb = new StringBuilder();
        sb.append("case=").append(name).append(" impl=java threads=").append(threads).append(" device=").append(device)
                .append(" warmup=").append(warmup).append(" iters=").append(n)
                .append(fmt(" ms_per_step=%.4f", median)).append(fmt(" median_ms=%.4f", median))
                .append(fmt(" mean_ms=%.4f", mean)).append(fmt(" min_ms=%.4f", sorted[0]));
        switch (name) {
            case "large_mlp" -> sb.append(fmt(" gflops=%.2f", largeMlpFlops() / (median * 1e6)));
            case "sgemm" -> sb.append(fmt(" gflops=%.2f", 2.0 * SGEMM_N * SGEMM_N * SGEMM_N / (median * 1e6)));
            case "autograd_overhead" -> sb.append(fmt(" us_per_op=%.3f", median * 1e3 / CHAIN_OPS));
            default -> { }
        }
        sb.append(extra).append(" check=").append(check);
        return sb.toString();
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String fmt(String f, double v) {
        return String.format(Locale.ROOT, f, v);
    }

    /** A case with its data on a device (autograd_overhead and d2l_step: the CPU, which run() checked). */
    private static Case build(String name, Device device) {
        return switch (name) {
            case "seed_mlp" -> seedMlp(device);
            case "large_mlp" -> largeMlp(device);
            case "sgemm" -> sgemm(device);
            case "autograd_overhead" -> autogradOverhead();
            case "d2l_step" -> d2lStep();
            case "seed_mlp_nn" -> seedMlpNn(device);
            default -> throw new IllegalArgumentException("unknown case " + name + "; one of " + Arrays.toString(CASES));
        };
    }

    // ---------------------------------------------------------------------------------------------------
    // a. The seed tutorial's step.

    private static Case seedMlp(Device device) {
        Generator g = new Generator(0);
        int n = 64;
        int dIn = 1000;
        int h = 100;
        int dOut = 10;
        // Drawn on the CPU, in the same order, on every device; moved first so that the parameters are leaves.
        Tensor x = Tensor.randn(g, n, dIn).to(device);
        Tensor y = Tensor.randn(g, n, dOut).to(device);
        Tensor w1 = Tensor.randn(g, dIn, h).to(device).requiresGrad_();
        Tensor b1 = Tensor.randn(g, 1, h).to(device).requiresGrad_();
        Tensor w2 = Tensor.randn(g, h, dOut).to(device).requiresGrad_();
        Tensor b2 = Tensor.randn(g, 1, dOut).to(device).requiresGrad_();
        Tensor[] params = {w1, b1, w2, b2};
        double lr = 1e-6;
        Phases phases = new Phases(device, "fwd", "bwd", "sgd");
        return new PhasedCase(phases) {
            Tensor loss;

            @Override
            public void step() {
                phases.start();
                Tensor yPred = x.mm(w1).add(b1).clampMin(0).mm(w2).add(b2);
                loss = yPred.sub(y).pow(2).sum();
                phases.mark(0);
                loss.backward();
                phases.mark(1);
                sgd(params, lr);
                phases.mark(2);
            }

            @Override
            public String check() {
                return fmt("%.6g", loss.item());
            }
        };
    }

    /** w -= lr * w.grad; w.grad.zero_(), without recording. */
    private static void sgd(Tensor[] params, double lr) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (Tensor p : params) {
                p.sub_(p.grad().mul(lr));
                p.grad().zero_();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // b. A larger MLP.

    static final int LARGE_BATCH = 256;
    static final int[] LARGE_DIMS = {1024, 4096, 4096, 10};

    static double largeMlpFlops() {
        double sum = 0;
        for (int i = 0; i + 1 < LARGE_DIMS.length; i++) {
            sum += (double) LARGE_DIMS[i] * LARGE_DIMS[i + 1];
        }
        return 6.0 * LARGE_BATCH * sum;
    }

    private static Case largeMlp(Device device) {
        Generator g = new Generator(1);
        Tensor x = Tensor.randn(g, LARGE_BATCH, LARGE_DIMS[0]).to(device);
        Tensor y = Tensor.randn(g, LARGE_BATCH, LARGE_DIMS[LARGE_DIMS.length - 1]).to(device);
        List<Tensor> ws = new ArrayList<>();
        List<Tensor> bs = new ArrayList<>();
        for (int i = 0; i + 1 < LARGE_DIMS.length; i++) {
            double scale = 1.0 / Math.sqrt(LARGE_DIMS[i]);
            ws.add(Tensor.normal(0, scale, g, LARGE_DIMS[i], LARGE_DIMS[i + 1]).to(device).requiresGrad_());
            bs.add(Tensor.zeros(1, LARGE_DIMS[i + 1]).to(device).requiresGrad_());
        }
        List<Tensor> all = new ArrayList<>(ws);
        all.addAll(bs);
        Tensor[] params = all.toArray(new Tensor[0]);
        double lr = 1e-3;
        Phases phases = new Phases(device, "fwd", "bwd", "sgd");
        return new PhasedCase(phases) {
            Tensor loss;

            @Override
            public void step() {
                phases.start();
                Tensor a = x;
                for (int i = 0; i < ws.size(); i++) {
                    a = a.mm(ws.get(i)).add(bs.get(i));
                    if (i + 1 < ws.size()) {
                        a = a.relu();
                    }
                }
                loss = a.sub(y).pow(2).mean();
                phases.mark(0);
                loss.backward();
                phases.mark(1);
                sgd(params, lr);
                phases.mark(2);
            }

            @Override
            public String check() {
                return fmt("%.6g", loss.item());
            }
        };
    }

    // ---------------------------------------------------------------------------------------------------
    // c. sgemm.

    static final int SGEMM_N = 1024;

    private static Case sgemm(Device device) {
        Generator g = new Generator(2);
        Tensor a = Tensor.randn(g, SGEMM_N, SGEMM_N).to(device);
        Tensor b = Tensor.randn(g, SGEMM_N, SGEMM_N).to(device);
        return new Case() {
            Tensor c;

            @Override
            public void step() {
                try (GradMode.Scope s = GradMode.noGrad()) {
                    c = a.mm(b);
                }
            }

            @Override
            public String check() {
                return fmt("%.6g", c.get(7, 13).item());
            }
        };
    }

    // ---------------------------------------------------------------------------------------------------
    // d. Per-op autograd overhead.

    static final int CHAIN_OPS = 10_000;

    private static Case autogradOverhead() {
        Tensor x0 = Tensor.scalar(1.0).requiresGrad_();
        return new Case() {
            final List<Double> fwdMs = new ArrayList<>();
            final List<Double> bwdMs = new ArrayList<>();

            @Override
            public void step() {
                long t0 = System.nanoTime();
                x0.setGrad(null);
                Tensor x = x0;
                for (int i = 0; i < CHAIN_OPS / 2; i++) {
                    x = x.mul(1.0001).add(0.0001);
                }
                long t1 = System.nanoTime();
                x.backward();
                long t2 = System.nanoTime();
                fwdMs.add((t1 - t0) / 1e6);
                bwdMs.add((t2 - t1) / 1e6);
            }

            @Override
            public void resetStats() {
                fwdMs.clear();
                bwdMs.clear();
            }

            @Override
            public String extra() {
                double f = median(fwdMs.stream().mapToDouble(Double::doubleValue).toArray());
                double b = median(bwdMs.stream().mapToDouble(Double::doubleValue).toArray());
                return fmt(" fwd_us_per_op=%.3f", f * 1e3 / CHAIN_OPS) + fmt(" bwd_us_per_op=%.3f", b * 1e3 / CHAIN_OPS);
            }

            @Override
            public String check() {
                return fmt("%.6g", x0.grad().item());
            }
        };
    }

    // ---------------------------------------------------------------------------------------------------
    // e. The d2l seed's step: DataLoader batch, nn.Sequential(nn.Linear(2, 1)), MSELoss, SGD.

    static final int D2L_SAMPLES = 1000;
    static final int D2L_BATCH = 10;

    private static Case d2lStep() {
        Tensor[] data = SyntheticData.linear(Tensor.of(2, -3.4), 4.2, D2L_SAMPLES, 0.01, 3);
        DataLoader loader = new DataLoader(new TensorDataset(data[0], data[1]), D2L_BATCH, true, 3);
        Generator g = new Generator(3);
        Linear fc = new Linear(2, 1, true, g);
        Init.normal_(fc.weight(), 0, 0.01, g);
        Init.zeros_(fc.bias());
        Sequential net = new Sequential(fc);
        MSELoss lossFn = new MSELoss();
        SGD opt = new SGD(net.parameters(), 0.03);
        Phases phases = new Phases(Device.CPU, "data", "fwd", "bwd", "sgd");
        return new PhasedCase(phases) {
            Iterator<Tensor[]> batches = loader.iterator();

            @Override
            public void step() {
                phases.start();
                if (!batches.hasNext()) {
                    batches = loader.iterator();
                }
                Tensor[] batch = batches.next();
                phases.mark(0);
                Tensor l = lossFn.forward(net.forward(batch[0]), batch[1]);
                phases.mark(1);
                opt.zeroGrad();
                l.backward();
                phases.mark(2);
                opt.step();
                phases.mark(3);
            }

            /** The loss over all samples after the run (about the noise variance, 1e-4, once trained). */
            @Override
            public String check() {
                try (GradMode.Scope s = GradMode.noGrad()) {
                    return fmt("%.6g", lossFn.forward(net.forward(data[0]), data[1]).item());
                }
            }
        };
    }

    // ---------------------------------------------------------------------------------------------------
    // f. seed_mlp with nn modules and optim.

    private static Case seedMlpNn(Device device) {
        Generator g = new Generator(0);
        Tensor x = Tensor.randn(g, 64, 1000).to(device);
        Tensor y = Tensor.randn(g, 64, 10).to(device);
        Sequential net = new Sequential(new Linear(1000, 100, true, g), new ReLU(), new Linear(100, 10, true, g));
        net.to(device);
        MSELoss lossFn = new MSELoss(Reduction.SUM);
        SGD opt = new SGD(net.parameters(), 1e-5);
        Phases phases = new Phases(device, "fwd", "bwd", "sgd");
        return new PhasedCase(phases) {
            Tensor loss;

            @Override
            public void step() {
                phases.start();
                loss = lossFn.forward(net.forward(x), y);
                phases.mark(0);
                opt.zeroGrad();
                loss.backward();
                phases.mark(1);
                opt.step();
                phases.mark(2);
            }

            @Override
            public String check() {
                return fmt("%.6g", loss.item());
            }
        };
    }
}
