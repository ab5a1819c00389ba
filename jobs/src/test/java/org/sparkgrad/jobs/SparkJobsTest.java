package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Devices;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;

/** The data-parallel jobs, run in-process on one local[2] Spark session through their run methods. */
class SparkJobsTest {
    private static SparkJobSupport.Session session;

    @BeforeAll
    static void start() {
        session = SparkJobSupport.open("local[2]", "sparkgrad jobs test");
        assertTrue(session.owned());
        assertEquals("org.apache.spark.serializer.KryoSerializer", session.sc().getConf().get("spark.serializer"));
        assertEquals("true", session.sc().getConf().get("spark.kryo.registrationRequired"));
        session.sc().setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        if (session != null) {
            session.spark().stop();
        }
    }

    /** linear-regression's w and b (and the devices its tasks used) with a --device setting. */
    private static SparkLinearRegression.Result linearRegressionOn(String device, Path out) {
        return SparkLinearRegression.run(SparkLinearRegression.Settings.parse(new String[] {"--partitions", "2",
            "--epochs", "1", "--device", device, "--out", out.toString()}), false);
    }

    @Test
    void linearRegressionOnCudaExecutorsLearnsWhatTheCpuLearns(@TempDir Path dir) {
        Device cuda = Device.cuda(0);
        assumeTrue(Devices.cudaAvailable(), () -> "no usable CUDA device: " + Devices.unavailableReason(cuda));
        SparkLinearRegression.Result cpu = linearRegressionOn("cpu", dir.resolve("cpu"));
        SparkLinearRegression.Result gpu = linearRegressionOn("cuda", dir.resolve("cuda"));
        assertEquals(List.of("cpu"), List.copyOf(cpu.training().devices()));
        assertEquals(List.of("cuda:0"), List.copyOf(gpu.training().devices()));
        assertArrayEquals(cpu.w(), gpu.w(), 1e-4);
        assertEquals(cpu.b(), gpu.b(), 1e-4);
    }

    @Test
    void withoutAUsableGpuAutoRunsOnTheCpuAndSaysWhy(@TempDir Path dir) {
        assumeFalse(Devices.cudaAvailable(), "a CUDA device is usable here");
        SparkLinearRegression.Result r = linearRegressionOn("auto", dir);
        String only = r.training().devices().first();
        assertEquals(1, r.training().devices().size(), r.training().devices().toString());
        assertTrue(only.startsWith("cpu, because cuda:0 is not usable: ") && only.endsWith(Devices.unavailableReason(
                Device.cuda(0))), only);
        assertEquals(2.0, r.w()[0], 0.01);
    }

