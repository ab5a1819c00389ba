package org.sparkgrad.jobs;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.spark.SparkgradKryoRegistrator;
import org.sparkgrad.spark.TrainingResult;

/**
 * What the data-parallel jobs share: the Spark session (an existing one, or a new one with the settings of
 * conf/spark-defaults.conf and the trainer's Kryo settings), and the files a run writes next to each other.
 */
final class SparkJobSupport {
    /** The help of the Spark programs' --step-mode option (the trainer's stepMode). */
    static final String STEP_MODE_HELP = "how steps run: barrier stages, one Spark job per step, or auto (barrier"
            + " stages when every partition has a slot)";
    private SparkJobSupport() {
    }

    /** A Spark session with its Java context; {@link #close()} stops it only when this job created it. */
    record Session(SparkSession spark, JavaSparkContext sc, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) {
                spark.stop();
            }
        }
    }

    /**
     * The active Spark session when there is one (e.g. a test's, or a notebook's); otherwise a new one named
     * appName with {@link #conf}.
     */
    static Session open(String master, String appName) {
        SparkSession existing = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get()
                : SparkSession.getDefaultSession().isDefined() ? SparkSession.getDefaultSession().get() : null;
        if (existing != null && !existing.sparkContext().isStopped()) {
            return new Session(existing, JavaSparkContext.fromSparkContext(existing.sparkContext()), false);
        }
        SparkSession spark = SparkSession.builder().config(conf(master, appName)).getOrCreate();
        return new Session(spark, JavaSparkContext.fromSparkContext(spark.sparkContext()), true);
    }

    /**
     * A new session's settings: spark-submit's (system properties), then those of {@code spark-defaults.conf} in the
     * conf dir ({@link Main#confDir()}, which bin/run sets) where not set, and the trainer's Kryo settings. master
     * {@code auto} keeps the spark.master that spark-submit set and falls back to {@code local[*,F]}, F being
     * spark.task.maxFailures (4): plain local mode never retries a failed task. A master that is not local gets
     * the job jar in spark.jars (unless set), so executors can load the job's classes.
     */
    static SparkConf conf(String master, String appName) {
        SparkConf conf = new SparkConf().setAppName(appName);
        String dir = Main.confDir();
        if (dir != null) {
            Path defaults = Path.of(dir, "spark-defaults.conf");
            if (Files.isRegularFile(defaults)) {
                // Read as Spark's own loader does: java.util.Properties, whitespace between key and value.
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(defaults, StandardCharsets.UTF_8)) {
                    p.load(r);
                } catch (IOException e) {
                    throw new UncheckedIOException("could not read " + defaults + ": " + e.getMessage(), e);
                }
                p.stringPropertyNames().forEach(k -> conf.setIfMissing(k, p.getProperty(k).trim()));
            }
        }
        if (master != null && !master.equals("auto")) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*," + conf.getInt("spark.task.maxFailures", 4) + "]");
        }
        if (!conf.get("spark.master").startsWith("local")) {
            String jar = jobJar(SparkJobSupport.class.getProtectionDomain().getCodeSource().getLocation());
            if (jar != null) {
                conf.setIfMissing("spark.jars", jar);
            }
        }
        SparkgradKryoRegistrator.configure(conf);
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        if (conf.get("spark.master").startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        return conf;
    }

    /** The job jar's path when the classes were loaded from a jar (bin/run, spark-submit), else null. */
    static String jobJar(URL codeSource) {
        if (codeSource == null || !codeSource.getPath().endsWith(".jar")) {
            return null;
        }
        try {
            return Path.of(codeSource.toURI()).toString();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Creates the output folder and writes and deletes a probe file in it, so an unwritable {@code --out} fails at
     * start-up instead of after training.
     *
     * @throws Options.BadOption naming the folder and the reason
     */
    static void checkWritable(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".probe-", ".tmp"));
        } catch (IOException | UnsupportedOperationException e) {
            throw new Options.BadOption("--out " + dir + " is not a writable folder: " + e);
        }
    }

    /** How a file's contents are written to a path. */
    interface FileWriter {
        void write(Path file) throws IOException;
    }

    /**
     * Writes target atomically: into a temporary file in the same folder, then renamed over target, so a crash or
     * a failed write never leaves a half-written target (nor removes an earlier one).
     */
    static void writeAtomically(Path target, FileWriter writer) throws IOException {
        Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), "." + target.getFileName() + ".", ".tmp");
        try {
            writer.write(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Moves the folder {@code tmp} to {@code target} on their (common) Hadoop file system, replacing an older target: the
     * old one is first renamed aside and deleted only after the new one is in place, so target is never half-written.
     */
    static void replaceFolder(SparkSession spark, String tmp, String target) {
        org.apache.hadoop.fs.Path from = new org.apache.hadoop.fs.Path(tmp);
        org.apache.hadoop.fs.Path to = new org.apache.hadoop.fs.Path(target);
        try {
            org.apache.hadoop.fs.FileSystem fs = to.getFileSystem(spark.sparkContext().hadoopConfiguration());
            org.apache.hadoop.fs.Path old = null;
            if (fs.exists(to)) {
                old = new org.apache.hadoop.fs.Path(to.getParent(), "." + to.getName() + ".old-" + System.nanoTime());
                if (!fs.rename(to, old)) {
                    throw new IOException("could not move the old " + to + " aside");
                }
            }
            if (!fs.rename(from, to)) {
                throw new IOException("could not rename " + from + " to " + to);
            }
            if (old != null) {
                fs.delete(old, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + target + ": " + e.getMessage(), e);
        }
    }

    /** A temporary sibling of target (same folder, hidden name), for {@link #replaceFolder}. */
    static String temporarySibling(String target) {
        org.apache.hadoop.fs.Path to = new org.apache.hadoop.fs.Path(target);
        return new org.apache.hadoop.fs.Path(to.getParent() == null ? new org.apache.hadoop.fs.Path(".") : to.getParent(),
                "." + to.getName() + ".tmp-" + Long.toHexString(System.nanoTime())).toString();
    }

    /** Prints what the executor tasks computed on (a GPU, or the CPU and why). */
    static void printDevices(TrainingResult r) {
        System.out.println("executor tasks computed on: " + String.join("; ", r.devices()));
    }

    /** The three files a training job writes into one folder. */
    record Outputs(Path model, Path lossCsv, Path lossPng) {
        /** Prints where the files are. */
        void print() {
            System.out.println("model written to " + model);
            System.out.println("loss history written to " + lossCsv);
            System.out.println("loss curve written to " + lossPng);
        }
    }

    /** Writes model.safetensors (the final parameters, atomically), loss.csv and loss.png into dir. */
    static Outputs write(TrainingResult r, Path dir) {
        Path model = dir.resolve("model.safetensors");
        Path csv = dir.resolve("loss.csv");
        try {
            Files.createDirectories(dir);
            writeAtomically(model, file -> SafeTensors.saveModule(r.model(), file));
            writeAtomically(csv, file -> Files.writeString(file, r.lossCsv(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the results to " + dir + ": " + e.getMessage(), e);
        }
        Path png = Charts.lossCurve(r.lossHistory(), dir.resolve("loss.png"));
        return new Outputs(model, csv, png);
    }

    /**
     * The {@code --init-weights} option of the training programs: a safetensors file of the model's initial parameters
     * (any Hadoop URI or local path; e.g. the model.safetensors another run wrote), or null when not given. The trainer
     * (or {@code InitialWeights} for the one-machine loops) checks it against the model.
     */
    static String initWeights(Options o) {
        String file = o.text("init-weights");
        return file.isEmpty() ? null : file;
    }

    /** The help of {@code --init-weights} for a model whose parameters are described. */
    static String initWeightsHelp(String parameters) {
        return "safetensors file (any Hadoop URI or path) of the initial parameters, " + parameters
                + ", as model.safetensors holds them; empty: the model's own initial values";
    }
}
