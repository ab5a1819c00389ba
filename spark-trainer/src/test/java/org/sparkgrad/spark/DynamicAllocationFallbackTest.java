package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With dynamic allocation on, a barrier stage may not get all its slots at once: stepMode("auto") says so and trains
 * with one Spark job per step, to the same parameters as stepMode("jobs"); stepMode("barrier") fails with the reason.
 */
class DynamicAllocationFallbackTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[2]", Map.of("spark.dynamicAllocation.enabled", "true"));
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void autoFallsBackToPerStepJobsSayingWhyAndBarrierRefuses() {
        assertEquals("true", sc.getConf().get("spark.dynamicAllocation.enabled"), "this class's own session");
        try (CheckpointFixtures.LogCatcher catcher = new CheckpointFixtures.LogCatcher(DataParallelTrainer.class);
                TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(
                        DataParallelTrainerTest.regressionRows(40, 21)), 2), 3, 1)) {
            List<java.util.Map<String, float[]>> jobs = new ArrayList<>();
            List<java.util.Map<String, float[]>> auto = new ArrayList<>();
            BarrierStepsTest.trainer("jobs", jobs).steps(4).fit(data);
            BarrierStepsTest.trainer("auto", auto).steps(4).fit(data);
            BarrierStepsTest.assertBitwiseEqual(jobs, auto, "auto under dynamic allocation");
            List<String> log = catcher.records.stream().map(java.util.logging.LogRecord::getMessage).toList();
            assertTrue(log.stream().anyMatch(l -> l.equals("dynamic allocation is on (spark.dynamicAllocation.enabled),"
                    + " and a barrier stage needs all its slots at once; training with one Spark job per step")), log.toString());
            assertTrue(log.stream().noneMatch(l -> l.contains("barrier stage)")), log.toString());
            TrainingException e = assertThrows(TrainingException.class,
                    () -> BarrierStepsTest.trainer("barrier", new ArrayList<>()).steps(1).fit(data));
            assertTrue(e.getMessage().startsWith("stepMode(\"barrier\") cannot run: dynamic allocation is on"),
                    e.getMessage());
        }
    }
}
