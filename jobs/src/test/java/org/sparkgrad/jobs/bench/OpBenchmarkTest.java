package org.sparkgrad.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The per-op benchmark's lines and checksums at a tiny size: the checksums of a forward, a broadcast
 * backward and a reduction backward case against sums computed here in double precision from the inputs'
 * definition (the hash), not by the engine.
 */
class OpBenchmarkTest {
    private static final int R = 4;
    private static final int C = 64;

    /** The case lines of one run, by case name: key to value. */
    private static Map<String, Map<String, String>> run(String match) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OpBenchmark.run(new String[] {"--sizes", String.valueOf(R * C), "--batches", "8", "--match", match,
            "--warmup-ms", "0", "--settle-max-ms", "0", "--time-ms", "0", "--min-iters", "2", "--max-iters", "2"},
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        Map<String, Map<String, String>> cases = new HashMap<>();
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.get(0).startsWith("info impl=java "), lines.get(0));
        for (String line : lines.subList(1, lines.size())) {
            assertTrue(line.matches("case=\\S+ ms=[0-9.]+ iters=2 check=\\S+ mag=\\S+ warm=[0-9]+ mean=[0-9.]+"), line);
            Map<String, String> kv = new HashMap<>();
            for (String part : line.split(" ")) {
                kv.put(part.substring(0, part.indexOf('=')), part.substring(part.indexOf('=') + 1));
            }
            cases.put(kv.get("case"), kv);
        }
        return cases;
    }

    /** The float32 input element i of seed in [lo, hi), as the benchmark (and torch_op_bench.py) define it. */
    private static double in(int i, int seed, double lo, double hi) {
        return (float) (lo + (hi - lo) * OpBenchmark.uniform(i, seed));
    }

    private static double w(int i) {
        return OpBenchmark.uniform(i, OpBenchmark.WEIGHT_SEED) - 0.5;
    }

    private static void assertCheck(double check, double mag, Map<String, String> line) {
        assertEquals(check, Double.parseDouble(line.get("check")), 1e-5 * mag, line.toString());
        assertEquals(mag, Double.parseDouble(line.get("mag")), 1e-5 * mag, line.toString());
    }

    @Test
    void theForwardChecksumIsTheWeightedSumOfTheOutput() {
        Map<String, String> line = run("^exp_256_fwd$").get("exp_256_fwd");
        double check = 0;
        double mag = 0;
        for (int i = 0; i < R * C; i++) {
            double v = Math.exp(in(i, 1, -2, 2)) * w(i);
            check += v;
            mag += Math.abs(v);
        }
        assertCheck(check, mag, line);
    }

    @Test
    void aBroadcastBackwardChecksumCoversBothInputsGradients() {
        Map<String, String> line = run("^mul_row_256_fwdbwd$").get("mul_row_256_fwdbwd");
        // out = a [R, C] * b [1, C] with upstream g: da = g * b, db[j] = sum_i g[i, j] a[i, j].
        double check = 0;
        double mag = 0;
        double[] db = new double[C];
        for (int i = 0; i < R; i++) {
            for (int j = 0; j < C; j++) {
                int k = i * C + j;
                double g = in(k, OpBenchmark.UPSTREAM_SEED, -1, 1);
                double da = g * in(j, 2, -1, 1) * w(k);
                check += da;
                mag += Math.abs(da);
                db[j] += g * in(k, 1, -1, 1);
            }
        }
        for (int j = 0; j < C; j++) {
            check += db[j] * w(j);
            mag += Math.abs(db[j] * w(j));
        }
        assertCheck(check, mag, line);
    }

    @Test
    void aMaxBackwardChecksumPutsEachRowsGradientAtItsMaximum() {
        Map<String, String> line = run("^max_last_wide_256_fwdbwd$").get("max_last_wide_256_fwdbwd");
        // x is [C, R] of the distinct values (k * 2654435761 mod n) / n; the gradient is g[row] at each row's max.
        int n = R * C;
        double check = 0;
        double mag = 0;
        for (int row = 0; row < C; row++) {
            int arg = -1;
            long best = -1;
            for (int j = 0; j < R; j++) {
                long v = ((row * R + j) * 2654435761L) % n;
                if (v > best) {
                    best = v;
                    arg = row * R + j;
                }
            }
            double g = in(row, OpBenchmark.UPSTREAM_SEED, -1, 1) * w(arg);
            check += g;
            mag += Math.abs(g);
        }
        assertCheck(check, mag, line);
    }

    @Test
    void everyOpRunsForwardAndBackwardAndEveryMlpStepRuns() {
        Map<String, Map<String, String>> cases = run("");
        // Per size and mode: 13 unary, 4 binary x 4 shapes, 3 reductions x 5, softmax, log_softmax,
        // cross_entropy, transpose, cat, index_select, gather; then 3 activations x 2 losses per batch.
        assertEquals(2 * (13 + 16 + 15 + 7) + 6, cases.size(), cases.keySet().toString());
        for (String name : List.of("pow1.5_256_fwdbwd", "div_scalar_256_fwd", "sum_dim0_tall_256_fwdbwd",
                "cross_entropy_256_fwdbwd", "gather_256_fwdbwd", "mlp_sigmoid_ce_b8", "mlp_relu_mse_b8")) {
            Map<String, String> kv = cases.get(name);
            assertTrue(kv != null, name + " missing from " + cases.keySet());
            double mag = Double.parseDouble(kv.get("mag"));
            assertTrue(mag > 0 && Double.isFinite(Double.parseDouble(kv.get("check"))), kv.toString());
        }
    }

    @Test
    void sizesThatAreNotMultiplesOfTheWidthAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpBenchmark.run(new String[] {"--sizes", "100"}, new PrintStream(new ByteArrayOutputStream())));
        assertEquals("--sizes must be multiples of 64, got 100", e.getMessage());
        assertEquals("64k", OpBenchmark.label(65536));
        assertEquals("4M", OpBenchmark.label(4194304));
    }
}
