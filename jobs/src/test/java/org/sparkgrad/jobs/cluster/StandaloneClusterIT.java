package org.sparkgrad.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.jobs.bench.LocalStandaloneCluster;
import org.sparkgrad.spark.SparkgradKryoRegistrator;
import org.sparkgrad.spark.ml.MlpClassificationModel;
import org.sparkgrad.spark.ml.MlpClassifier;

/**
 * The d2l linear regression sent with spark-submit (client mode) to a real standalone cluster — a Master
 * and a Worker on 127.0.0.1 started from the Maven artifacts — learns w and b. The Worker offers two GPUs
 * through a discovery script that lists addresses 0 and 1 (there is no GPU here), so a job that asks for a
 * GPU per executor and per task goes through Spark's real GPU scheduling: each task is handed a GPU address,
 * tries that CUDA device, and falls back to the CPU saying why. Runs in the integration-test phase, after
 * the shaded jar is built. A Spark ML Pipeline with the MLP classifier runs on the same cluster from the test JVM.
 */
class StandaloneClusterIT {
    private static final Path CONF = Path.of("..", "conf", "spark-defaults.conf");
    private static final Path IRIS = Path.of("..", "spark-trainer", "src", "test", "resources", "datasets", "iris.csv");

    @TempDir
    static Path dir;
    private static LocalStandaloneCluster cluster;
    private static List<String> sparkCp;
    private static List<String> jvm;

    @BeforeAll
    static void startCluster() throws Exception {
        sparkCp = LocalStandaloneCluster.sparkClassPath(Path.of("target", "spark-classpath.txt"));
        jvm = LocalStandaloneCluster.jvmOptions(CONF);
        Path discovery = dir.resolve("two-gpus.sh");
        Files.writeString(discovery, "#!/usr/bin/env bash\necho '{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}'\n");
        Files.setPosixFilePermissions(discovery, PosixFilePermissions.fromString("rwxr-xr-x"));
        cluster = new LocalStandaloneCluster(sparkCp, jvm, dir.resolve("cluster"), 2, List.of(
                "-Dspark.worker.resource.gpu.amount=2", "-Dspark.worker.resource.gpu.discoveryScript=" + discovery));
    }

    @AfterAll
    static void stopCluster() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void linearRegressionThroughSparkSubmitOnAStandaloneCluster() throws Exception {
        String log = submit("plain", List.of("--conf", "spark.executor.memory=1g"), List.of());
        assertLearned(log);
        assertTrue(log.contains("executor tasks computed on: cpu"), log);
        // conf/spark-defaults.conf gives the executors the driver's JVM options by reference
        // (${spark.driver.extraJavaOptions}): every one of them is on each executor's command line.
        List<String> commands = executorCommands();
        assertFalse(commands.isEmpty(), "no executor command in the Worker's work dir");
        for (String command : commands) {
            assertFalse(command.contains("${"), command);
            for (String option : jvm) {
                assertTrue(command.contains(option), "executor command lacks " + option + ":\n" + command);
            }
        }
    }

