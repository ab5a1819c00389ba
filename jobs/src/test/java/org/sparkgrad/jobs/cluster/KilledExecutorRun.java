package org.sparkgrad.jobs.cluster;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.nn.Tanh;
import org.sparkgrad.engine.optim.Adam;
import org.sparkgrad.spark.DataParallelTrainer;
import org.sparkgrad.spark.LinearRowGenerator;
import org.sparkgrad.spark.TrainingData;
import org.sparkgrad.spark.TrainingResult;

/**
 * Barrier-stage training driven from this JVM on a standalone cluster, whose executors get the job jar and this
 * module's test classes (the model's factory is a lambda of this class): once straight through, once with an executor
 * JVM killed (SIGKILL) from the step listener after a chosen step, in the middle of a barrier stage. The rows are
 * generated on the executors in 5 partitions for the 2 one-core executors, so each stage's task owns several
 * partitions; after the kill, the new stage's tasks (as many as there are slots then) read the surviving executor's
 * cached blocks over the network and rebuild the killed one's from lineage.
 */
final class KilledExecutorRun {
    /** 200 rows in batches of 10: one epoch of 20 steps, so the 12 steps are one barrier stage. */
    static final int STEPS = 12;
    /** Held strongly: java.util.logging keeps loggers weakly. */
    private static final Logger TRAINER_LOG = Logger.getLogger(DataParallelTrainer.class.getName());

    private KilledExecutorRun() {
    }

    /** What a run ended with: its parameters by name, and the trainer's warnings. */
    record Outcome(Map<String, float[]> parameters, List<String> warnings) {
    }

    /**
     * Two runs of STEPS steps in one application: straight through, then with one of its executors killed after step
     * killAfter (its command line added to killed).
     */
    static List<Outcome> straightThenKilled(String masterUrl, Path conf, List<Path> jars, int killAfter,
            List<String> killed) throws IOException {
        SparkConf sparkConf = new SparkConf().setMaster(masterUrl).setAppName("sparkgrad killed-executor IT");
        Properties defaults = new Properties();
        try (var in = Files.newBufferedReader(conf)) {
            defaults.load(in);
        }
        defaults.forEach((k, v) -> sparkConf.set((String) k, ((String) v).trim()));
        sparkConf.set("spark.jars", String.join(",", jars.stream().map(p -> p.toAbsolutePath().toString()).toList()))
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.executor.memory", "1g").set("spark.executor.cores", "1").set("spark.cores.max", "2")
                .set("spark.ui.enabled", "false")
                // a new barrier stage waits for the replacement executor: recheck the slots every second, not 15 s
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s");
        List<String> warnings = java.util.Collections.synchronizedList(new ArrayList<>());
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        TRAINER_LOG.addHandler(handler);
        SparkSession spark = SparkSession.builder().config(sparkConf).getOrCreate();
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            String appId = sc.sc().applicationId();
            try (TrainingData data = TrainingData.synthetic(sc, new LinearRowGenerator(new float[] {1.5f, -2f, 0.5f}, 0.3f,
                    0.1), 200, 5, 21)) {
                List<Outcome> outcomes = new ArrayList<>();
                for (int kill : new int[] {-1, killAfter}) {
                    warnings.clear();
                    TrainingResult r = new DataParallelTrainer(KilledExecutorRun::model, () -> new MSELoss(Reduction.SUM),
                            p -> new Adam(p, 0.01)).batchSize(10).steps(STEPS).seed(5).logEvery(0).stepMode("barrier")
                            .listener((step, epoch, loss, m) -> {
                                if (step == kill) {
                                    killed.add(killOneExecutor(appId));
                                }
                            }).fit(data);
                    Map<String, float[]> out = new LinkedHashMap<>();
                    r.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
                    outcomes.add(new Outcome(out, List.copyOf(warnings)));
                }
                return outcomes;
            }
        } finally {
            spark.stop();
            TRAINER_LOG.removeHandler(handler);
        }
    }

    private static Module model() {
        Generator g = new Generator(3);
        return new Sequential(new Linear(3, 8, true, g), new Tanh(), new Linear(8, 1, true, g));
    }

    /**
     * Kills (SIGKILL) one executor JVM of the application, found among this machine's processes by its command line
     * (CoarseGrainedExecutorBackend ... --app-id appId), and waits for it to exit; returns its command line.
     */
    private static String killOneExecutor(String appId) {
        List<ProcessHandle> executors = ProcessHandle.allProcesses().filter(p -> {
            String c = commandLine(p);
            return c.contains("CoarseGrainedExecutorBackend") && c.contains(appId);
        }).toList();
        if (executors.isEmpty()) {
            throw new IllegalStateException("no executor process of " + appId + " on this machine");
        }
        ProcessHandle victim = executors.get(executors.size() - 1);
        String command = commandLine(victim);
        victim.destroyForcibly();
        try {
            victim.onExit().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("executor " + victim.pid() + " did not exit after SIGKILL", e);
        }
        return command;
    }

    /**
     * A process's whole command line: ProcessHandle.Info leaves out the arguments of a command line over 4 KiB (an
     * executor's, with the JVM options of conf/spark-defaults.conf), so on Linux it is read from /proc.
     */
    private static String commandLine(ProcessHandle p) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline")).replace('\0', ' ');
        } catch (IOException | RuntimeException e) {
            return p.info().commandLine().orElse("");
        }
    }

    /** A jar of a classes folder (the test classes, for the executors). */
    static Path jarOf(Path classes, Path jar) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out);
                var files = Files.walk(classes)) {
            List<Path> all = new ArrayList<>(files.filter(Files::isRegularFile).toList());
            for (Path f : all) {
                j.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, j);
                j.closeEntry();
            }
        }
        return jar;
    }
}
