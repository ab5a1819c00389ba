package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkgrad.spark.CheckpointFixtures.assertBitwiseEqual;
import static org.sparkgrad.spark.CheckpointFixtures.assertSameState;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.engine.optim.OptimizerState;
import org.sparkgrad.spark.CheckpointFixtures.LogCatcher;
import org.sparkgrad.spark.CheckpointFixtures.Run;

/**
 * {@link CheckpointStore} and {@link TrainingState} on the local file system through Hadoop's
 * {@code file://} scheme: bitwise round trips, the file layout, atomic saving, skipping of damaged
 * checkpoints with a warning, and retention.
 */
class CheckpointStoreTest {
    @TempDir
    Path dir;

    private final Configuration conf = new Configuration();

    private String uri() {
        return dir.toUri().toString();
    }

    private CheckpointStore store() {
        return new CheckpointStore(uri(), conf);
    }

    private Path file(long step) {
        return dir.resolve(CheckpointStore.fileName(step));
    }

    /** Hadoop's local file system keeps a CRC beside each file; without it only our checksum guards the data. */
    private Path crc(long step) {
        return dir.resolve("." + CheckpointStore.fileName(step) + ".crc");
    }

    private List<String> namesInDir() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private List<Long> listedSteps(CheckpointStore store) {
        List<Long> steps = new ArrayList<>();
        for (String p : store.list()) {
            String name = p.substring(p.lastIndexOf('/') + 1);
            steps.add(Long.parseLong(name.substring("ckpt-".length(), name.indexOf('.'))));
        }
        return steps;
    }

    /** Saves the run's state after each of the given steps. */
    private static void saveAt(CheckpointStore store, Run run, int... steps) {
        for (int s : steps) {
            run.steps(s - (int) run.step);
            store.save(run.state());
        }
    }

    // =====================================================================================================
    // Round trip and layout

    @Test
    void roundTripIsBitwiseAndResumingContinuesTheSameRun() {
        Run run = new Run(1).steps(5);
        TrainingState saved = run.state();
        CheckpointStore store = store();
        store.save(saved);

        TrainingState loaded = store.loadLatestValid().orElseThrow();
        assertSameState(saved, loaded);

        Run resumed = new Run(99); // other initial weights: everything must come from the checkpoint
        resumed.restore(loaded);
        run.steps(3);
        resumed.steps(3);
        assertSameState(run.state(), resumed.state());
    }

    @Test
    void aCheckpointIsAStandardSafetensorsFile() throws IOException {
        Run run = new Run(1).steps(17);
        store().save(run.state());
        assertEquals(List.of("." + CheckpointStore.fileName(17) + ".crc", "ckpt-000000017.safetensors"), namesInDir());

        SafeTensors.Contents c = SafeTensors.read(file(17));
        Map<String, String> m = c.metadata();
        assertEquals("sparkgrad.checkpoint", m.get("format"));
        assertEquals("1", m.get("format_version"));
        assertEquals("17", m.get("step"));
        assertEquals("4", m.get("epoch"));
        assertEquals("42", m.get("data_seed"));
        assertEquals("[\"0.weight\",\"0.bias\",\"2.weight\",\"2.bias\"]", m.get("parameters"));
        assertEquals("[\"0.weight\",\"0.bias\",\"2.weight\",\"2.bias\"]", m.get("optimizer.params"));
        assertEquals("0.01", m.get("optimizer.hyper.lr"));
        assertEquals("0.9", m.get("optimizer.hyper.beta1"));
        assertTrue(m.get("checksum").matches("sha256:[0-9a-f]{64}"), m.get("checksum"));

        assertBitwiseEqual(run.model.stateDict().get("0.weight"), c.tensors().get("param.0.weight"), "param.0.weight");
        assertBitwiseEqual(run.optimizer.stateDict().tensors().get("state.2.bias.exp_avg_sq"),
                c.tensors().get("optim.state.2.bias.exp_avg_sq"), "optim.state.2.bias.exp_avg_sq");
        Tensor losses = c.tensors().get("loss_history");
        assertEquals(DType.FLOAT64, losses.dtype());
        assertEquals(17, losses.numel());
        assertEquals(run.losses.get(16), losses.toArray()[16]);
    }

