package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.logging.LogRecord;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The barrier step loop under spark.authenticate and spark.network.crypto.enabled (local[4,2]): the step connections
 * are encrypted, and a run gives bitwise the parameters of per-step jobs, which unencrypted barrier stages give too
 * ({@link BarrierStepsTest}); an intruder without the secret is refused and the run goes on.
 */
class EncryptedStepsTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[4,2]", Map.of("spark.authenticate", "true",
                "spark.network.crypto.enabled", "true"));
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    /** The trainer's log messages so far. */
    private static List<String> messages(CheckpointFixtures.LogCatcher log) {
        synchronized (log) {
            return log.records.stream().map(LogRecord::getMessage).toList();
        }
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void encryptedStagesGiveBitwiseTheParametersOfPerStepJobsAndRefuseIntruders() {
        try (CheckpointFixtures.LogCatcher log = new CheckpointFixtures.LogCatcher(DataParallelTrainer.class);
                TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(
                DataParallelTrainerTest.regressionRows(40, 21)), 3), 3, 1)) {
            List<Map<String, float[]>> jobs = new ArrayList<>();
            BarrierStepsTest.trainer("jobs", jobs).steps(6).fit(data);
            List<Map<String, float[]>> encrypted = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            BarrierStepsTest.trainer("barrier", new ArrayList<>()).steps(6).listener((step, e, l, m) -> {
                encrypted.add(SparkTestSupport.snapshot(m));
                if (step == 2) {
                    String line = messages(log).stream().filter(x -> x.contains("tasks connect to the step endpoint")).findFirst()
                            .orElseThrow();
                    StepLink intruder = new StepLink(line.substring(line.lastIndexOf(' ') + 1), new byte[32], 5_000, true);
                    refused.add(assertThrows(TrainingException.class, () -> intruder.connect(0, 0, "x", "elsewhere",
                            PeerAuth.sparkSecret())).getMessage());
                }
            }).fit(data);
            assertTrue(messages(log).stream().anyMatch(l -> l.startsWith("spark.network.crypto.enabled: the step"
                    + " connections are encrypted (AES-256-GCM")), messages(log).toString());
            assertEquals(1, refused.size());
            assertTrue(refused.get(0).contains("did not present this fit's secret"), refused.get(0));
            BarrierStepsTest.assertBitwiseEqual(jobs, encrypted, "encrypted barrier stages");

            List<Map<String, float[]>> sharded = new ArrayList<>();
            BarrierStepsTest.trainer("barrier", sharded).shardAbove(1).steps(6).fit(data);
            BarrierStepsTest.assertBitwiseEqual(jobs, sharded, "encrypted sharded exchange");
        }
    }
}
