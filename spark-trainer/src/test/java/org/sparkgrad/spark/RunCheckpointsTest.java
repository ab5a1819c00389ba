package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.nn.Tanh;
import org.sparkgrad.engine.optim.LRScheduler;
import org.sparkgrad.engine.optim.Optimizer;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.engine.optim.StepLR;

/**
 * A checkpoint directory belongs to one run (issue 15): another run's checkpoints are refused or set aside, never
 * deleted; a resume names every changed setting and applies only lr, schedule and steps; unusable checkpoints are
 * skipped naming the file; an unwritable directory fails before the first step. Real local Spark, real files.
 */
class RunCheckpointsTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    private static final SerializableSupplier<Module> MLP = () -> {
        Generator g = new Generator(7);
        return new Sequential(new Linear(3, 2, true, g), new Tanh(), new Linear(2, 1, true, g));
    };
    private static final SerializableFunction<Optimizer, LRScheduler> HALF_EACH_EPOCH = o -> new StepLR(o, 1, 0.5);

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[2]");
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** 30 rows in 2 partitions: 8 steps of batch 4 per epoch. */
    private static TrainingData data(long seed) {
        return TrainingData.fromRdd(sc.parallelize(Arrays.asList(DataParallelTrainerTest.regressionRows(30, seed)), 2), 3, 1);
    }

    private static DataParallelTrainer trainer(double lr, double momentum) {
        return new DataParallelTrainer(MLP, () -> new MSELoss(Reduction.SUM), p -> new SGD(p, lr, momentum)).batchSize(4)
                .seed(11).logEvery(0);
    }

    /** The files directly in dir, by name, with their bytes (not Hadoop's .crc side files). */
    private static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> Files.isRegularFile(p) && !p.toString().endsWith(".crc")).toList()) {
                out.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    private static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, bytes) -> assertArrayEquals(bytes, actual.get(name), name));
    }

    private static Path onlySupersededFolder(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> aside = s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().startsWith("superseded-"))
                    .toList();
            assertEquals(1, aside.size(), "superseded folders: " + aside);
            return aside.get(0);
        }
    }

    private static void assertContains(String text, String... parts) {
        for (String part : parts) {
            assertTrue(text.contains(part), "expected \"" + part + "\" in: " + text);
        }
    }

    @Test
    void aFreshRunRefusesADirectoryWithAnotherRunsCheckpointsAndStartOverSetsThemAside(@TempDir Path dir)
            throws IOException {
        Path ckpt = dir.resolve("ckpt");
        String uri = ckpt.toUri().toString();
        try (TrainingData data = data(10)) {
            trainer(0.05, 0.9).steps(8).checkpoint(uri, 4).fit(data);
            Map<String, byte[]> runA = files(ckpt);
            assertEquals(List.of("ckpt-000000004.safetensors", "ckpt-000000008.safetensors"), List.copyOf(runA.keySet()));

            List<Long> steps = new ArrayList<>();
            TrainingException other = assertThrows(TrainingException.class, () -> trainer(0.5, 0.9).steps(8)
                    .checkpoint(uri, 4).listener((s, e, l, m) -> steps.add(s)).fit(data));
            assertContains(other.getMessage(), "holds checkpoints of another run (it differs in lr: checkpoint 0.05, this run 0.5)",
                    "ckpt-000000008.safetensors (step 8)", "resume (--resume)", "startOver (--start-over)", "never deleted");
            assertTrue(steps.isEmpty(), "steps ran: " + steps);
            TrainingException same = assertThrows(TrainingException.class,
                    () -> trainer(0.05, 0.9).steps(8).checkpoint(uri, 4).fit(data));
            assertContains(same.getMessage(), "holds checkpoints of a run with this run's settings", "resume (--resume)");
            assertSameFiles(runA, files(ckpt));

            TrainingResult b = trainer(0.5, 0.9).steps(8).checkpoint(uri, 4).startOver(true).fit(data);
            assertEquals(0, b.resumedFromStep());
            assertSameFiles(runA, files(onlySupersededFolder(ckpt)));
            assertEquals(List.of("ckpt-000000004.safetensors", "ckpt-000000008.safetensors"), List.copyOf(files(ckpt).keySet()));
            TrainingState newest = new CheckpointStore(uri, new Configuration()).loadLatestValid().orElseThrow();
            assertEquals("0.5", newest.run().get(RunIdentity.LR));
            assertEquals(b.lossHistory(), newest.lossHistory());
        }
    }

    @Test
    void aResumeWithOtherSettingsIsRefusedNamingEachDifferenceWhileLrStepsAndScheduleMayChange(@TempDir Path dir)
            throws IOException {
        String uri = dir.resolve("ckpt").toUri().toString();
        CheckpointStore store = new CheckpointStore(uri, new Configuration());
        try (TrainingData data = data(10); TrainingData otherRows = data(99)) {
            TrainingResult a = trainer(0.05, 0.9).steps(8).scheduler(HALF_EACH_EPOCH).checkpoint(uri, 4).fit(data);
            TrainingState atEight = store.loadLatestValid().orElseThrow();
            assertEquals(0.025, atEight.optimizer().hyper().get(Optimizer.LR), 1e-15, "StepLR halved lr after epoch 1");
            Map<String, byte[]> before = files(dir.resolve("ckpt"));

            TrainingException e = assertThrows(TrainingException.class, () -> trainer(0.05, 0.5).seed(12).steps(16)
                    .scheduler(HALF_EACH_EPOCH).checkpoint(uri, 4).resume(true).fit(data));
            assertContains(e.getMessage(), "ckpt-000000008.safetensors (step 8) belongs to another run: it differs in ",
                    "optimizer.momentum: checkpoint 0.9, this run 0.5", "seed: checkpoint 11, this run 12",
                    "(a resume may change steps: checkpoint 8, this run 16)");
            e = assertThrows(TrainingException.class, () -> trainer(0.05, 0.9).batchSize(5).steps(16)
                    .scheduler(HALF_EACH_EPOCH).checkpoint(uri, 4).resume(true).fit(data));
            assertContains(e.getMessage(), "batch: checkpoint 4 rows, 8 steps per epoch, this run 5 rows, 6 steps per epoch");
            e = assertThrows(TrainingException.class, () -> trainer(0.05, 0.9).steps(16).scheduler(HALF_EACH_EPOCH)
                    .checkpoint(uri, 4).resume(true).fit(otherRows));
            assertContains(e.getMessage(), "data: checkpoint 30 rows of 3 features and 1 label value(s), content ");
            assertSameFiles(before, files(dir.resolve("ckpt")));

            TrainingResult resumed;
            try (CheckpointFixtures.LogCatcher log = new CheckpointFixtures.LogCatcher(DataParallelTrainer.class)) {
                resumed = trainer(0.5, 0.9).steps(16).scheduler(HALF_EACH_EPOCH).checkpoint(uri, 4).resume(true).fit(data);
                String warnings = String.join("\n", log.warnings());
                assertContains(warnings, "with a changed setting, applied from step 9: lr: checkpoint 0.05, this run 0.5",
                        "applied from step 9: steps: checkpoint 8, this run 16");
            }
            assertEquals(8, resumed.resumedFromStep());
            assertEquals(a.lossHistory(), resumed.lossHistory().subList(0, 8));
            TrainingState last = store.loadLatestValid().orElseThrow();
            assertEquals(16, last.step());
            // The run's lr 0.5 under the replayed schedule: 0.25 in epoch 2, halved again after it.
            assertEquals(0.125, last.optimizer().hyper().get(Optimizer.LR), 1e-15);
            assertEquals(0.5, last.optimizer().hyper().get(Optimizer.INITIAL_LR), 1e-15);
            assertEquals("0.5", last.run().get(RunIdentity.LR));
        }
    }

    /**
     * A checkpoint in the layout written before run identities (commit 86abff1 added them): the same format 1 with no
     * {@code run.*} metadata. CheckpointFormat.encode of a state without identity writes that layout byte for byte
     * (the identity is its only addition), which the test checks on the file's metadata keys.
     */
    private static void saveLegacy(CheckpointStore from, String to) throws IOException {
        TrainingState s = from.loadLatestValid().orElseThrow();
        CheckpointStore legacy = new CheckpointStore(to, new Configuration());
        legacy.save(new TrainingState(s.step(), s.epoch(), s.dataSeed(), s.parameters(), s.optimizer(), s.lossHistory()));
        Path file = Path.of(java.net.URI.create(legacy.list().get(0)));
        Map<String, String> meta = org.sparkgrad.engine.io.SafeTensors.read(file).metadata();
        List<String> keys = new ArrayList<>(meta.keySet());
        keys.removeIf(k -> k.startsWith(CheckpointFormat.HYPER_PREFIX));
        assertEquals(List.of("format", "format_version", "step", "epoch", "data_seed", "parameters", "optimizer.params",
                "optimizer.state", "checksum"), keys, "the old layout's metadata");
    }

    @Test
    void aCheckpointFromBeforeRunIdentitiesIsResumedOnlyWhenAdoptedAndMatchingWhatItRecords(@TempDir Path dir)
            throws IOException {
        String written = dir.resolve("written").toUri().toString();
        Path legacyDir = dir.resolve("legacy");
        String uri = legacyDir.toUri().toString();
        try (TrainingData data = data(10)) {
            TrainingResult whole = trainer(0.05, 0.9).steps(8).fit(data);
            trainer(0.05, 0.9).steps(4).checkpoint(written, 4).fit(data);
            saveLegacy(new CheckpointStore(written, new Configuration()), uri);
            Map<String, byte[]> before = files(legacyDir);

            TrainingException e = assertThrows(TrainingException.class,
                    () -> trainer(0.05, 0.9).steps(8).checkpoint(uri, 4).resume(true).fit(data));
            assertContains(e.getMessage(), "ckpt-000000004.safetensors (step 4) was written before checkpoints recorded"
                    + " their run (it has no run.* metadata): its model layout, seed, learning rate and optimizer"
                    + " hyper-parameters match this run's, but it cannot show its data, batch plan, labels, loss,"
                    + " optimizer class or schedule. If it is this run's, resume with adoptCheckpoint"
                    + " (--adopt-checkpoint)", "startOver (--start-over)");
            e = assertThrows(TrainingException.class, () -> trainer(0.05, 0.9).steps(8).checkpoint(uri, 4).fit(data));
            assertContains(e.getMessage(), "holds checkpoints written before checkpoints recorded their run",
                    "resume (--resume)");
            // adopting vouches for what the checkpoint cannot show, not for what it records
            e = assertThrows(TrainingException.class, () -> trainer(0.05, 0.5).seed(12).steps(8).checkpoint(uri, 4)
                    .resume(true).adoptCheckpoint(true).fit(data));
            assertContains(e.getMessage(), "(step 4), written before checkpoints recorded their run, belongs to another"
                    + " run: it differs in optimizer.momentum: checkpoint 0.9, this run 0.5; seed: checkpoint 11, this run"
                    + " 12");
            assertSameFiles(before, files(legacyDir));

            TrainingResult adopted;
            try (CheckpointFixtures.LogCatcher log = new CheckpointFixtures.LogCatcher(DataParallelTrainer.class)) {
                adopted = trainer(0.05, 0.9).steps(8).checkpoint(uri, 4).resume(true).adoptCheckpoint(true).fit(data);
                assertContains(String.join("\n", log.warnings()), "adopting the checkpoint ",
                        "ckpt-000000004.safetensors (step 4), written before checkpoints recorded their run");
            }
            assertEquals(4, adopted.resumedFromStep());
            for (String name : whole.parameters().keySet()) {
                assertArrayEquals(whole.parameter(name).toFloatArray(), adopted.parameter(name).toFloatArray(), name);
            }
            TrainingState newest = new CheckpointStore(uri, new Configuration()).loadLatestValid().orElseThrow();
            assertEquals(8, newest.step());
            assertEquals("0.05", newest.run().get(RunIdentity.LR), "the adopting run's checkpoints record it");
        }
    }

    @Test
    void aCheckpointOfAnotherShapeIsNamedAndTheNextOlderOneIsResumed(@TempDir Path dir) {
        String uri = dir.resolve("ckpt").toUri().toString();
        CheckpointStore store = new CheckpointStore(uri, new Configuration());
        try (TrainingData data = data(10)) {
            TrainingResult whole = trainer(0.05, 0.9).steps(8).checkpoint(uri, 4).fit(data);
            TrainingState s8 = store.loadLatestValid().orElseThrow();
            Map<String, Tensor> params = new LinkedHashMap<>(s8.parameters());
            params.put("0.weight", Tensor.zeros(4, 3));
            store.save(new TrainingState(8, s8.epoch(), s8.dataSeed(), params, s8.optimizer(), s8.lossHistory(), s8.run()));

            TrainingResult resumed;
            try (CheckpointFixtures.LogCatcher log = new CheckpointFixtures.LogCatcher()) {
                resumed = trainer(0.05, 0.9).steps(8).checkpoint(uri, 4).resume(true).fit(data);
                assertEquals(List.of("skipping checkpoint " + store.directory() + "/ckpt-000000008.safetensors: it does not"
                        + " fit the model: parameter 0.weight is float32 [4, 3], the model's is float32 [2, 3]"), log.warnings());
            }
            assertEquals(4, resumed.resumedFromStep());
            for (String name : whole.parameters().keySet()) {
                assertArrayEquals(whole.parameter(name).toFloatArray(), resumed.parameter(name).toFloatArray(), name);
            }
        }
    }

    @Test
    void aResumeWithCheckpointsButNoneUsableFailsListingTheReasonsUnlessToldToStartOver(@TempDir Path dir)
            throws IOException {
        Path ckpt = dir.resolve("ckpt");
        String uri = ckpt.toUri().toString();
        try (TrainingData data = data(10)) {
            trainer(0.05, 0.9).steps(8).checkpoint(uri, 4).fit(data);
            Path four = ckpt.resolve("ckpt-000000004.safetensors");
            Path eight = ckpt.resolve("ckpt-000000008.safetensors");
            byte[] bytes = Files.readAllBytes(four);
            bytes[bytes.length - 3] ^= 0x10;
            Files.write(four, bytes);
            Files.write(eight, Arrays.copyOf(Files.readAllBytes(eight), 100));
            Map<String, byte[]> damaged = files(ckpt);

            TrainingException e = assertThrows(TrainingException.class,
                    () -> trainer(0.05, 0.9).steps(8).checkpoint(uri, 4).resume(true).fit(data));
            assertContains(e.getMessage(), "holds 2 checkpoint(s) and none is usable: ", "ckpt-000000008.safetensors: ",
                    "ckpt-000000004.safetensors: Checksum error", "startOver (--start-over)");
            assertSameFiles(damaged, files(ckpt));

            TrainingResult fresh = trainer(0.05, 0.9).steps(8).checkpoint(uri, 4).resume(true).startOver(true).fit(data);
            assertEquals(0, fresh.resumedFromStep());
            assertEquals(8, fresh.lossHistory().size());
            assertSameFiles(damaged, files(onlySupersededFolder(ckpt)));
        }
    }

    @Test
    void anUnwritableCheckpointDirectoryFailsBeforeTheFirstStep(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        String uri = file.resolve("ckpt").toUri().toString();
        List<Long> steps = new ArrayList<>();
        try (TrainingData data = data(10)) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> trainer(0.05, 0.9).steps(8)
                    .checkpoint(uri, 4).listener((s, ep, l, m) -> steps.add(s)).fit(data));
            assertContains(e.getMessage(), "the checkpoint directory file:" + file + "/ckpt is not writable: ");
        }
        assertTrue(steps.isEmpty(), "steps ran: " + steps);
    }

    @Test
    void orphanedTemporaryFilesOlderThanTheNewestCheckpointAreRemovedOthersStay(@TempDir Path dir) throws IOException {
        CheckpointStore store = new CheckpointStore(dir.toUri().toString(), new Configuration());
        Instant now = Instant.now();
        Path orphan = Files.writeString(dir.resolve(".ckpt-000000002.safetensors.tmp-1111"), "crashed save");
        Files.setLastModifiedTime(orphan, FileTime.from(now.minusSeconds(3600)));
        Path inProgress = Files.writeString(dir.resolve(".ckpt-000000009.safetensors.tmp-2222"), "a save going on");
        Files.setLastModifiedTime(inProgress, FileTime.from(now.plusSeconds(3600)));
        Path unrelated = Files.writeString(dir.resolve("notes.tmp-3333"), "not ours");
        Files.setLastModifiedTime(unrelated, FileTime.from(now.minusSeconds(3600)));

        store.save(new CheckpointFixtures.Run(1).steps(2).state());
        assertFalse(Files.exists(orphan));
        assertTrue(Files.exists(inProgress));
        assertTrue(Files.exists(unrelated));
        assertEquals(List.of(store.directory() + "/ckpt-000000002.safetensors"), store.list());
    }
}