    @Test
    void linearRegressionLearnsWAndBAndWritesItsFiles(@TempDir Path dir) throws Exception {
        SparkLinearRegression.Settings s = SparkLinearRegression.Settings.parse(new String[] {"--partitions", "2",
            "--verify-gradients", "--out", dir.toString()});
        assertEquals(1000, s.samples());
        assertEquals(10, s.batch());
        assertEquals(3, s.epochs());
        SparkLinearRegression.Result r = SparkLinearRegression.run(s, false);
        assertFalse(session.sc().sc().isStopped(), "the test's session is not stopped by the job");
        assertEquals(300, r.training().steps());
        assertEquals(3, r.epochLosses().size());
        assertTrue(r.epochLosses().get(2) < 2e-4, "last epoch's loss " + r.epochLosses().get(2));
        // The loss over all rows after each epoch, as the seed prints (not the mean of the epoch's batch losses).
        SeedRecordingsTest.assertLikeTheSeedsEpochLosses(r.epochLosses(), 0.15);
        assertTrue(Math.abs(r.w()[0] - 2) < 0.01 && Math.abs(r.w()[1] + 3.4) < 0.01, "w " + r.w()[0] + ", " + r.w()[1]);
        assertEquals(4.2, r.b(), 0.01);
        assertEquals(dir.resolve("model.safetensors"), r.files().model());
        Map<String, Tensor> saved = SafeTensors.load(r.files().model());
        assertArrayEquals(new int[] {1, 2}, saved.get("0.weight").shape());
        assertArrayEquals(r.w(), saved.get("0.weight").toArray(), 0);
        assertEquals(r.b(), saved.get("0.bias").item(), 0);
        List<String> csv = Files.readAllLines(dir.resolve("loss.csv"));
        assertEquals("step,epoch,loss", csv.get(0));
        assertEquals(301, csv.size());
        assertTrue(csv.get(300).startsWith("300,3,"), csv.get(300));
        byte[] png = Files.readAllBytes(dir.resolve("loss.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "loss.png is a PNG");
    }

    /** Stops a run from a step listener, as a crash would. */
    static final class Stopped extends RuntimeException {
        Stopped(long step) {
            super("stopped after step " + step);
        }
    }

    @Test
    void afterAResumeTheEpochLossIsStillTheLossOverAllRows(@TempDir Path dir) {
        String[] common = {"--partitions", "2", "--checkpoint-every", "50", "--out", dir.resolve("out").toString()};
        SparkLinearRegression.Result whole = SparkLinearRegression.run(SparkLinearRegression.Settings.parse(common), false);
        String[] ckpt = java.util.stream.Stream.concat(java.util.Arrays.stream(common),
                java.util.stream.Stream.of("--checkpoint-dir", dir.resolve("ckpt").toString())).toArray(String[]::new);
        // Stopped at step 160, mid epoch 2: the newest checkpoint is step 150's.
        Stopped stop = org.junit.jupiter.api.Assertions.assertThrows(Stopped.class, () -> SparkLinearRegression.run(
                SparkLinearRegression.Settings.parse(ckpt), false, (step, epoch, loss, m) -> {
                    if (step == 160) {
                        throw new Stopped(step);
                    }
                }));
        assertEquals("stopped after step 160", stop.getMessage());
        String[] resume = java.util.stream.Stream.concat(java.util.Arrays.stream(ckpt), java.util.stream.Stream.of(
                "--resume")).toArray(String[]::new);
        SparkLinearRegression.Result resumed = SparkLinearRegression.run(SparkLinearRegression.Settings.parse(resume),
                false);
        assertEquals(150, resumed.training().resumedFromStep());
        // Before: epoch 2's printed loss was the sum of steps 151 to 200 divided by 100.
        assertEquals(whole.epochLosses().subList(1, 3), resumed.epochLosses());
        assertArrayEquals(whole.w(), resumed.w(), 0);
    }

    @Test
    void initWeightsStartTheSparkRunFromTheFile(@TempDir Path dir) throws Exception {
        Path file = LinearRegressionTest.weights(dir.resolve("true.safetensors"), new float[] {2f, -3.4f},
                new int[] {1, 2}, 4.2f);
        SparkLinearRegression.Result r = SparkLinearRegression.run(SparkLinearRegression.Settings.parse("--partitions", "2",
                "--epochs", "1", "--lr", "1e-12", "--init-weights", file.toString(), "--out", dir.toString()), false);
        assertArrayEquals(new double[] {2, -3.4}, r.w(), 1e-6);
        assertEquals(4.2, r.b(), 1e-6);
        assertTrue(r.epochLosses().get(0) < 1.2e-4, "loss " + r.epochLosses().get(0));
    }

    @Test
    void syntheticMlpClassifiesFarBetterThanChance(@TempDir Path dir) {
        SyntheticMlp.Settings s = SyntheticMlp.Settings.parse(new String[] {"--classify", "--rows", "6000", "--features",
            "8", "--hidden", "32", "--classes", "4", "--partitions", "3", "--batch", "200", "--steps", "80", "--lr",
            "0.02", "--heldout", "1000", "--out", dir.toString()});
        assertTrue(s.classify());
        assertArrayEquals(new int[] {32}, s.hidden());
        SyntheticMlp.Result r = SyntheticMlp.run(s, false);
        List<Double> h = r.training().lossHistory();
        assertEquals(80, h.size());
        assertEquals(6000, r.training().rows());
        double first = h.subList(0, 5).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = h.subList(75, 80).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);
        // Chance is the majority class's share of the held-out rows (at least 1/4).
        assertTrue(r.accuracy() > r.majorityShare() + 0.25, "accuracy " + r.accuracy() + ", majority " + r.majorityShare());
        assertTrue(Files.isRegularFile(r.files().model()) && Files.isRegularFile(r.files().lossCsv())
                && Files.isRegularFile(r.files().lossPng()));
    }

    @Test
    void syntheticMlpRegressionBeatsTheLabelVariance(@TempDir Path dir) {
        SyntheticMlp.Result r = SyntheticMlp.run(SyntheticMlp.Settings.parse(new String[] {"--rows", "4000", "--features",
            "8", "--hidden", "32,16", "--partitions", "2", "--batch", "100", "--steps", "60", "--lr", "0.01",
            "--heldout", "500", "--out", dir.toString()}), false);
        List<Double> h = r.training().lossHistory();
        assertTrue(h.get(59) < h.get(0), "loss " + h.get(0) + " -> " + h.get(59));
        assertTrue(r.heldoutLoss() < 0.3 * r.labelVariance(), "mse " + r.heldoutLoss() + ", variance " + r.labelVariance());
    }

    @Test
    void teacherRowsDependOnTheRowIndexOnly() {
        TeacherRowGenerator g = new TeacherRowGenerator(3, new int[] {4}, 3, true, 5);
        float[] x1 = new float[3 * 10];
        float[] y1 = new float[10];
        g.generate(9, 0, 0, 10, x1, y1);
        float[] x2 = new float[3 * 4];
        float[] y2 = new float[4];
        g.generate(9, 1, 6, 4, x2, y2);
        assertArrayEquals(java.util.Arrays.copyOfRange(x1, 18, 30), x2);
        assertArrayEquals(java.util.Arrays.copyOfRange(y1, 6, 10), y2);
        for (float v : y1) {
            assertTrue(v == 0 || v == 1 || v == 2, "class index " + v);
        }
    }

    @Test
    void lineFitsDefaultIsTheSeedsLoopOnSparkToo() {
        LineFit.Points p = LineFit.points(LineFit.POINTS, 2, LineFitTest.SEED);
        SparkLineFit.Result r = SparkLineFit.run(p, LineFit.Settings.SEED, 2, "auto", 0);
        List<String> torch = SeedRecordingsTest.recorded("line-fit.txt");
        String[] best = torch.get(torch.size() - 1).split(" ");
        assertEquals(1000, r.fit().losses().size());
        // Never-zeroed gradients are SGD with momentum 1 here: the same steps up to float rounding.
        assertEquals(Double.parseDouble(best[1]), r.fit().bestA(), 1e-4, "best a");
        assertEquals(Double.parseDouble(best[2]), r.fit().bestB(), 1e-4, "best b");
        assertEquals(Double.parseDouble(best[3]), r.fit().bestLoss(), 1e-4 * Double.parseDouble(best[3]), "best loss");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SparkLineFit.run(p, new LineFit.Settings("adam", 0.3, 0, 0.9, "cosine", 5, false), 2, "auto", 0));
        assertEquals("on Spark, gradients that are never zeroed are SGD with momentum 1: use --optimizer sgd --momentum 0"
                + " without --zero-grad, or --zero-grad (got --optimizer adam --momentum 0)", e.getMessage());
    }

    @Test
    void lineFitRecoversAAndBLikeTheInProcessLoop(@TempDir Path dir) {
        LineFit.Points p = LineFit.points(LineFit.POINTS, 2, LineFitTest.SEED);
        LineFit.Settings s = LineFit.Settings.ADAM;
        SparkLineFit.Result r = SparkLineFit.run(p, s, 3, "auto", 0);
        LineFit.Result local = LineFit.run(p, s, 0);
        assertEquals(400, r.fit().losses().size());
        assertEquals(2.5, r.fit().bestA(), 0.02, "a");
        assertEquals(1.0, r.fit().bestB(), 0.5, "b");
        assertEquals(local.bestA(), r.fit().bestA(), 1e-3, "a as in-process");
        assertEquals(local.bestB(), r.fit().bestB(), 2e-2, "b as in-process");
        assertEquals(local.losses().get(0), r.fit().losses().get(0), 1e-5 * local.losses().get(0), "first loss");
        SparkJobSupport.Outputs files = SparkLineFit.write(p, r, dir);
        assertTrue(Files.isRegularFile(files.model()) && Files.isRegularFile(dir.resolve("fit.png")));
    }
}
