package org.sparkgrad.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparkgrad.jobs.Options;

/** The Spark benchmark's options go through the jobs' parser (no Spark is started here). */
class SparkBenchmarkTest {
    @Test
    void optionsAreParsedAndCheckedWithTheirDefaults() {
        SparkBenchmark.Settings s = SparkBenchmark.Settings.parse("--rows", "512", "--partitions=3");
        assertEquals(512, s.rows());
        assertEquals(3, s.partitions());
        assertEquals(SparkBenchmark.Settings.DEFAULTS.steps(), s.steps());
        assertEquals(SparkBenchmark.Settings.DEFAULTS, SparkBenchmark.Settings.parse());
        assertEquals("Option --rows expects an integer >= 1, got '0'",
                assertThrows(Options.BadOption.class, () -> SparkBenchmark.Settings.parse("--rows", "0")).getMessage());
        assertEquals("Option --steps expects an integer >= 1, got '1.5'",
                assertThrows(Options.BadOption.class, () -> SparkBenchmark.Settings.parse("--steps", "1.5")).getMessage());
        assertEquals(java.util.Set.of("allreduce", "mllib"), SparkBenchmark.Settings.parse("--parts", "allreduce, mllib")
                .parts());
        assertEquals("--parts: unknown part 'speed', expected some of throughput, allreduce, mllib",
                assertThrows(IllegalArgumentException.class, () -> SparkBenchmark.Settings.parse("--parts", "speed"))
                        .getMessage());
        String help = assertThrows(Options.HelpRequested.class, () -> SparkBenchmark.Settings.parse("--help")).getMessage();
        assertTrue(help.contains("--mllib-iters N") && help.contains("default " + SparkBenchmark.Settings.DEFAULTS.mllibIters()),
                help);
    }
}
