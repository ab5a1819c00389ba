package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.optim.SGD;

/** The names the Spark UI shows for a training run's jobs, seen by a SparkListener on local Spark. */
class JobDescriptionTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[2]");
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** Records every job's description (the spark.job.description property it started with). */
    static final class Descriptions extends SparkListener {
        final List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch trainSteps;

        Descriptions(int steps) {
            trainSteps = new CountDownLatch(steps);
        }

        @Override
        public void onJobStart(SparkListenerJobStart job) {
            String d = job.properties() == null ? null : job.properties().getProperty("spark.job.description");
            seen.add(d);
            if (d != null && d.startsWith("train step")) {
                trainSteps.countDown();
            }
        }
    }

    @Test
    void perStepJobsAreNamedTrainStepKOfN() throws InterruptedException {
        assertDescriptions("jobs", List.of("train step 1/6", "train step 2/6", "train step 3/6", "train step 4/6",
                "train step 5/6", "train step 6/6"));
    }

    @Test
    void barrierStagesAreNamedByTheirStepsEndingAtEpochEndsForAListenerThatMayStartJobs() throws InterruptedException {
        assertDescriptions("barrier", List.of("train steps 1-3/6 (barrier stage)", "train steps 4-6/6 (barrier stage)"),
                (s, e, l, m) -> { });
        // nothing runs Spark jobs between steps: one stage for both epochs
        assertDescriptions("barrier", List.of("train steps 1-6/6 (barrier stage)"), null);
    }

    private void assertDescriptions(String stepMode, List<String> expected) throws InterruptedException {
        assertDescriptions(stepMode, expected, null);
    }

    private void assertDescriptions(String stepMode, List<String> expected, StepListener after)
            throws InterruptedException {
        float[][] rows = DataParallelTrainerTest.regressionRows(10, 3);
        DataParallelTrainer trainer = new DataParallelTrainer(() -> new Sequential(new Linear(3, 1, true, new Generator(1))),
                () -> new MSELoss(Reduction.SUM), p -> new SGD(p, 0.01)).batchSize(4).epochs(2).seed(5).logEvery(0)
                .stepMode(stepMode).listener(after);
        Descriptions listener = new Descriptions(expected.size());
        sc.sc().addSparkListener(listener);
        sc.setJobDescription("the caller's description");
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(Arrays.asList(rows), 2), 3, 1)) {
            assertEquals(6, trainer.fit(data).steps());
        } finally {
            assertEquals("the caller's description", sc.getLocalProperty("spark.job.description"),
                    "fit restores the caller's description");
            sc.setJobDescription(null);
        }
        // Listener events arrive on Spark's listener thread: wait for the training jobs' events.
        assertTrue(listener.trainSteps.await(60, TimeUnit.SECONDS), "training jobs seen: " + listener.seen);
        sc.sc().removeSparkListener(listener);
        List<String> steps = listener.seen.stream().filter(d -> d != null && d.startsWith("train step")).toList();
        assertEquals(expected, steps, stepMode);
        assertTrue(listener.seen.get(0).startsWith("pack training data ("), "the first job packs: " + listener.seen);
    }
}
