package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a job checks and sets before it trains (issue 15): an unwritable --out fails at start-up, the model is written
 * atomically, a local master retries failed tasks, a cluster master gets the job jar, --start-over needs a checkpoint
 * directory. No Spark is started here.
 */
class JobStartupChecksTest {
    @Test
    void anUnwritableOutFailsBeforeSparkStartsNamingThePathAndTheReason(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
        Options.BadOption e = assertThrows(Options.BadOption.class,
                () -> SparkJobSupport.checkWritable(file.resolve("out")));
        assertTrue(e.getMessage().startsWith("--out " + file.resolve("out") + " is not a writable folder: "), e.getMessage());
        e = assertThrows(Options.BadOption.class, () -> SparkJobSupport.checkWritable(Path.of("/proc/x")));
        assertTrue(e.getMessage().startsWith("--out /proc/x is not a writable folder: "), e.getMessage());

        SparkLinearRegression.Settings s = SparkLinearRegression.Settings.parse("--out", file.resolve("out").toString());
        e = assertThrows(Options.BadOption.class, () -> SparkLinearRegression.run(s, false));
        assertTrue(e.getMessage().startsWith("--out " + file.resolve("out") + " is not a writable folder"), e.getMessage());

        Path fine = dir.resolve("new/out");
        SparkJobSupport.checkWritable(fine);
        try (Stream<Path> left = Files.list(fine)) {
            assertEquals(List.of(), left.toList(), "the probe file is deleted");
        }
    }

    @Test
    void aFileIsReplacedAtomicallyAndAFailedWriteLeavesTheOldOne(@TempDir Path dir) throws IOException {
        Path model = Files.writeString(dir.resolve("model.safetensors"), "old model");
        IOException e = assertThrows(IOException.class, () -> SparkJobSupport.writeAtomically(model, tmp -> {
            Files.writeString(tmp, "half a mod");
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("old model", Files.readString(model));
        SparkJobSupport.writeAtomically(model, tmp -> Files.writeString(tmp, "new model"));
        assertEquals("new model", Files.readString(model));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(model), files.toList(), "no temporary file is left");
        }
    }

    @Test
    void aLocalMasterRetriesTasksAndAClusterMasterGetsTheJobJar() {
        String before = System.getProperty("sparkgrad.conf.dir");
        System.setProperty("sparkgrad.conf.dir", Path.of("..", "conf").toAbsolutePath().normalize().toString());
        try {
            SparkConf local = SparkJobSupport.conf("auto", "t");
            assertEquals("local[*,4]", local.get("spark.master"));
            assertEquals("false", local.get("spark.ui.killEnabled"));
            assertEquals("local[2]", SparkJobSupport.conf("local[2]", "t").get("spark.master"), "an explicit master stays");
            SparkConf cluster = SparkJobSupport.conf("spark://127.0.0.1:7077", "t");
            // Tests load the classes from target/classes, not a jar: nothing to ship.
            assertFalse(cluster.contains("spark.jars"));
        } finally {
            if (before == null) {
                System.clearProperty("sparkgrad.conf.dir");
            } else {
                System.setProperty("sparkgrad.conf.dir", before);
            }
        }
        assertEquals("/opt/sg/jobs/target/sparkgrad-jobs.jar",
                SparkJobSupport.jobJar(toUrl("file:/opt/sg/jobs/target/sparkgrad-jobs.jar")));
        assertNull(SparkJobSupport.jobJar(toUrl("file:/opt/sg/jobs/target/classes/")));
        assertNull(SparkJobSupport.jobJar(null));
    }

    private static java.net.URL toUrl(String s) {
        try {
            return URI.create(s).toURL();
        } catch (java.net.MalformedURLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void startOverNeedsACheckpointDirectory() {
        Options.BadOption e = assertThrows(Options.BadOption.class,
                () -> SparkLinearRegression.Settings.parse("--start-over"));
        assertEquals("--start-over needs --checkpoint-dir (the folder of the checkpoints)", e.getMessage());
        SparkLinearRegression.Settings s = SparkLinearRegression.Settings.parse("--start-over", "--checkpoint-dir", "/tmp/c");
        assertTrue(s.startOver());
        assertFalse(SparkLinearRegression.Settings.parse().startOver());
    }

    @Test
    void adoptCheckpointNeedsACheckpointDirectory() {
        Options.BadOption e = assertThrows(Options.BadOption.class,
                () -> SparkLinearRegression.Settings.parse("--adopt-checkpoint"));
        assertEquals("--adopt-checkpoint needs --checkpoint-dir (the folder of the checkpoints)", e.getMessage());
        assertTrue(SparkLinearRegression.Settings.parse("--resume", "--adopt-checkpoint", "--checkpoint-dir", "/tmp/c")
                .adoptCheckpoint());
        assertFalse(SparkLinearRegression.Settings.parse().adoptCheckpoint());
    }
}
