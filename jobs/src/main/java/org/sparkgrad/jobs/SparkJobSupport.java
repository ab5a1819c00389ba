package org.sparkgrad.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.spark.SparkgradKryoRegistrator;
import org.sparkgrad.spark.TrainingResult;

/**
 * What the data-parallel jobs share: the Spark session (an existing one,
 * or a new one with the trainer's Kryo settings), and the files a run writes next to each other.
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
     * appName with the trainer's Kryo settings, on master: {@code auto} keeps the spark.master that
     * spark-submit set (a system property) and falls back to {@code local[*]}.
     */
    static Session open(String master, String appName) {
        SparkSession existing = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get()
                : SparkSession.getDefaultSession().isDefined() ? SparkSession.getDefaultSession().get() : null;
        if (existing != null && !existing.sparkContext().isStopped()) {
            return new Session(existing, JavaSparkContext.fromSparkContext(existing.sparkContext()), false);
        }
        SparkConf conf = new SparkConf().setAppName(appName);
        if (master != null && !master.equals("auto")) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        SparkgradKryoRegistrator.configure(conf);
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        if (conf.get("spark.master").startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        return new Session(spark, JavaSparkContext.fromSparkContext(spark.sparkContext()), true);
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

    /** Writes model.safetensors (the final parameters), loss.csv and loss.png into dir. */
    static Outputs write(TrainingResult r, Path dir) {
        Path model = dir.resolve("model.safetensors");
        Path csv = dir.resolve("loss.csv");
        try {
            Files.createDirectories(dir);
            SafeTensors.saveModule(r.model(), model);
            Files.writeString(csv, r.lossCsv(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the results to " + dir + ": " + e.getMessage(), e);
        }
        Path png = Charts.lossCurve(r.lossHistory(), dir.resolve("loss.png"));
        return new Outputs(model, csv, png);
    }
}
