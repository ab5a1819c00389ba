package org.sparkgrad.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Devices;

/** The benchmark's device option and the lines scripts parse (bench/run-gpu-bench.sh). */
class EngineBenchmarkTest {
    /** The status and the printed lines of one run. */
    private record Result(int status, List<String> lines) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int status = EngineBenchmark.run(args, out);
        return new Result(status, bytes.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void anUnusableCudaDeviceGivesOneUnavailableLineAndStatusTwo() {
        Assumptions.assumeFalse(Devices.cudaAvailable(), "this machine has a usable CUDA device");
        Result r = run("--device", "cuda", "--case", "seed_mlp", "--warmup", "1", "--iters", "1");
        assertEquals(2, r.status(), "the status scripts read as 'could not measure'");
        assertEquals(1, r.lines().size(), "only the reason line, got " + r.lines());
        String line = r.lines().get(0);
        String prefix = "unavailable device=cuda:0 reason=";
        assertTrue(line.startsWith(prefix), line);
        assertEquals(Devices.unavailableReason(Device.cuda(0)).replaceAll("\\s+", " ").strip(),
                line.substring(prefix.length()));
        assertTrue(line.length() > prefix.length(), "a reason is given: " + line);
    }

    @Test
    void theCpuRunPrintsInfoAndCaseLinesNamingTheDevice() {
        Result r = run("--device", "cpu", "--case", "seed_mlp", "--warmup", "1", "--iters", "2");
        assertEquals(0, r.status());
        assertEquals(2, r.lines().size(), r.lines().toString());
        assertTrue(r.lines().get(0).startsWith("info impl=java ") && r.lines().get(0).contains(" device=cpu "),
                r.lines().get(0));
        String c = r.lines().get(1);
        assertTrue(c.startsWith("case=seed_mlp impl=java ") && c.contains(" device=cpu ") && c.contains(" iters=2 ")
                && c.contains(" warmup=1 ") && c.matches(".* ms_per_step=[0-9.]+ .*") && c.matches(".* check=[0-9.e+]+$"), c);
    }

    @Test
    void onAUsableCudaDeviceTheSeedStepGivesTheCpuLoss() {
        Assumptions.assumeTrue(Devices.cudaAvailable(), "no usable CUDA device");
        String[] args = {"--case", "seed_mlp,seed_mlp_nn", "--warmup", "1", "--iters", "2", "--device", ""};
        args[args.length - 1] = "cpu";
        Result cpu = run(args);
        args[args.length - 1] = "cuda:0";
        Result cuda = run(args);
        assertEquals(0, cuda.status());
        assertTrue(cuda.lines().get(0).contains(" device=cuda:0 "), cuda.lines().get(0));
        for (int k = 1; k <= 2; k++) {
            assertTrue(cuda.lines().get(k).contains(" device=cuda:0 "), cuda.lines().get(k));
            double want = check(cpu.lines().get(k));
            assertEquals(want, check(cuda.lines().get(k)), 1e-3 * Math.abs(want), cuda.lines().get(k));
        }
    }

    /** The check= value of a case line (the loss after the timed steps). */
    private static double check(String caseLine) {
        return Double.parseDouble(caseLine.substring(caseLine.lastIndexOf(" check=") + " check=".length()));
    }

    @Test
    void theCpuIsTheDefaultDevice() {
        Result r = run("--case", "sgemm", "--warmup", "0", "--iters", "1");
        assertEquals(0, r.status());
        assertTrue(r.lines().get(1).startsWith("case=sgemm impl=java ") && r.lines().get(1).contains(" device=cpu "),
                r.lines().get(1));
    }

    @Test
    void cpuOnlyCasesRefuseAnotherDeviceBeforeLookingForIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run("--device", "cuda:1", "--case", "seed_mlp,d2l_step"));
        assertEquals("case d2l_step measures CPU and JVM overhead and runs on the cpu only, got --device cuda:1;"
                + " on cuda:1 run one of [seed_mlp, large_mlp, sgemm, seed_mlp_nn]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> run("--device", "gpu"));
        assertThrows(IllegalArgumentException.class, () -> run("--case", "nope"));
    }

    @Test
    void optionsAreCheckedWhenParsedAndHelpListsThem() {
        assertEquals("Option --iters expects an integer >= 1, got '0'",
                assertThrows(IllegalArgumentException.class, () -> run("--iters", "0")).getMessage());
        assertEquals("Option --warmup expects an integer >= 0, got '1.5'",
                assertThrows(IllegalArgumentException.class, () -> run("--warmup", "1.5")).getMessage());
        assertEquals("Option --device expects one of cpu|cuda|cuda:N, got 'auto'",
                assertThrows(IllegalArgumentException.class, () -> run("--device", "auto")).getMessage());
        Result help = run("--help");
        assertEquals(0, help.status());
        assertTrue(help.lines().get(0).startsWith("usage: EngineBenchmark "), help.lines().toString());
        assertTrue(help.lines().stream().anyMatch(l -> l.startsWith("  --device cpu|cuda|cuda:N ") && l.endsWith("default cpu)")),
                help.lines().toString());
    }
}
