package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.nn.Tanh;
import org.sparkgrad.engine.optim.Adam;

/**
 * The barrier step loop on local[8,3] (8 slots, 3 attempts per task): bitwise the jobs mode's parameters, also with
 * more partitions than slots, the fallback's reasons, a stuck task's timeout, a failed task's new stage, checkpoints, resume and verify-gradients.
 */
class BarrierStepsTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;
    private static final List<String> JOBS = Collections.synchronizedList(new ArrayList<>());
    /** Held strongly: java.util.logging keeps loggers weakly, and a collected one would lose the handler. */
    private static final Logger TRAINER_LOG = Logger.getLogger(DataParallelTrainer.class.getName());
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            log.add(r.getLevel() + " " + r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[8,3]");
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        sc.sc().addSparkListener(new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                String d = start.properties() == null ? null : start.properties().getProperty("spark.job.description");
                if (d != null && d.startsWith("train step")) {
                    JOBS.add(d);
                }
            }
        });
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @BeforeEach
    void listen() {
        TRAINER_LOG.addHandler(handler);
    }

    @AfterEach
    void unlisten() {
        TRAINER_LOG.removeHandler(handler);
    }

    static DataParallelTrainer trainer(String mode, List<Map<String, float[]>> seen) {
        return new DataParallelTrainer(() -> new Sequential(new Linear(3, 4, true, new Generator(3)), new Tanh(),
                new Linear(4, 1, true, new Generator(4))), () -> new MSELoss(Reduction.SUM), p -> new Adam(p, 0.01))
                .batchSize(9).seed(5).logEvery(0).treeDepth(1).stepMode(mode)
                .listener((s, e, l, m) -> seen.add(SparkTestSupport.snapshot(m)));
    }

    private static TrainingData data(int partitions) {
        return TrainingData.fromRdd(sc.parallelize(Arrays.asList(DataParallelTrainerTest.regressionRows(40, 21)), partitions),
                3, 1);
    }

    /** The descriptions of the training jobs that fit started. */
    private static List<String> jobsOf(Runnable fit) {
        drainListenerBus();
        JOBS.clear();
        fit.run();
        drainListenerBus();
        return List.copyOf(JOBS);
    }

    private static void drainListenerBus() {
        try {
            sc.sc().listenerBus().waitUntilEmpty();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("Spark's listener bus did not drain", e);
        }
    }

    static void assertBitwiseEqual(List<Map<String, float[]>> expected, List<Map<String, float[]>> actual,
            String what) {
        assertEquals(expected.size(), actual.size(), what + ": steps");
        for (int s = 0; s < expected.size(); s++) {
            for (String name : expected.get(s).keySet()) {
                assertArrayEquals(expected.get(s).get(name), actual.get(s).get(name), what + ": step " + (s + 1) + " " + name);
            }
        }
    }

    @Test
    void aListenerRunsSparkJobsAtEpochEndsWhileTheStagesHoldEverySlot() {
        // 8 partitions on local[8]: a running barrier stage holds every slot, so a job started inside one would
        // wait for the step timeout to cancel it; stages end at epoch ends, so the listener's jobs run between them
        try (TrainingData data = data(8)) {
            List<Long> counts = new ArrayList<>();
            List<String> runs = jobsOf(() -> trainer("barrier", new ArrayList<>()).steps(10)
                    .stepTimeout(java.time.Duration.ofSeconds(5)).listener((step, e, l, m) -> {
                        if (step % 5 == 0) {
                            counts.add(sc.parallelize(Arrays.asList(1, 2, 3), 8).count());
                        }
                    }).fit(data));
            // the listener's jobs (under the step's description) run between the stages
            assertEquals(List.of("train steps 1-5/10 (barrier stage)", "train step 5/10", "train steps 6-10/10 (barrier stage)",
                    "train step 10/10"), runs);
            assertEquals(List.of(3L, 3L), counts);
        }
    }

    @Test
    void barrierStagesGiveBitwiseTheParametersOfPerStepJobs() {
        for (int partitions : new int[] {2, 3, 7}) {
            try (TrainingData data = data(partitions)) {
                List<Map<String, float[]>> jobs = new ArrayList<>();
                List<Map<String, float[]>> barrier = new ArrayList<>();
                List<String> jobRuns = jobsOf(() -> trainer("jobs", jobs).steps(6).fit(data));
                List<String> barrierRuns = jobsOf(() -> trainer("barrier", barrier).steps(6).fit(data));
                assertEquals(6, jobRuns.size(), jobRuns.toString());
                assertEquals(List.of("train steps 1-5/6 (barrier stage)", "train steps 6-6/6 (barrier stage)"), barrierRuns,
                        partitions + " partitions (stages end at epoch ends: 5 steps per epoch)");
                assertBitwiseEqual(jobs, barrier, partitions + " partitions");
            }
        }
    }

    @Test
    void aListenerWithoutSparkJobsLetsOneStageCoverEveryEpoch() {
        try (TrainingData data = data(3)) {
            List<Map<String, float[]>> jobs = new ArrayList<>();
            trainer("jobs", jobs).steps(12).fit(data);
            List<Map<String, float[]>> barrier = new ArrayList<>();
            List<String> runs = jobsOf(() -> trainer("barrier", barrier).steps(12).listener(StepListener.withoutSparkJobs(
                    (s, e, l, m) -> barrier.add(SparkTestSupport.snapshot(m)))).fit(data));
            assertEquals(List.of("train steps 1-12/12 (barrier stage)"), runs, "12 steps of 5 per epoch in one stage");
            assertBitwiseEqual(jobs, barrier, "one stage over 3 epochs");
            // full batch (one step per epoch) and no listener: one stage, not one per step
            List<String> fullBatch = jobsOf(() -> trainer("barrier", new ArrayList<>()).listener(null).batchSize(40)
                    .steps(4).fit(data));
            assertEquals(List.of("train steps 1-4/4 (barrier stage)"), fullBatch);
        }
    }

    @Test
    void aShardedExchangeGivesBitwiseTheParametersOfPerStepJobs() {
        // 21 parameters in slices of 7 (3 tasks) or 3 (7 tasks); batches of 9 leave some partitions without rows
        for (int partitions : new int[] {3, 7}) {
            try (TrainingData data = data(partitions)) {
                List<Map<String, float[]>> jobs = new ArrayList<>();
                List<Map<String, float[]>> sharded = new ArrayList<>();
                trainer("jobs", jobs).steps(6).fit(data);
                log.clear();
                List<String> runs = jobsOf(() -> trainer("barrier", sharded).shardAbove(1).steps(6).fit(data));
                assertEquals(List.of("train steps 1-5/6 (barrier stage)", "train steps 6-6/6 (barrier stage)"), runs);
                assertTrue(log.stream().anyMatch(l -> l.contains("21 parameters (shard threshold 1): the tasks reduce-scatter"
                        + " the gradient")), log.toString());
                assertTrue(log.stream().anyMatch(l -> l.contains(partitions + " tasks connect to the step endpoint")),
                        log.toString());
                assertBitwiseEqual(jobs, sharded, partitions + " partitions, sharded");
            }
        }
    }

    @Test
    void chunkedFramesGiveBitwiseTheParametersOfWholeOnes() {
        // 21 parameters: a PARAMETERS frame of 24 + 84 bytes goes as 3 chunks of at most 40, a gradient as 3 too
        int saved = FrameChannel.chunkBytes;
        try (TrainingData data = data(3)) {
            List<Map<String, float[]>> jobs = new ArrayList<>();
            trainer("jobs", jobs).steps(6).fit(data);
            FrameChannel.chunkBytes = 40;
            List<Map<String, float[]>> chunked = new ArrayList<>();
            trainer("barrier", chunked).steps(6).fit(data);
            assertBitwiseEqual(jobs, chunked, "star exchange in chunks of 40 bytes");
            List<Map<String, float[]>> shardedChunks = new ArrayList<>();
            trainer("barrier", shardedChunks).shardAbove(1).steps(6).fit(data);
            assertBitwiseEqual(jobs, shardedChunks, "sharded exchange in chunks of 40 bytes");
        } finally {
            FrameChannel.chunkBytes = saved;
        }
    }

    @Test
    void aConnectionWithoutTheSecretIsRefusedAndTheRunGoesOn() {
        try (TrainingData data = data(3)) {
            List<Map<String, float[]>> jobs = new ArrayList<>();
            trainer("jobs", jobs).steps(4).fit(data);
            List<Map<String, float[]>> barrier = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            trainer("barrier", new ArrayList<>()).steps(4).listener((step, e, l, m) -> {
                barrier.add(SparkTestSupport.snapshot(m));
                if (step == 2) {
                    String line = log.stream().filter(x -> x.contains("tasks connect to the step endpoint")).findFirst()
                            .orElseThrow();
                    String address = line.substring(line.lastIndexOf(' ') + 1);
                    StepLink intruder = new StepLink(address, new byte[32], 5_000);
                    refused.add(assertThrows(TrainingException.class, () -> intruder.connect(0, 0, "x", "elsewhere", null))
                            .getMessage());
                }
            }).fit(data);
            assertEquals(1, refused.size());
            assertTrue(refused.get(0).contains("refused") && refused.get(0).contains("did not present this fit's secret"),
                    refused.get(0));
            assertBitwiseEqual(jobs, barrier, "a run that refused a connection mid-way");
        }
    }

    @Test
    void moreDataPartitionsThanSlotsRunOneTaskPerSlotAndGiveBitwiseThePerStepJobsParameters() {
        // 20 partitions on 8 slots: 8 tasks of 2 or 3 partitions each, star and sharded
        try (TrainingData data = data(20)) {
            List<Map<String, float[]>> jobs = new ArrayList<>();
            trainer("jobs", jobs).steps(6).fit(data);
            for (long shardAbove : new long[] {Long.MAX_VALUE, 1}) {
                log.clear();
                List<Map<String, float[]>> barrier = new ArrayList<>();
                List<String> runs = jobsOf(() -> trainer("auto", barrier).shardAbove(shardAbove).steps(6).fit(data));
                assertEquals(List.of("train steps 1-5/6 (barrier stage)", "train steps 6-6/6 (barrier stage)"), runs);
                assertTrue(log.stream().anyMatch(l -> l.contains("8 tasks (one per slot, for 20 partitions) connect to the"
                        + " step endpoint")), log.toString());
                assertBitwiseEqual(jobs, barrier, "20 partitions in 8 tasks, shardAbove " + shardAbove);
            }
            // a stuck task is named with the partitions it owns (tasks of 0-1, 2-4, 5-6, 7-9, ...: 7 is task 3's)
            TrainingException e = assertThrows(TrainingException.class, () -> trainer("barrier", new ArrayList<>()).steps(2)
                    .stepTimeout(java.time.Duration.ofSeconds(1)).fit(data, new StallTask(2, 7)));
            assertTrue(e.getMessage().matches("step 2/2 \\(epoch 1\\): no progress from task 3 \\(partitions 7-9\\)"
                    + " \\(executor driver on host [^)]+\\) for 1\\.0 s while waiting for the gradient sum of step 2: the"
                    + " task is stuck or lost"), e.getMessage());
        }
        // a coalesce without a shuffle (a lineage Spark runs no barrier stage over) trains in barrier stages too
        try (TrainingData coalesced = TrainingData.fromRdd(sc.parallelize(Arrays.asList(
                DataParallelTrainerTest.regressionRows(40, 21)), 4).coalesce(2), 3, 1)) {
            List<Map<String, float[]>> jobs = new ArrayList<>();
            trainer("jobs", jobs).steps(3).fit(coalesced);
            List<Map<String, float[]>> barrier = new ArrayList<>();
            List<String> runs = jobsOf(() -> trainer("auto", barrier).steps(3).fit(coalesced));
            assertEquals(List.of("train steps 1-3/3 (barrier stage)"), runs);
            assertBitwiseEqual(jobs, barrier, "coalesced data");
        }
    }

    @Test
    void whenNoBarrierStageCanRunTheRunFallsBackToPerStepJobsAndSaysWhy() {
        assertEquals("dynamic allocation is on (spark.dynamicAllocation.enabled), and a barrier stage needs all its slots"
                + " at once", BarrierSteps.unavailable(true, 8));
        assertEquals("the cluster offers no task slot now (no executor has registered, or spark.task.cpus is more than an"
                + " executor's cores)", BarrierSteps.unavailable(false, 0));
        assertEquals(null, BarrierSteps.unavailable(false, 1));
        // batch norm needs a slot per partition (one micro-batch each): 9 partitions on 8 slots cannot train it
        try (TrainingData data = data(9)) {
            DataParallelTrainer bn = new DataParallelTrainer(() -> new Sequential(new Linear(3, 4, true, new Generator(3)),
                    new org.sparkgrad.engine.nn.BatchNorm1d(4), new Linear(4, 1, true, new Generator(4))),
                    () -> new MSELoss(Reduction.SUM), p -> new Adam(p, 0.01)).batchSize(9).seed(5).logEvery(0).steps(1);
            TrainingException e = assertThrows(TrainingException.class, () -> bn.fit(data));
            assertTrue(e.getMessage().startsWith("barrier stages cannot run: a barrier stage for batch norm needs one slot"
                    + " per partition, 9, and the cluster offers 8 now; the model has batch norm"), e.getMessage());
        }
    }

    @Test
    void aStuckTaskFailsTheRunWithATimeoutNamingThePartition() {
        try (TrainingData data = data(3)) {
            long start = System.nanoTime();
            TrainingException e = assertThrows(TrainingException.class, () -> trainer("barrier", new ArrayList<>()).steps(4)
                    .stepTimeout(java.time.Duration.ofSeconds(1)).fit(data, new StallTask(2, 1)));
            assertTrue(e.getMessage().matches("step 2/4 \\(epoch 1\\): no progress from partition 1 \\(executor driver on"
                    + " host [^)]+\\) for 1\\.0 s while waiting for the gradient sum of step 2: the task is stuck or lost"),
                    e.getMessage());
            assertTrue(System.nanoTime() - start < 60_000_000_000L, "3 attempts of 1 s each, not Spark's own timeouts");
            assertEquals(2, log.stream().filter(l -> l.contains("failed at step 2: no progress from partition 1")).count(),
                    "two new stages after the first two timeouts: " + log);
        }
    }

    @Test
    void aFailedTaskStartsANewStageFromItsStepWithTheSameParameters() {
        try (TrainingData data = data(3)) {
            List<Map<String, float[]>> clean = new ArrayList<>();
            List<Map<String, float[]>> faulty = new ArrayList<>();
            trainer("barrier", clean).steps(6).fit(data);
            List<String> runs = jobsOf(() -> trainer("barrier", faulty).steps(6).fit(data, new FailOnce(3, 1)));
            assertEquals(List.of("train steps 1-5/6 (barrier stage)", "train steps 3-5/6 (barrier stage, attempt 2)",
                    "train steps 6-6/6 (barrier stage)"), runs);
            assertTrue(log.stream().anyMatch(l -> l.startsWith("WARNING the barrier stage of steps 1-5 (attempt 1) failed at"
                    + " step 3: java.lang.IllegalStateException: injected failure: partition 1 in step 3; starting attempt 2"
                    + " of 3 from step 3")), log.toString());
            assertBitwiseEqual(clean, faulty, "after a failed task");
        }
    }

    @Test
    void checkpointsResumeAndVerifyGradientsEndStagesAndKeepTheResult(@TempDir Path dir) {
        try (TrainingData data = data(2)) {
            List<Map<String, float[]>> jobs = new ArrayList<>();
            trainer("jobs", jobs).steps(6).fit(data);
            String ckpt = dir.resolve("a").toUri().toString();
            List<Map<String, float[]>> barrier = new ArrayList<>();
            List<String> runs = jobsOf(() -> trainer("barrier", barrier).steps(6).checkpoint(ckpt, 4).verifyGradients(2)
                    .fit(data));
            assertEquals(List.of("train steps 1-2/6 (barrier stage)", "train step 2/6", "train steps 3-4/6 (barrier stage)",
                    "train steps 5-5/6 (barrier stage)",
                    "train steps 6-6/6 (barrier stage)"), runs, "stages end at verify steps (its job: train step 2/6) and"
                    + " checkpoints");
            assertBitwiseEqual(jobs, barrier, "with checkpoints and verification");
            assertTrue(log.stream().anyMatch(l -> l.contains("verify-gradients at step 2/6 (epoch 1): largest relative")),
                    log.toString());

            String part = dir.resolve("b").toUri().toString();
            trainer("barrier", new ArrayList<>()).steps(3).checkpoint(part, 2).fit(data);
            List<Map<String, float[]>> resumed = new ArrayList<>();
            TrainingResult r = trainer("barrier", resumed).steps(6).checkpoint(part, 2).resume(true).fit(data);
            assertEquals(3, r.resumedFromStep());
            assertBitwiseEqual(jobs.subList(3, 6), resumed, "resumed in barrier mode");
        }
    }
}
