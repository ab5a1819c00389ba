package org.sparkgrad.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The d2l linear regression sent with spark-submit (client mode) to a real standalone cluster — a Master
 * and a Worker on 127.0.0.1 started from the Maven artifacts — learns w and b. Runs in the integration-test
 * phase, after the shaded jar is built.
 */
class StandaloneClusterIT {
    private static final Path CONF = Path.of("..", "conf", "spark-defaults.conf");

    @Test
    void linearRegressionThroughSparkSubmitOnAStandaloneCluster(@TempDir Path dir) throws Exception {
        List<String> sparkCp = Arrays.asList(Files.readString(Path.of("target", "spark-classpath.txt")).trim()
                .split(File.pathSeparator));
        Path appJar = Path.of("target", "sparkgrad-jobs.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(appJar), "the shaded jar is built before the integration tests: " + appJar);
        List<String> jvm = jvmOptions();
        try (LocalStandaloneCluster cluster = new LocalStandaloneCluster(sparkCp, jvm, dir, 2)) {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvm);
            cmd.add("-cp");
            cmd.add(String.join(File.pathSeparator, sparkCp));
            cmd.addAll(List.of("org.apache.spark.deploy.SparkSubmit",
                    "--master", cluster.masterUrl(), "--deploy-mode", "client",
                    "--properties-file", CONF.toAbsolutePath().toString(),
                    "--conf", "spark.driver.host=127.0.0.1",
                    "--conf", "spark.executor.memory=1g",
                    "--class", "org.sparkgrad.jobs.Main", appJar.toString(),
                    "linear-regression", "--partitions", "2", "--out", dir.resolve("out").toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("submit.log").toFile());
            pb.environment().put("SPARK_HOME", cluster.sparkHome().toString());
            pb.environment().put("SPARK_SCALA_VERSION", "2.13");
            pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
            Process submit = pb.start();
            boolean done = submit.waitFor(10, TimeUnit.MINUTES);
            String log = Files.readString(dir.resolve("submit.log"), StandardCharsets.UTF_8);
            if (!done) {
                submit.descendants().forEach(ProcessHandle::destroyForcibly);
                submit.destroyForcibly();
            }
            assertTrue(done, "spark-submit did not finish in 10 minutes:\n" + log);
            assertEquals(0, submit.exitValue(), "spark-submit failed:\n" + log);
            Matcher w = Pattern.compile("w = \\[([-0-9.]+), ([-0-9.]+)\\]").matcher(log);
            Matcher b = Pattern.compile("b = ([-0-9.]+)").matcher(log);
            assertTrue(w.find() && b.find(), "no learned parameters in the output:\n" + log);
            assertEquals(2.0, Double.parseDouble(w.group(1)), 0.01, log);
            assertEquals(-3.4, Double.parseDouble(w.group(2)), 0.01, log);
            assertEquals(4.2, Double.parseDouble(b.group(1)), 0.01, log);
            assertTrue(Files.isRegularFile(dir.resolve("out").resolve("model.safetensors")), "model written");
        }
    }

    /** The JVM options every Spark process needs on Java 17, from conf/spark-defaults.conf (their one home). */
    private static List<String> jvmOptions() throws IOException {
        for (String line : Files.readAllLines(CONF)) {
            if (line.startsWith("spark.driver.extraJavaOptions")) {
                String value = line.substring("spark.driver.extraJavaOptions".length()).trim();
                return Arrays.asList(value.split("\\s+"));
            }
        }
        throw new IllegalStateException("spark.driver.extraJavaOptions missing from " + CONF);
    }
}
