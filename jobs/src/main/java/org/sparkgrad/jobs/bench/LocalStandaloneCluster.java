package org.sparkgrad.jobs.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A real Spark standalone cluster on 127.0.0.1 started from the Maven artifacts: one Master and one
 * Worker process. There is no Spark distribution here, so the Worker gets a SPARK_HOME whose jars/
 * folder links Spark's runtime jars (it launches executors from there) and SPARK_SCALA_VERSION=2.13.
 * Readiness is read from the processes' own log lines, never waited for with sleeps. Used by the standalone-cluster
 * integration test and by {@link SparkBenchmark}'s standalone rows.
 */
public final class LocalStandaloneCluster implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final List<String> sparkClassPath;
    private final List<String> jvmOptions;
    private final Path sparkHome;
    private final String masterUrl;

    /**
     * Starts a Master and a Worker with {@code cores} cores; {@code workerOptions} are extra JVM options of the
     * Worker only, e.g. {@code -Dspark.worker.resource.gpu.amount=2} and its discovery script.
     */
    public LocalStandaloneCluster(List<String> sparkClassPath, List<String> jvmOptions, Path workDir, int cores,
            List<String> workerOptions) throws IOException, InterruptedException, TimeoutException {
        this.sparkClassPath = sparkClassPath;
        this.jvmOptions = jvmOptions;
        this.sparkHome = workDir.resolve("spark-home");
        Path jars = Files.createDirectories(sparkHome.resolve("jars"));
        for (String jar : sparkClassPath) {
            Path p = Path.of(jar);
            Files.createSymbolicLink(jars.resolve(p.getFileName()), p);
        }
        int port = freePort();
        masterUrl = "spark://127.0.0.1:" + port;
        Process master = start(workDir.resolve("master.log"), List.of(), "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1", "--port", Integer.toString(port), "--webui-port", Integer.toString(freePort()));
        awaitLine(master, line -> line.contains("I have been elected leader"), 120);
        Process worker = start(workDir.resolve("worker.log"), workerOptions, "org.apache.spark.deploy.worker.Worker",
                masterUrl,
                "--host", "127.0.0.1", "--cores", Integer.toString(cores), "--memory", "2g",
                "--webui-port", Integer.toString(freePort()), "--work-dir", workDir.resolve("work").toString());
        awaitLine(worker, line -> line.contains("Successfully registered with master"), 120);
    }

    /** The Master's URL, {@code spark://127.0.0.1:PORT}. */
    public String masterUrl() {
        return masterUrl;
    }

    /** The SPARK_HOME the Worker runs with (its jars/ links Spark's runtime jars). */
    public Path sparkHome() {
        return sparkHome;
    }

    /** Spark's runtime jars, from the class-path file the jobs build writes (target/spark-classpath.txt). */
    public static List<String> sparkClassPath(Path classPathFile) throws IOException {
        return Arrays.asList(Files.readString(classPathFile).trim().split(java.io.File.pathSeparator));
    }

    /**
     * The JVM options every Spark process needs on Java 17: spark.driver.extraJavaOptions of conf/spark-defaults.conf
     * (their one home).
     */
    public static List<String> jvmOptions(Path sparkDefaults) throws IOException {
        for (String line : Files.readAllLines(sparkDefaults)) {
            if (line.startsWith("spark.driver.extraJavaOptions")) {
                String value = line.substring("spark.driver.extraJavaOptions".length()).trim();
                return Arrays.asList(value.split("\\s+"));
            }
        }
        throw new IllegalStateException("spark.driver.extraJavaOptions missing from " + sparkDefaults);
    }

    private Process start(Path log, List<String> extraJvmOptions, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(extraJvmOptions);
        cmd.add("-Xmx1g");
        cmd.add("-cp");
        cmd.add(String.join(java.io.File.pathSeparator, sparkClassPath));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        processes.add(p);
        logs.add(new ProcessLog(p, log));
        return p;
    }

    /** Lines of each process, kept and mirrored to a file for the failure message. */
    private final List<ProcessLog> logs = new CopyOnWriteArrayList<>();

    /**
     * Reads one process's output on a daemon thread until the process ends. The thread never throws: a read
     * that fails while the cluster stops is the end of the log, and any other failure is kept as the log's
     * last line and fails the waiters with it.
     */
    private static final class ProcessLog {
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<String>> waiters = new CopyOnWriteArrayList<>();
        final List<Predicate<String>> tests = new CopyOnWriteArrayList<>();
        final Thread thread;
        volatile boolean stopping;

        ProcessLog(Process process, Path file) {
            this.process = process;
            thread = new Thread(() -> {
                String end = "process exited before the expected line";
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8)); var w = Files.newBufferedWriter(file)) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                        w.write(line);
                        w.newLine();
                        w.flush();
                        for (int i = 0; i < waiters.size(); i++) {
                            if (tests.get(i).test(line)) {
                                waiters.get(i).complete(line);
                            }
                        }
                    }
                } catch (IOException e) {
                    if (!stopping && process.isAlive()) {
                        end = "reading the process's output failed: " + e;
                        lines.add("[" + end + "]");
                    }
                } finally {
                    for (CompletableFuture<String> f : waiters) {
                        f.completeExceptionally(new IllegalStateException(end));
                    }
                }
            }, "cluster-log");
            thread.setDaemon(true);
            thread.start();
        }

        synchronized CompletableFuture<String> await(Predicate<String> test) {
            CompletableFuture<String> f = new CompletableFuture<>();
            tests.add(test);
            waiters.add(f);
            for (String l : lines) {
                if (test.test(l)) {
                    f.complete(l);
                }
            }
            return f;
        }
    }

    private void awaitLine(Process p, Predicate<String> test, int seconds) throws InterruptedException, TimeoutException {
        ProcessLog log = logs.stream().filter(l -> l.process == p).findFirst().orElseThrow();
        try {
            log.await(test).get(seconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            throw new TimeoutException("cluster process did not get ready; its output:\n" + String.join("\n", log.lines));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Stops the Worker (and the executors it launched) and the Master, waits for them to exit and for their
     * logs to end. The processes are signalled through their handles: {@link Process#destroy} would also
     * close the output pipe under the log thread while the process is still shutting down.
     */
    @Override
    public void close() throws InterruptedException {
        logs.forEach(l -> l.stopping = true);
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process p = processes.get(i);
            p.descendants().forEach(ProcessHandle::destroy);
            p.toHandle().destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.toHandle().destroyForcibly();
                p.waitFor();
            }
        }
        for (ProcessLog l : logs) {
            l.thread.join(TimeUnit.SECONDS.toMillis(10));
        }
    }
}