    @Test
    void aStateBeforeTheFirstStepRoundTrips() {
        Run run = new Run(3);
        TrainingState s = run.state(); // no optimizer buffers, no losses yet
        assertTrue(s.optimizer().tensors().isEmpty());
        store().save(s);
        assertSameState(s, store().loadLatestValid().orElseThrow());
    }

    @Test
    void fileNamesSortByStep() {
        assertEquals("ckpt-000000017.safetensors", CheckpointStore.fileName(17));
        assertEquals("ckpt-12345678901.safetensors", CheckpointStore.fileName(12_345_678_901L));
        CheckpointStore store = new CheckpointStore(uri(), conf, 10);
        Run run = new Run(1);
        saveAt(store, run, 3, 5, 17);
        assertEquals(List.of(3L, 5L, 17L), listedSteps(store));
        assertTrue(store.list().get(0).startsWith("file:/"), store.list().get(0));
        assertEquals(17, store.loadLatestValid().orElseThrow().step());
    }

    @Test
    void aPathWithoutSchemeUsesTheDefaultFileSystem() {
        CheckpointStore store = new CheckpointStore(dir.toString(), conf);
        assertEquals(uri().replaceAll("/$", "").replace("file:///", "file:/"), store.directory());
        store.save(new Run(1).steps(1).state());
        assertEquals(1, store.loadLatestValid().orElseThrow().step());
    }

    // =====================================================================================================
    // Atomic saving

    @Test
    void aTemporaryFileLeftByACrashIsIgnored() throws IOException {
        CheckpointStore store = store();
        Run run = new Run(1);
        saveAt(store, run, 10);
        byte[] complete = Files.readAllBytes(file(10));
        // What a writer killed in the middle of step 20's checkpoint leaves behind.
        Files.write(dir.resolve(".ckpt-000000020.safetensors.tmp-0b5e8c9a-1d2f-4c3b-9a8e-7f6d5c4b3a21"),
                Arrays.copyOf(complete, complete.length / 2));
        try (LogCatcher log = new LogCatcher()) {
            assertEquals(List.of(10L), listedSteps(store));
            assertEquals(10, store.loadLatestValid().orElseThrow().step());
            assertEquals(List.of(), log.warnings());
        }
    }

    /** A tensor that fails on the n-th read of its values: a crash in the middle of a save. */
    private static final class FailingOnRead extends Tensor {
        private int readsLeft;

        FailingOnRead(Tensor data, int okReads) {
            super(data);
            this.readsLeft = okReads;
        }

        @Override
        public float[] toFloatArray() {
            if (readsLeft-- <= 0) {
                throw new IllegalStateException("disk on fire");
            }
            return super.toFloatArray();
        }
    }

    @Test
    void aFailedSaveDeletesItsTemporaryFileAndKeepsTheOldCheckpoints() throws IOException {
        CheckpointStore store = store();
        Run run = new Run(1);
        saveAt(store, run, 1);
        List<String> before = namesInDir();
        byte[] oldBytes = Files.readAllBytes(file(1));

        run.steps(1);
        TrainingState s = run.state();
        Map<String, Tensor> params = new LinkedHashMap<>(s.parameters());
        // The first read computes the checksum, the second happens while the file is being written.
        params.put("0.weight", new FailingOnRead(params.get("0.weight"), 1));
        TrainingState failing = new TrainingState(2, 0, 42, params, s.optimizer(), s.lossHistory());
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> store.save(failing));
        assertEquals("disk on fire", ex.getMessage());

