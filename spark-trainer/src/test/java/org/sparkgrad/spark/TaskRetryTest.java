package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Reduction;

/**
 * A task whose first attempt fails is retried (local[2,4]) and the run ends with the parameters of a clean run; in the
 * per-step jobs mode, where Spark retries the task (BarrierStepsTest covers a barrier stage that starts again).
 */
class TaskRetryTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[2,4]");
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void aRetriedTaskGivesTheSameParameters() throws Exception {
        AtomicInteger failedTasks = new AtomicInteger();
        sc.sc().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason() instanceof ExceptionFailure f && f.description().contains("injected failure")) {
                    failedTasks.incrementAndGet();
                }
            }
        });
        float[][] rows = DataParallelTrainerTest.regressionRows(60, 12);
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            List<Map<String, float[]>> clean = new ArrayList<>();
            List<Map<String, float[]>> faulty = new ArrayList<>();
            trainer(clean).fit(data);
            TrainingResult r = trainer(faulty).fit(data, new FailOnce(2, 1));
            assertEquals(7, r.steps());
            sc.sc().listenerBus().waitUntilEmpty();
            assertEquals(1, failedTasks.get(), "the first attempt of partition 1 in step 2 failed once");
            assertEquals(clean.size(), faulty.size());
            for (int s = 0; s < clean.size(); s++) {
                // Two partial sums reach the driver; they add to the same floats in either order, so the
                // retried run must match the clean one exactly, step by step.
                for (String name : clean.get(s).keySet()) {
                    assertArrayEquals(clean.get(s).get(name), faulty.get(s).get(name), "step " + (s + 1) + " " + name);
                }
            }
        }
    }

    private static DataParallelTrainer trainer(List<Map<String, float[]>> seen) {
        return new DataParallelTrainer(() -> new org.sparkgrad.engine.nn.Sequential(
                new org.sparkgrad.engine.nn.Linear(3, 4, true, new org.sparkgrad.engine.Generator(3)),
                new org.sparkgrad.engine.nn.Tanh(),
                new org.sparkgrad.engine.nn.Linear(4, 1, true, new org.sparkgrad.engine.Generator(4))),
                () -> new MSELoss(Reduction.SUM), p -> new org.sparkgrad.engine.optim.SGD(p, 0.05)).batchSize(9).seed(2).stepMode("jobs")
                .logEvery(0).listener((s, e, l, m) -> seen.add(SparkTestSupport.snapshot(m)));
    }
}
