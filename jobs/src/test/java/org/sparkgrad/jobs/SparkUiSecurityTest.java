package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.sparkproject.jetty.server.Connector;
import org.sparkproject.jetty.server.ServerConnector;

/**
 * The Spark UI of a job started the way bin/run starts one (conf/spark-defaults.conf read through
 * {@link SparkJobSupport#conf}, SPARK_LOCAL_IP=127.0.0.1, which bin/run exports for local runs and the build sets
 * for tests) listens on loopback only and refuses the kill request that aborted a run in issue 15; with kill
 * enabled the same request does cancel the job, so the request itself is the right one. Real local Spark, UI on an
 * ephemeral port.
 */
class SparkUiSecurityTest {
    /** Tasks run in this JVM (local mode), so they see these. */
    private static volatile CountDownLatch running;
    private static volatile CountDownLatch release;

    /** The conf bin/run gives a local job, with the UI on an ephemeral port; killEnabled overrides when not null. */
    private static SparkConf conf(String killEnabled) {
        String before = System.getProperty("sparkgrad.conf.dir");
        System.setProperty("sparkgrad.conf.dir", Path.of("..", "conf").toAbsolutePath().normalize().toString());
        try {
            SparkConf conf = SparkJobSupport.conf("auto", "sparkgrad ui test").set("spark.ui.enabled", "true")
                    .set("spark.ui.port", "0").set("spark.ui.showConsoleProgress", "false");
            return killEnabled == null ? conf : conf.set("spark.ui.killEnabled", killEnabled);
        } finally {
            if (before == null) {
                System.clearProperty("sparkgrad.conf.dir");
            } else {
                System.setProperty("sparkgrad.conf.dir", before);
            }
        }
    }

    /** Starts a one-task job that runs until released; returns it once its task is running. */
    private static JavaFutureAction<Void> blockedJob(JavaSparkContext sc) throws InterruptedException {
        running = new CountDownLatch(1);
        release = new CountDownLatch(1);
        JavaFutureAction<Void> job = sc.parallelize(List.of(1), 1).foreachAsync(x -> {
            running.countDown();
            release.await(120, TimeUnit.SECONDS);
        });
        assertTrue(running.await(120, TimeUnit.SECONDS), "the task did not start");
        return job;
    }

    private static int post(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setRequestMethod("POST");
        c.setInstanceFollowRedirects(false);
        c.setDoOutput(true);
        c.getOutputStream().close();
        int code = c.getResponseCode();
        c.disconnect();
        return code;
    }

    /** POSTs the UI's job and stage kill requests for the job, then waits until any cancel they caused was handled. */
    private static void requestKill(JavaSparkContext sc, JavaFutureAction<Void> job) throws IOException {
        String ui = sc.sc().uiWebUrl().get();
        int jobId = job.jobIds().get(0);
        int stageId = sc.statusTracker().getJobInfo(jobId).stageIds()[0];
        assertTrue(post(ui + "/jobs/job/kill/?id=" + jobId) < 400);
        assertTrue(post(ui + "/stages/stage/kill/?id=" + stageId + "&terminate=true") < 400);
        // A cancel the requests made went to the scheduler's event queue before this job did: once it has run,
        // the cancel (if any) has been handled.
        assertEquals(1, sc.parallelize(List.of(1), 1).count());
    }

    @Test
    void theUiListensOnLoopbackAndRefusesToKillAJob() throws Exception {
        SparkConf conf = conf(null);
        assertEquals("false", conf.get("spark.ui.killEnabled"), "from conf/spark-defaults.conf");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            assertEquals("local[*," + conf.get("spark.task.maxFailures") + "]", sc.master(), "failed tasks are retried");
            Connector[] connectors = sc.sc().ui().get().serverInfo().get().server().getConnectors();
            assertTrue(connectors.length > 0);
            for (Connector c : connectors) {
                assertEquals("127.0.0.1", ((ServerConnector) c).getHost(), "the UI's listening address");
            }
            JavaFutureAction<Void> job = blockedJob(sc);
            try {
                requestKill(sc, job);
                assertFalse(job.isDone(), "the job was killed through the UI");
            } finally {
                release.countDown();
            }
            job.get(120, TimeUnit.SECONDS);
        }
    }

    @Test
    void withKillEnabledTheSameRequestCancelsTheJob() throws Exception {
        try (JavaSparkContext sc = new JavaSparkContext(conf("true"))) {
            JavaFutureAction<Void> job = blockedJob(sc);
            try {
                requestKill(sc, job);
                ExecutionException e = assertThrows(ExecutionException.class, () -> job.get(120, TimeUnit.SECONDS));
                assertTrue(String.valueOf(e.getCause().getMessage()).contains("killed via Web UI"),
                        String.valueOf(e.getCause()));
            } finally {
                release.countDown();
            }
        }
    }
}
