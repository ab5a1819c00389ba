package org.sparkgrad.spark;

import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongPredicate;
import java.util.logging.Logger;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.TaskSchedulerImpl;

/**
 * The driver's side of the barrier step loop: runs the training as barrier stages ({@code RDD.barrier()}) of one task
 * per slot (at most one per partition; each task owns one or more partitions' blocks, {@link BlockGroups}), each
 * stage covering the steps up to the next stage end (an epoch end, a checkpoint, a verify-gradients step or the last
 * step). Per step it sends every task the parameters and gets back each partition's gradient sum, which it adds in
 * partition order, the way the jobs mode adds the sums of its one job, so both modes give bitwise the same
 * parameters whatever the number of slots; above the shard threshold the tasks reduce-scatter among themselves
 * ({@link ShardMesh}) and each exchanges one slice with the driver. A model with batch norm needs one slot per
 * partition: its replicas all-reduce statistics once per layer call, so each partition's share is one micro-batch. A stage whose task fails, breaks its connection or stays silent past the
 * timeout is cancelled and a new one starts from the same step with the same parameters, up to Spark's task attempt
 * limit.
 */
final class BarrierSteps implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DataParallelTrainer.class.getName());
    private static final scala.reflect.ClassTag<Object> OBJECT = scala.reflect.ClassTag$.MODULE$.Object();
    /** The least time a stage's tasks get to launch and connect (the step timeout when that is longer). */
    private static final long LAUNCH_MILLIS = 120_000;

    private final JavaSparkContext sc;
    private final JavaRDD<DataBlock> blocks;
    private final StepSpec spec;
    private final byte[] fitSecret = PeerAuth.random(32);
    private final long timeoutMillis;
    private final int maxAttempts;
    private final StepDecorator decorator;
    private final LongPredicate stageEndsAfter;
    private final long totalSteps;
    private final int partitions;
    /** Whether the run is sharded when a stage has more than one task. */
    private final boolean large;
    /** Whether the step connections are encrypted: as Spark's own RPC, by spark.network.crypto.enabled. */
    private final boolean encrypt;
    private Stage stage;
    /**
     * The previous step's frame payloads (parameters, or each task's slice) and gradient sum, written out or used up
     * by the next step, so that a big model's vectors are not reallocated every step.
     */
    private byte[][] payloads = new byte[0][];
    private float[] gradientSpare;
    /** Stage failures since the last step that succeeded. */
    private int failures;

    /** A running barrier stage: its endpoint, its Spark job, the steps it covers, [first, end), and its tasks. */
    private record Stage(StepEndpoint endpoint, JavaFutureAction<Long> job, long first, long end, int attempt,
            BlockGroups groups, boolean sharded) {
        int tasks() {
            return groups.tasks();
        }
    }

    private BarrierSteps(TrainerSettings settings, JavaSparkContext sc, JavaRDD<DataBlock> blocks, StepSpec spec,
            LongPredicate stageEndsAfter, long totalSteps, StepDecorator decorator) {
        long shardAbove = settings.shardAbove();
        this.sc = sc;
        this.blocks = blocks;
        this.spec = spec;
        this.timeoutMillis = settings.stepTimeoutMillis();
        this.stageEndsAfter = stageEndsAfter;
        this.totalSteps = totalSteps;
        this.decorator = decorator;
        this.partitions = blocks.getNumPartitions();
        this.maxAttempts = maxTaskFailures(sc);
        this.large = spec.layout.total >= shardAbove;
        this.encrypt = sc.getConf().getBoolean("spark.network.crypto.enabled", false);
        if (encrypt) {
            LOG.info("spark.network.crypto.enabled: the step connections are encrypted (AES-256-GCM, keys per"
                    + " connection from this fit's secret)");
        }
        if (large) {
            LOG.info(spec.layout.total + " parameters (shard threshold " + shardAbove + "): the tasks reduce-scatter"
                    + " the gradient among themselves and exchange one slice each with the driver");
        }
    }

    /**
     * The barrier step loop of a run, or null when it trains with one job per step: in step mode JOBS, or in AUTO
     * when the cluster cannot run a barrier stage now (the reason is logged); BARRIER then fails with the reason.
     *
     * @param stageEndsAfter whether a stage ends after a 0-based step (so a Spark job may run after it)
     * @param decorator wraps each step's function in the tasks ({@link StepDecorator#NONE} in training)
     */
    static BarrierSteps open(TrainerSettings settings, JavaSparkContext sc, JavaRDD<DataBlock> blocks, StepSpec spec,
            LongPredicate stageEndsAfter, long totalSteps, StepDecorator decorator) {
        StepMode mode = settings.stepMode();
        String batchNorm = "the model has batch norm, whose statistics are summed over all partitions within each step"
                + " through the driver, which only barrier stages do";
        if (mode == StepMode.JOBS && spec.collectives) {
            throw new TrainingException("stepMode(\"jobs\") cannot train this model: " + batchNorm
                    + "; use stepMode(\"barrier\") (--step-mode barrier) or \"auto\"");
        }
        if (mode == StepMode.JOBS) {
            return null;
        }
        int slots = slots(sc);
        String reason = unavailable(sc.getConf().getBoolean("spark.dynamicAllocation.enabled", false), slots);
        int partitions = blocks.getNumPartitions();
        if (reason == null && spec.collectives && slots < partitions) {
            reason = "a barrier stage for batch norm needs one slot per partition, " + partitions
                    + ", and the cluster offers " + slots + " now";
        }
        if (reason != null && spec.collectives) {
            throw new TrainingException("barrier stages cannot run: " + reason + "; " + batchNorm
                    + " (--step-mode barrier): give the application more cores or the data fewer partitions, and no"
                    + " dynamic allocation");
        }
        if (reason != null && mode == StepMode.BARRIER) {
            throw new TrainingException("stepMode(\"barrier\") cannot run: " + reason
                    + "; turn dynamic allocation off for this application or give it executors, or use stepMode(\"auto\")");
        }
        if (reason != null) {
            LOG.info(reason + "; training with one Spark job per step");
            return null;
        }
        return new BarrierSteps(settings, sc, blocks, spec, stageEndsAfter, totalSteps, decorator);
    }

    /**
     * Why a barrier stage cannot run on a cluster with this dynamic allocation setting and these slots now, or null
     * when it can.
     */
    static String unavailable(boolean dynamicAllocation, int slots) {
        if (dynamicAllocation) {
            return "dynamic allocation is on (spark.dynamicAllocation.enabled), and a barrier stage needs all its slots"
                    + " at once";
        }
        if (slots < 1) {
            return "the cluster offers no task slot now (no executor has registered, or spark.task.cpus is more than an"
                    + " executor's cores)";
        }
        return null;
    }

    /** The tasks the cluster can run at once now (Spark's slots of the default resource profile). */
    private static int slots(JavaSparkContext sc) {
        return sc.sc().maxNumConcurrentTasks(sc.sc().resourceProfileManager().defaultResourceProfile());
    }

    /** This stage's tasks: one per slot (at most one per partition), each preferring where its blocks are cached. */
    private BlockGroups groups() {
        java.util.List<java.util.List<String>> where = new java.util.ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            java.util.List<String> locs = new java.util.ArrayList<>();
            scala.collection.Iterator<org.apache.spark.scheduler.TaskLocation> it = sc.sc().getPreferredLocs(blocks.rdd(), p)
                    .iterator();
            while (it.hasNext()) {
                locs.add(it.next().toString());
            }
            where.add(locs);
        }
        return BlockGroups.of(where, spec.collectives ? partitions : slots(sc));
    }

    /**
     * The step's gradient sum over all partitions, in partition order; buffers are the model's (sent with the
     * parameters) when it has batch norm, else null.
     */
    GradientSum gradient(long s, long epoch, long from, long to, float[] parameters, double[] buffers) {
        while (true) {
            try {
                if (stage == null) {
                    stage = start(s);
                }
                int tasks = stage.tasks();
                if (payloads.length != tasks) {
                    payloads = new byte[tasks][];
                }
                StepFrame[] frames = new StepFrame[tasks];
                for (int t = 0; t < tasks; t++) {
                    int lo = stage.sharded ? ShardMesh.lo(parameters.length, tasks, t) : 0;
                    int hi = stage.sharded ? ShardMesh.lo(parameters.length, tasks, t + 1) : parameters.length;
                    frames[t] = !stage.sharded && t > 0 ? frames[0]
                            : StepFrame.parameters(s, epoch, from, to, parameters, lo, hi - lo, payloads[t]);
                    payloads[t] = frames[t].payload();
                }
                GradientSum sum = exchange(stage, frames, buffers, parameters.length);
                gradientSpare = sum.grad; // the caller is done with it by the next step
                failures = 0;
                if (s + 1 == stage.end) {
                    finish(stage);
                    stage = null;
                }
                return sum;
            } catch (TaskFailed e) {
                retryOrThrow(s, e.getMessage(), new TrainingException(e.getMessage(), e));
            } catch (TrainingException e) {
                retryOrThrow(s, e.getMessage(), e);
            }
        }
    }

    /** After a failed stage (or one that did not start: stage null), throws error or logs why a new one starts. */
    private void retryOrThrow(long s, String reason, TrainingException error) {
        Stage failed = stage;
        stage = null;
        cancel(failed);
        failures++;
        if (failures >= maxAttempts) {
            throw error;
        }
        String which = failed == null ? "the barrier stage from step " + (s + 1) + " (attempt " + failures
                + ") did not start" : "the barrier stage of steps " + (failed.first + 1) + "-" + failed.end + " (attempt "
                + failed.attempt + ") failed at step " + (s + 1);
        LOG.warning(which + ": " + reason + "; starting attempt " + (failures + 1) + " of " + maxAttempts + " from step "
                + (s + 1) + " with the driver's parameters and optimizer state");
    }

    private Stage start(long first) {
        long end = first;
        while (end + 1 < totalSteps && !stageEndsAfter.test(end)) {
            end++;
        }
        end++;
        int attempt = failures + 1;
        BlockGroups groups = groups();
        boolean sharded = large && groups.tasks() > 1;
        String host = sc.getConf().get("spark.driver.host", "localhost");
        StepEndpoint endpoint = new StepEndpoint(sc.getConf().get("spark.driver.bindAddress", host), host, fitSecret,
                PeerAuth.sparkSecret(), timeoutMillis, encrypt);
        endpoint.names(groups::name);
        String description = "train steps " + (first + 1) + "-" + end + "/" + totalSteps + " (barrier stage"
                + (attempt > 1 ? ", attempt " + attempt : "") + ")";
        BarrierStepTask task = new BarrierStepTask(spec, endpoint.link(), attempt - 1, decorator, sharded, groups);
        String previous = sc.getLocalProperty("spark.job.description");
        String previousInterrupt = sc.getLocalProperty("spark.job.interruptOnCancel");
        JavaFutureAction<Long> job;
        try {
            sc.setJobDescription(description);
            sc.setLocalProperty("spark.job.interruptOnCancel", "true"); // a cancelled stage stops a stuck task
            job = JavaRDD.fromRDD(new GroupedBlocks(blocks.rdd(), groups).barrier().mapPartitions(task, false, OBJECT),
                    OBJECT).countAsync();
        } finally {
            sc.setJobDescription(previous);
            sc.setLocalProperty("spark.job.interruptOnCancel", previousInterrupt);
        }
        Thread watcher = new Thread(() -> watch(job, endpoint), "sparkgrad-barrier-watch");
        watcher.setDaemon(true);
        watcher.start();
        Stage st = new Stage(endpoint, job, first, end, attempt, groups, sharded);
        LOG.info(description + ": " + groups.tasks() + (groups.tasks() == 1 ? " task" : " tasks") + (groups.onePerTask() ? "" : " (one per slot, for "
                + partitions + " partitions)") + " connect to the step endpoint " + endpoint.address());
        try {
            endpoint.awaitPeers(groups.tasks(), description, Math.max(timeoutMillis, LAUNCH_MILLIS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel(st);
            throw new TrainingException(description + ": interrupted while waiting for the tasks to connect", e);
        } catch (TrainingException e) {
            cancel(st);
            throw e;
        }
        return st;
    }

    /** Fails the stage's waits when its Spark job ends before the driver stopped it (a failure or a cancel). */
    private static void watch(JavaFutureAction<Long> job, StepEndpoint endpoint) {
        try {
            job.get();
            endpoint.abort(new TrainingException("the barrier stage's tasks ended before the driver stopped them"));
        } catch (ExecutionException e) {
            endpoint.abort(TrainingException.unwrap(e, "the barrier stage failed: "));
        } catch (InterruptedException | java.util.concurrent.CancellationException e) {
            endpoint.abort(new TrainingException("the barrier stage was cancelled"));
        }
    }

    /** A task's own error (a FAILED frame): its message is the step's error. */
    private static final class TaskFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TaskFailed(String message) {
            super(message);
        }
    }

    /**
     * Sends each task its frame and adds what they send back in partition order: each partition's sum (star; its loss
     * and count only when sharded), then, sharded, each task's slice of the reduced gradient, placed at the slice's
     * offset.
     */
    private GradientSum exchange(Stage st, StepFrame[] frames, double[] buffers, int total) {
        String step = "step " + (frames[0].step() + 1);
        int tasks = st.tasks();
        StepFrame bufferFrame = buffers == null ? null : StepFrame.doubles(StepFrame.Kind.BUFFERS, frames[0].step(), buffers);
        for (int t = 0; t < tasks; t++) {
            FrameChannel ch = st.endpoint.peer(t);
            ch.write(frames[t], "sending the parameters of " + step + " to " + ch.peer());
            if (bufferFrame != null) {
                ch.write(bufferFrame, "sending the buffers of " + step + " to " + ch.peer());
            }
        }
        double[] stepBuffers = bufferFrame == null ? null : reduceStatistics(st, frames[0].step());
        GradientSum sum = new GradientSum();
        float[] spare = gradientSpare;
        gradientSpare = null;
        for (int p = 0; p < partitions; p++) {
            StepFrame g = readGradient(st.endpoint.peer(st.groups.owner(p)), step, frames[0].step());
            if (st.sharded) {
                GradientSum part = g.gradientSum();
                if (part.grad != null) {
                    throw new TrainingException("expected the loss and count of " + step + " without a gradient, got "
                            + part.grad.length + " values");
                }
                sum.merge(part);
            } else {
                g.mergeInto(sum, spare);
            }
        }
        if (st.sharded) {
            float[] slices = spare != null && spare.length == total ? spare : new float[total];
            boolean anySlice = false;
            for (int t = 0; t < tasks; t++) {
                FrameChannel ch = st.endpoint.peer(t);
                StepFrame g = readGradient(ch, step, frames[0].step());
                int lo = ShardMesh.lo(total, tasks, t);
                int length = ShardMesh.lo(total, tasks, t + 1) - lo;
                int n = g.gradientLength();
                if (n < 0) {
                    Arrays.fill(slices, lo, lo + length, 0f);
                } else if (n != length) {
                    throw new TrainingException(ch.peer() + " sent a gradient slice of " + n + " values for " + step
                            + ", expected " + length);
                } else {
                    g.gradientInto(slices, lo); // straight from the frame into the slice's place
                    anySlice = true;
                }
            }
            if (anySlice) {
                sum.grad = slices;
            }
        }
        sum.buffers = stepBuffers;
        return sum;
    }

    /**
     * The next GRADIENT frame of a step from a task (its FAILED frame: the task's error), valid until the next read
     * from that task ({@link FrameChannel#readReusing}).
     */
    private static StepFrame readGradient(FrameChannel ch, String step, long s) {
        StepFrame g = ch.readReusing("the gradient sum of " + step);
        if (g.kind() == StepFrame.Kind.FAILED) {
            throw new TaskFailed(g.text());
        }
        if (g.kind() != StepFrame.Kind.GRADIENT || g.step() != s) {
            throw new TrainingException("expected the gradient sum of " + step + " from " + ch.peer() + ", got "
                    + g.kind() + " of step " + (g.step() + 1));
        }
        return g;
    }

    /**
     * The statistics rounds of a step of a batch-norm model: in each round every task that is not done sends one frame,
     * STATS (one all-reduce of its replica) or BUFFERS (done: no more statistics this step). The driver adds the round's
     * STATS in partition order (a done task adds nothing: its rows are zero) and sends the sum to each task that sent
     * them. Returns the buffers of the first partition that had rows (null when none sent any).
     */
    private double[] reduceStatistics(Stage st, long step) {
        String name = "step " + (step + 1);
        int tasks = st.tasks();
        boolean[] done = new boolean[tasks];
        int left = tasks;
        double[] buffers = null;
        while (left > 0) {
            double[][] round = new double[tasks][];
            double[] total = null;
            int first = -1;
            for (int p = 0; p < tasks; p++) {
                if (done[p]) {
                    continue;
                }
                FrameChannel ch = st.endpoint.peer(p);
                StepFrame f = ch.read("the batch statistics or buffers of " + name);
                if (f.kind() == StepFrame.Kind.FAILED) {
                    throw new TaskFailed(f.text());
                }
                if ((f.kind() != StepFrame.Kind.STATS && f.kind() != StepFrame.Kind.BUFFERS) || f.step() != step) {
                    throw new TrainingException("expected the batch statistics or buffers of " + name + " from " + ch.peer()
                            + ", got " + f.kind() + " of step " + (f.step() + 1));
                }
                double[] v = f.doubleValues();
                if (f.kind() == StepFrame.Kind.BUFFERS) {
                    done[p] = true;
                    left--;
                    if (buffers == null && v.length > 0) {
                        buffers = v;
                    }
                    continue;
                }
                if (total == null) {
                    total = new double[v.length];
                    first = p;
                } else if (v.length != total.length) {
                    throw new TrainingException("in one all-reduce of " + name + " " + st.groups.name(first) + " sent "
                            + total.length + " batch statistics and " + st.groups.name(p) + " " + v.length
                            + ": the replicas' batch-norm calls differ");
                }
                for (int i = 0; i < v.length; i++) {
                    total[i] += v[i];
                }
                round[p] = v;
            }
            if (total != null) {
                StepFrame sum = StepFrame.doubles(StepFrame.Kind.STATS, step, total);
                for (int p = 0; p < tasks; p++) {
                    if (round[p] != null) {
                        FrameChannel ch = st.endpoint.peer(p);
                        ch.write(sum, "sending the summed batch statistics of " + name + " to " + ch.peer());
                    }
                }
            }
        }
        return buffers;
    }

    private void finish(Stage st) {
        for (int t = 0; t < st.tasks(); t++) {
            st.endpoint.peer(t).write(new StepFrame(StepFrame.Kind.STOP, st.end - 1, new byte[0]), "stopping the stage");
        }
        try {
            st.job.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrainingException("interrupted while the barrier stage of steps " + (st.first + 1) + "-" + st.end
                    + " finished", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new TrainingException("the barrier stage of steps " + (st.first + 1) + "-" + st.end
                    + " did not finish after its last step: " + e, e);
        } finally {
            st.endpoint.close();
        }
    }

    private static void cancel(Stage st) {
        if (st != null) {
            st.job.cancel(true);
            st.endpoint.close();
        }
    }

    @Override
    public void close() {
        cancel(stage);
        stage = null;
    }

    /** Spark's attempts per task (local[N]: 1, local[N,F]: F, a cluster: spark.task.maxFailures). */
    private static int maxTaskFailures(JavaSparkContext sc) {
        if (sc.sc().taskScheduler() instanceof TaskSchedulerImpl ts) {
            return Math.max(1, ts.maxTaskFailures());
        }
        return Math.max(1, sc.getConf().getInt("spark.task.maxFailures", 4));
    }
}
