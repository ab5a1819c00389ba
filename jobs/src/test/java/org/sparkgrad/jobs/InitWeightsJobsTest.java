package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;

/** --init-weights on the training programs besides linear-regression (whose tests are in LinearRegressionTest, SparkJobsTest). */
class InitWeightsJobsTest {
    private static SparkJobSupport.Session session;

    @BeforeAll
    static void start() {
        session = SparkJobSupport.open("local[2]", "sparkgrad init-weights test");
        session.sc().setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        if (session != null) {
            session.spark().stop();
        }
    }

    private static Map<String, float[]> values(Map<String, Tensor> tensors) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    @Test
    void syntheticMlpContinuesFromTheModelAnotherRunWrote(@TempDir Path dir) throws Exception {
        String[] common = {"--rows", "2000", "--features", "6", "--hidden", "8", "--partitions", "2", "--batch", "100",
            "--heldout", "200", "--optimizer", "sgd"};
        SyntheticMlp.Result first = SyntheticMlp.run(SyntheticMlp.Settings.parse(concat(common, "--steps", "30", "--lr",
                "0.05", "--out", dir.resolve("a").toString())), false);
        Path file = first.files().model();
        SyntheticMlp.Settings s = SyntheticMlp.Settings.parse(concat(common, "--steps", "1", "--lr", "1e-12",
                "--init-weights", file.toString(), "--out", dir.resolve("b").toString()));
        assertEquals(file.toString(), s.initWeights());
        SyntheticMlp.Result second = SyntheticMlp.run(s, false);
        // At lr 1e-12 one step leaves the parameters where the file put them: the first run's final ones.
        Map<String, float[]> want = values(first.training().parameters());
        Map<String, float[]> got = values(second.training().parameters());
        assertEquals(want.keySet(), got.keySet());
        want.forEach((k, v) -> assertArrayEquals(v, got.get(k), 1e-6f, k));
        assertEquals(first.heldoutLoss(), second.heldoutLoss(), 1e-5 * first.heldoutLoss());
        // and its first step's loss is a trained model's, far below the first run's first.
        assertTrue(second.training().lossHistory().get(0) < 0.8 * first.training().lossHistory().get(0),
                second.training().lossHistory().get(0) + " vs " + first.training().lossHistory().get(0));
    }

    @Test
    void lineFitStartsFromTheFilesAAndBOnSparkAndInProcess(@TempDir Path dir) throws Exception {
        Path file = line(dir.resolve("line.safetensors"), Tensor.scalar(2.5));
        LineFit.Job job = LineFit.Job.from(LineFit.Job.OPTIONS.parse("--init-weights", file.toString()));
        assertEquals(file.toString(), job.initWeights());
        assertArrayEquals(new double[] {2.5, 1.0}, LineFit.start(job.initWeights()), 0);
        LineFit.Points p = LineFit.points(LineFit.POINTS, 2, LineFitTest.SEED);
        LineFit.Settings still = new LineFit.Settings("sgd", 1e-12, 0, 0.9, "none", 2, true);
        SparkLineFit.Result spark = SparkLineFit.run(p, still, 2, "auto", 0, file.toString());
        LineFit.Result local = LineFit.run(p, still, 0, LineFit.start(file.toString()));
        assertEquals(2.5, spark.fit().a(), 1e-6);
        assertEquals(1.0, spark.fit().b(), 1e-6);
        assertEquals(2.5, local.a(), 1e-6);
        assertEquals(1.0, local.b(), 1e-6);
        // Both losses are those of the line a = 2.5, b = 1 from the first epoch on.
        assertEquals(local.losses().get(0), spark.fit().losses().get(0), 1e-5 * local.losses().get(0));
        assertEquals(LineFit.loss(Tensor.scalar(2.5), Tensor.scalar(1.0), p).item(), local.losses().get(0), 1e-6);
    }

    @Test
    void lineFitRefusesAFileOfAnotherShape(@TempDir Path dir) throws Exception {
        Path file = line(dir.resolve("vector.safetensors"), Tensor.of(2.5f));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LineFit.start(file.toString()));
        assertEquals("the initial weights " + file + " do not fit the model (a [], b []): a: expected shape [], found [1]",
                e.getMessage());
    }

    /** A safetensors file of line-fit's parameters: a as given, b = 1. */
    private static Path line(Path file, Tensor a) throws java.io.IOException {
        Map<String, Tensor> ab = new LinkedHashMap<>();
        ab.put("a", a);
        ab.put("b", Tensor.scalar(1.0));
        SafeTensors.save(ab, file);
        return file;
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