    /**
     * The job started the way bin/run starts it (java -cp job jar + Spark's class path, Main, --master spark://...):
     * no spark-submit ships the job jar, so the job must name it in spark.jars itself, or the executors fail to read
     * the tasks ("unread block data").
     */
    @Test
    void linearRegressionStartedLikeBinRunWithASparkMasterShipsTheJobJar() throws Exception {
        Path out = dir.resolve("bin-run");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        cmd.add("-Dsparkgrad.conf.dir=" + CONF.toAbsolutePath().getParent());
        cmd.add("-cp");
        cmd.add(Path.of("target", "sparkgrad-jobs.jar").toAbsolutePath() + File.pathSeparator
                + String.join(File.pathSeparator, sparkCp));
        cmd.addAll(List.of("org.sparkgrad.jobs.Main", "linear-regression", "--master", cluster.masterUrl(),
                "--partitions", "2", "--out", out.toString()));
        Path logFile = dir.resolve("bin-run.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        String log = runToTheEnd(pb, logFile, "the job");
        assertLearned(log);
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")), "model written");
    }

    /**
     * A Spark ML Pipeline (VectorAssembler, then MlpClassifier) fitted from this JVM as the driver on the standalone
     * cluster (the executors get the job jar through spark.jars): it learns iris, and the saved PipelineModel loads and
     * predicts the same.
     */
    @Test
    void aPipelineOfVectorAssemblerAndMlpClassifierFitsOnTheCluster() throws Exception {
        SparkConf conf = SparkgradKryoRegistrator.configure(new SparkConf().setMaster(cluster.masterUrl())
                .setAppName("sparkgrad pipeline IT")
                .set("spark.jars", Path.of("target", "sparkgrad-jobs.jar").toAbsolutePath().toString())
                .set("spark.executor.extraJavaOptions", String.join(" ", jvm))
                .set("spark.executor.memory", "1g").set("spark.cores.max", "2")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false"));
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        try {
            Dataset<Row> iris = spark.read().option("header", "true").option("inferSchema", "true")
                    .csv(IRIS.toAbsolutePath().toString()).repartition(2);
            VectorAssembler assembler = new VectorAssembler().setInputCols(new String[] {"sepal_length", "sepal_width",
                "petal_length", "petal_width"}).setOutputCol("features");
            MlpClassifier mlp = new MlpClassifier().setLabelCol("species").setHiddenLayers(16).setLr(0.01)
                    .setBatchSize(16).setEpochs(30).setStandardize(true);
            PipelineModel model = new Pipeline().setStages(new PipelineStage[] {assembler, mlp}).fit(iris);
            MlpClassificationModel fitted = (MlpClassificationModel) model.stages()[1];
            assertTrue(fitted.summary().training().devices().first().startsWith("cpu"),
                    fitted.summary().training().devices().toString());
            Dataset<Row> scored = model.transform(iris).cache();
            double accuracy = scored.where("prediction = species").count() / (double) scored.count();
            System.out.println("pipeline on the standalone cluster: iris training accuracy " + accuracy);
            assertTrue(accuracy >= 0.9, "accuracy " + accuracy);
            String path = dir.resolve("pipeline-model").toString();
            model.write().save(path);
            List<Row> again = PipelineModel.load(path).transform(iris).select("prediction").collectAsList();
            assertEquals(scored.select("prediction").collectAsList(), again);
        } finally {
            spark.stop();
        }
    }

    /** The "Spark Executor Command:" lines the Worker wrote at the top of each executor's stderr. */
    private static List<String> executorCommands() throws IOException {
        List<String> commands = new ArrayList<>();
        Path work = dir.resolve("cluster").resolve("work");
        try (var files = Files.walk(work)) {
            for (Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    if (line.startsWith("Spark Executor Command:")) {
                        commands.add(line);
                    }
                }
            }
        }
        return commands;
    }

    /**
     * Issue 10's acceptance: an executor JVM killed (SIGKILL) in the middle of a barrier stage fails the stage; the
     * driver starts a new one from the current step on the replacement executor, and the run ends with bitwise the
     * parameters of an uninterrupted run on the same cluster.
     */
    @Test
    void anExecutorKilledMidRunIsReplacedAndTheRunEndsWithTheParametersOfAnUninterruptedOne() throws Exception {
        List<Path> jars = List.of(Path.of("target", "sparkgrad-jobs.jar"),
                KilledExecutorRun.jarOf(Path.of("target", "test-classes"), dir.resolve("test-classes.jar")));
        List<String> killed = new ArrayList<>();
        List<KilledExecutorRun.Outcome> runs = KilledExecutorRun.straightThenKilled(cluster.masterUrl(), CONF, jars, 5,
                killed);
        KilledExecutorRun.Outcome straight = runs.get(0);
        KilledExecutorRun.Outcome interrupted = runs.get(1);
        assertEquals(1, killed.size(), "one executor killed");
        System.out.println("killed after step 5: " + killed.get(0));
        assertTrue(straight.warnings().isEmpty(), straight.warnings().toString());
        String retried = String.join("\n", interrupted.warnings());
        assertTrue(retried.contains("the barrier stage of steps 1-12 (attempt 1) failed at step 6: ")
                && retried.contains("starting attempt 2 of 4 from step 6"), retried);
        assertEquals(straight.parameters().keySet(), interrupted.parameters().keySet());
        for (String name : straight.parameters().keySet()) {
            assertArrayEquals(straight.parameters().get(name), interrupted.parameters().get(name), name);
        }
    }

    @Test
    void aGpuPerExecutorAndTaskFallsBackToTheCpuSayingWhyWhereCudaIsMissing() throws Exception {
        String log = submit("gpu", List.of("--conf", "spark.executor.memory=1g", "--conf", "spark.executor.cores=1",
                "--conf", "spark.executor.resource.gpu.amount=1", "--conf", "spark.task.resource.gpu.amount=1"),
                List.of("--device", "auto"));
        assertLearned(log);
        Matcher devices = Pattern.compile("executor tasks computed on: (.*)").matcher(log);
        assertTrue(devices.find(), log);
        String line = devices.group(1);
        System.out.println("GPU-scheduled run: executor tasks computed on: " + line);
        // every task was handed one of the Worker's GPU addresses, and says why it could not use that device
        assertTrue(line.matches("cpu, because cuda:[01] \\(Spark GPU address [01]\\) is not usable: .+"), line);
        for (String part : line.split("; ")) {
            assertTrue(part.matches("cpu, because cuda:([01]) \\(Spark GPU address \\1\\) is not usable: .*(JCuda|CUDA|cuInit).*"),
                    part);
        }
    }

    private static void assertLearned(String log) {
        Matcher w = Pattern.compile("w = \\[([-0-9.]+), ([-0-9.]+)\\]").matcher(log);
        Matcher b = Pattern.compile("b = ([-0-9.]+)").matcher(log);
        assertTrue(w.find() && b.find(), "no learned parameters in the output:\n" + log);
        assertEquals(2.0, Double.parseDouble(w.group(1)), 0.01, log);
        assertEquals(-3.4, Double.parseDouble(w.group(2)), 0.01, log);
        assertEquals(4.2, Double.parseDouble(b.group(1)), 0.01, log);
    }

    /** Runs linear-regression through spark-submit with extra submit options and job options; returns its output. */
    private static String submit(String name, List<String> conf, List<String> jobArgs) throws Exception {
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, sparkCp));
        cmd.addAll(List.of("org.apache.spark.deploy.SparkSubmit", "--master", cluster.masterUrl(), "--deploy-mode", "client",
                "--properties-file", CONF.toAbsolutePath().toString(), "--conf", "spark.driver.host=127.0.0.1"));
        cmd.addAll(conf);
        cmd.addAll(List.of("--class", "org.sparkgrad.jobs.Main",
                Path.of("target", "sparkgrad-jobs.jar").toAbsolutePath().toString(),
                "linear-regression", "--partitions", "2", "--out", out.toString()));
        cmd.addAll(jobArgs);
        Path logFile = dir.resolve(name + "-submit.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile());
        pb.environment().put("SPARK_HOME", cluster.sparkHome().toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        String log = runToTheEnd(pb, logFile, "spark-submit");
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")), "model written");
        return log;
    }

    /**
     * Starts pb (its output redirected to logFile), waits up to 10 minutes, kills what is left of it on a timeout,
     * and asserts that it finished with status 0; returns its log.
     */
    private static String runToTheEnd(ProcessBuilder pb, Path logFile, String what) throws IOException,
            InterruptedException {
        Process p = pb.start();
        boolean done = p.waitFor(10, TimeUnit.MINUTES);
        String log = Files.readString(logFile, StandardCharsets.UTF_8);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        assertTrue(done, what + " did not finish in 10 minutes:\n" + log);
        assertEquals(0, p.exitValue(), what + " failed:\n" + log);
        return log;
    }
}