        assertEquals(before, namesInDir());
        assertTrue(Arrays.equals(oldBytes, Files.readAllBytes(file(1))));
        assertEquals(1, store.loadLatestValid().orElseThrow().step());
    }

    @Test
    void savingTheSameStepAgainReplacesTheCheckpoint() {
        CheckpointStore store = store();
        Run a = new Run(1).steps(4);
        Run b = new Run(2).steps(4);
        store.save(a.state());
        store.save(b.state());
        assertEquals(List.of(4L), listedSteps(store));
        assertSameState(b.state(), store.loadLatestValid().orElseThrow());
    }

    @Test
    void saveCreatesMissingDirectories() {
        CheckpointStore store = new CheckpointStore(dir.resolve("a/b/c").toUri().toString(), conf);
        assertEquals(List.of(), store.list());
        store.save(new Run(1).steps(1).state());
        assertEquals(1, store.list().size());
    }

    @Test
    void aDirectoryThatIsAFileFailsWithThePath() throws IOException {
        Path notADir = Files.writeString(dir.resolve("plain.txt"), "x");
        CheckpointStore store = new CheckpointStore(notADir.toUri().toString(), conf);
        TrainingState s = new Run(1).state();
        UncheckedIOException ex = assertThrows(UncheckedIOException.class, () -> store.save(s));
        assertTrue(ex.getMessage().startsWith("could not save checkpoint file:" + notADir + "/ckpt-000000000.safetensors"),
                ex.getMessage());
    }

    // =====================================================================================================
    // Damaged checkpoints are skipped with a warning

    private static long headerLength(byte[] file) {
        return java.nio.ByteBuffer.wrap(file, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static String onlyWarning(LogCatcher log) {
        assertEquals(1, log.warnings().size(), log.warnings().toString());
        return log.warnings().get(0);
    }

    @Test
    void aFlippedDataByteFailsTheChecksum() throws IOException {
        CheckpointStore store = store();
        Run run = new Run(1);
        saveAt(store, run, 1, 2);
        TrainingState second = store.loadLatestValid().orElseThrow();
        saveAt(store, run, 3);
        byte[] b = Files.readAllBytes(file(3));
        b[b.length - 10] ^= 0x01; // one bit of a parameter's float
        Files.write(file(3), b);
        Files.delete(crc(3)); // as on a file system without its own checksums (object stores)

        try (LogCatcher log = new LogCatcher()) {
            TrainingState loaded = store.loadLatestValid().orElseThrow();
            assertSameState(second, loaded);
            String w = onlyWarning(log);
            assertTrue(w.startsWith("skipping checkpoint file:" + file(3) + ": checksum mismatch: the file says sha256:"), w);
            assertTrue(w.endsWith("(corrupted or modified)"), w);
        }
    }

    @Test
    void aChangedMetadataValueFailsTheChecksum() throws IOException {
        CheckpointStore store = store();
        Run run = new Run(1);
        saveAt(store, run, 1, 2);
        byte[] b = Files.readAllBytes(file(2));
        String text = new String(b, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("\"data_seed\":\"42\"");
        assertTrue(at > 0);
        b[at + "\"data_seed\":\"".length()] = '5'; // 42 -> 52: still a valid file, a different run
        Files.write(file(2), b);
        Files.delete(crc(2));

        try (LogCatcher log = new LogCatcher()) {
            assertEquals(1, store.loadLatestValid().orElseThrow().step());
            assertTrue(onlyWarning(log).contains("checksum mismatch"), log.warnings().toString());
        }
    }

    @Test
    void aTruncatedCheckpointIsSkipped() throws IOException {
        CheckpointStore store = store();
        Run run = new Run(1);
        saveAt(store, run, 1, 2);
        byte[] b = Files.readAllBytes(file(2));
        Files.write(file(2), Arrays.copyOf(b, b.length - 100));
        Files.delete(crc(2));

        try (LogCatcher log = new LogCatcher()) {
            assertEquals(1, store.loadLatestValid().orElseThrow().step());
            String w = onlyWarning(log);
            assertTrue(w.startsWith("skipping checkpoint file:" + file(2) + ": invalid safetensors file file:" + file(2)
                    + ": tensor \""), w);
            assertTrue(w.endsWith(" past the end of the data section, which has " + (b.length - 100 - 8 - headerLength(b))
                    + " bytes (truncated file?)"), w);
        }
    }

    @Test
    void aGarbageFileWithACheckpointNameIsSkipped() throws IOException {
        CheckpointStore store = store();
        saveAt(store, new Run(1), 1);
        Files.writeString(file(99), "this is not a checkpoint, just text that happens to have the name");

        try (LogCatcher log = new LogCatcher()) {
            assertEquals(1, store.loadLatestValid().orElseThrow().step());
            String w = onlyWarning(log);
            assertTrue(w.startsWith("skipping checkpoint file:" + file(99) + ": invalid safetensors file "), w);
            assertTrue(w.endsWith(": the header length 2338328219631577204 is larger than the 57 bytes that follow it"
                    + " (truncated header?)"), w);
        }
    }

    @Test
    void aSafetensorsFileThatIsNotACheckpointIsSkipped() throws IOException {
        CheckpointStore store = store();
        saveAt(store, new Run(1), 1);
        SafeTensors.save(Map.of("w", Tensor.of(1, 2)), file(5)); // e.g. a model file copied into the directory

        try (LogCatcher log = new LogCatcher()) {
            assertEquals(1, store.loadLatestValid().orElseThrow().step());
            assertEquals("skipping checkpoint file:" + file(5) + ": not a sparkgrad checkpoint: metadata \"format\" is missing,"
                    + " expected \"sparkgrad.checkpoint\"", onlyWarning(log));
        }
    }

    @Test
    void aCheckpointUnderAnotherStepsNameIsSkipped() throws IOException {
        CheckpointStore store = store();
        saveAt(store, new Run(1), 1, 2);
        Files.copy(file(1), file(8));

        try (LogCatcher log = new LogCatcher()) {
            assertEquals(2, store.loadLatestValid().orElseThrow().step());
            assertEquals("skipping checkpoint file:" + file(8) + ": the file name says step 8 but the checkpoint holds step 1",
                    onlyWarning(log));
        }
    }

    @Test
    void hadoopsOwnChecksumCatchesCorruptionToo() throws IOException {
        CheckpointStore store = store();
        saveAt(store, new Run(1), 1, 2);
        byte[] b = Files.readAllBytes(file(2));
        b[b.length / 2] ^= 0x40;
        Files.write(file(2), b); // the .crc file stays: the local file system notices first

        try (LogCatcher log = new LogCatcher()) {
            assertEquals(1, store.loadLatestValid().orElseThrow().step());
            String w = onlyWarning(log);
            assertTrue(w.startsWith("skipping checkpoint file:" + file(2) + ": "), w);
            assertTrue(w.toLowerCase().contains("checksum"), w);
        }
    }

    @Test
    void noValidCheckpointGivesEmpty() throws IOException {
        assertEquals(Optional.empty(), new CheckpointStore(dir.resolve("missing").toUri().toString(), conf).loadLatestValid());
        CheckpointStore store = store();
        assertEquals(Optional.empty(), store.loadLatestValid());
        assertEquals(List.of(), store.list());

        Files.write(file(1), new byte[0]);
        Files.write(file(2), new byte[] {1, 2, 3});
        try (LogCatcher log = new LogCatcher()) {
            assertEquals(Optional.empty(), store.loadLatestValid());
            assertEquals(2, log.warnings().size(), log.warnings().toString());
            assertTrue(log.warnings().get(0).startsWith("skipping checkpoint file:" + file(2)), log.warnings().toString());
            assertTrue(log.warnings().get(1).startsWith("skipping checkpoint file:" + file(1)), log.warnings().toString());
        }
    }

    // =====================================================================================================
    // Retention

    @Test
    void theNewestThreeAreKeptByDefault() throws IOException {
        CheckpointStore store = store();
        assertEquals(CheckpointStore.DEFAULT_KEEP, store.keep());
        saveAt(store, new Run(1), 1, 2, 3, 4, 5);
        assertEquals(List.of(3L, 4L, 5L), listedSteps(store));
        assertEquals(List.of(".ckpt-000000003.safetensors.crc", ".ckpt-000000004.safetensors.crc",
                ".ckpt-000000005.safetensors.crc", "ckpt-000000003.safetensors", "ckpt-000000004.safetensors",
                "ckpt-000000005.safetensors"), namesInDir());
    }

    @Test
    void keepIsConfigurable() {
        CheckpointStore store = new CheckpointStore(uri(), conf, 1);
        Run run = new Run(1);
        saveAt(store, run, 2);
        assertEquals(List.of(2L), listedSteps(store));
        saveAt(store, run, 4);
        assertEquals(List.of(4L), listedSteps(store));
        assertEquals(4, store.loadLatestValid().orElseThrow().step());
    }

    @Test
    void theCheckpointJustWrittenIsNeverDeleted() {
        CheckpointStore store = new CheckpointStore(uri(), conf, 2);
        saveAt(store, new Run(1), 5, 6);
        store.save(new Run(2).steps(3).state()); // older than both, e.g. after resuming from an earlier checkpoint
        assertEquals(List.of(3L, 5L, 6L), listedSteps(store));
    }

    // =====================================================================================================
    // Arguments

    @Test
    void badArgumentsAreRefusedWithTheReason() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new CheckpointStore(uri(), conf, 0));
        assertEquals("keep must be at least 1 checkpoint, got 0", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> new CheckpointStore(" ", conf));
        assertEquals("the checkpoint directory must be a URI or path, got \" \"", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> new CheckpointStore(uri(), null));
        assertEquals("the Hadoop configuration is null (use new Configuration())", ex.getMessage());
        UncheckedIOException io = assertThrows(UncheckedIOException.class, () -> new CheckpointStore("nosuchfs://x/y", conf));
        assertTrue(io.getMessage().startsWith("no Hadoop file system for the checkpoint directory nosuchfs://x/y: "),
                io.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> store().save(null));
        assertEquals("the training state to save is null", ex.getMessage());
    }

    @Test
    void trainingStateChecksItsFields() {
        Map<String, Tensor> p = Map.of("w", Tensor.of(1));
        OptimizerState o = new OptimizerState(List.of("w"), Map.of("lr", 0.1), Map.of());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> new TrainingState(-1, 0, 0, p, o, List.of()));
        assertEquals("step must be >= 0, got -1", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> new TrainingState(0, -2, 0, p, o, List.of()));
        assertEquals("epoch must be >= 0, got -2", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> new TrainingState(0, 0, 0, Map.of(), o, List.of()));
        assertEquals("a training state needs the model's parameters, got an empty map", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> new TrainingState(0, 0, 0, p, null, List.of()));
        assertEquals("a training state needs the optimizer's state (optimizer.stateDict()), got null", ex.getMessage());
        List<Double> withNull = new ArrayList<>(List.of(1.0));
        withNull.add(null);
        ex = assertThrows(IllegalArgumentException.class, () -> new TrainingState(0, 0, 0, p, o, withNull));
        assertEquals("lossHistory has null at index 1", ex.getMessage());

        List<Double> losses = new ArrayList<>(List.of(1.0, 0.5));
        TrainingState s = new TrainingState(2, 0, 7, p, o, losses);
        losses.add(0.25);
        assertEquals(List.of(1.0, 0.5), s.lossHistory());
        assertThrows(UnsupportedOperationException.class, () -> s.parameters().put("x", Tensor.of(2)));
        assertFalse(s.parameters().isEmpty());
    }
}
