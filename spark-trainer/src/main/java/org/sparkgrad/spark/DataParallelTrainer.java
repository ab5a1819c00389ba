package org.sparkgrad.spark;

import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.optim.LRScheduler;
import org.sparkgrad.engine.optim.Optimizer;

/**
 * Synchronous data-parallel training on Spark. Every step: the driver sends the flat parameter vector to
 * the partitions; each runs forward/backward on its rows of the global batch (in micro-batches) and returns
 * the sum of per-sample gradients, the loss sum and the sample count; the driver adds them up, divides by the
 * count, writes the mean gradient into its model's parameters and steps its optimizer. Per-step driver work
 * is O(parameters). How the vectors travel is the {@link #stepMode(String) step mode}: inside long-lived
 * barrier stages over a socket to each task (the default where the cluster allows), or one Spark job per step
 * (a broadcast, then the partition sums of one job or {@code treeAggregate}).
 *
 * <p>The samples of global step t in epoch e are positions {@code [t*B, (t+1)*B)} of a
 * {@link KeyedPermutation} of the N global row indices keyed by (seed, e), so training is the same for
 * any number of partitions, executors or cores: it equals a one-process loop over the same batches (up to
 * float rounding of the sums). In barrier stages, and in per-step jobs when the partition sums reach the driver
 * directly (up to {@code treeDepth}'s threshold, e.g. up to 5 partitions at the default depth 2), the driver adds
 * them in partition order, so a run is bitwise reproducible, retries included, and the two modes agree bitwise;
 * above that threshold in per-step jobs, treeAggregate's intermediate stage adds them in task
 * completion order, so runs agree to float rounding (about 1e-7 relative per step).
 *
 * <pre>{@code
 * DataParallelTrainer trainer = new DataParallelTrainer(
 *         () -> new Sequential(new Linear(2, 1, true, new Generator(0))),
 *         () -> new MSELoss(Reduction.SUM),
 *         params -> new SGD(params, 0.03))
 *     .batchSize(10).epochs(3).seed(0)
 *     .checkpoint("hdfs://nn/ckpt/linreg", 100).resume(true);
 * TrainingData data = TrainingData.synthetic(sc, new LinearRowGenerator(new float[] {2f, -3.4f}, 4.2f, 0.01), 1000, 4, 0);
 * TrainingResult r = trainer.fit(data);
 * }</pre>
 *
 * <p>The loss of a micro-batch of m rows (a loss module's, or a {@link TrainStep}'s with {@link #forStep}) reduces
 * them with {@code Reduction.SUM} or {@code Reduction.MEAN}. The trainer's step loss and gradient are
 * {@code (sum over micro-batches of w * loss) / B} for a global batch of B rows, with w = 1 for SUM and w = m for
 * MEAN: a MEAN micro-batch loss times its rows is the sum of its rows' losses, so for MEAN the step's gradient is
 * PyTorch's gradient of the mean loss over the whole global batch in one process, whatever the partitions and
 * micro-batch sizes; for SUM it is the sum over the batch divided by B (the same when each row gives one loss
 * element, as MSE with one output or cross entropy; MSE with labelDim k gives k times PyTorch's mean). A MEAN that
 * divides by something other than the rows (cross entropy with ignored targets or class weights) is still weighted
 * by rows, so it matches one process only when every micro-batch has the same divisor per row. The model factory
 * runs on the driver and on every executor (once per executor thread); the executors' initial values do not matter,
 * they load the driver's parameters every step, but the parameter names and shapes must be the same everywhere.
 *
 * <p>Inputs other than one feature vector and a label per row come from {@link TrainingData#fromColumns} with a
 * {@link BatchSpec} and a {@link TrainStep} given to {@link #forStep}. Every replica's forward and backward runs in
 * an {@link org.sparkgrad.engine.nn.BatchContext} scope of the global step with the global indices of the
 * micro-batch's rows as sample keys, so {@link org.sparkgrad.engine.nn.Dropout} drops the same elements of a sample
 * whichever partition holds it. A model with batch norm ({@link org.sparkgrad.engine.nn.BatchNormBase} layers, found
 * by scanning the driver's model) is trained as PyTorch's SyncBatchNorm: each statistics all-reduce of its forward
 * and backward is a round trip through the driver, which adds the tasks' sums in partition order (so every replica
 * gets bitwise the same total), every task runs its share of a step as one micro-batch (so the replicas call the
 * reducer equally often; {@link #microBatchSize(int)} does not apply, a task with no rows adds zeros), and the driver
 * sends its buffers with the parameters and ends each step with the running statistics of the first partition that had
 * rows (all replicas compute the same). This needs barrier stages: {@code stepMode("jobs")} refuses such a model, and
 * {@code "auto"} fails, saying why, where the cluster cannot run a barrier stage. The steps then equal a one-process
 * loop over the same global batches in one scope with the same keys (to float rounding of the sums). The buffers are
 * saved in checkpoints and given in {@link TrainingResult#buffers()}; other models' buffers are not exchanged (the
 * replicas keep those their factory made).
 */
public final class DataParallelTrainer {
    private final SerializableSupplier<Module> modelFactory;
    private final SerializableSupplier<Loss> lossFactory;
    private final TrainStep step;
    private final Reduction reduction;
    private final SerializableFunction<Map<String, Parameter>, Optimizer> optimizerFactory;
    private SerializableFunction<Optimizer, LRScheduler> schedulerFactory;
    private boolean schedulerPerStep;
    private int batchSize;
    private int epochs = 1;
    private long steps;
    private long seed;
    private boolean dropLast;
    private int microBatchSize = 1024;
    private int treeDepth = 2;
    private String checkpointDir;
    private int checkpointEvery;
    private boolean resume;
    private boolean startOver;
    private boolean adoptCheckpoint;
    private final TreeSet<Long> verifySteps = new TreeSet<>();
    private double gradientTolerance = 1e-4;
    private int logEvery = 10;
    private boolean classLabels;
    private StepListener listener;
    private DeviceChoice device = DeviceChoice.AUTO;
    private StepMode stepMode = StepMode.AUTO;
    private long stepTimeoutMillis = 60_000;
    private long shardAbove = 1L << 22;
    private TrainingData validationData;
    private int patience;
    private double minDelta;
    private boolean restoreBest;
    private String initialWeights;

    /**
     * A trainer of the model the factory builds, with a loss (Reduction.SUM or MEAN) of the model's output on the
     * rows' features against their labels, and an optimizer made from the driver model's named parameters, e.g.
     * {@code p -> new SGD(p, 0.03)}. Its step is {@code loss(model(batch "features"), batch "labels")}.
     */
    public DataParallelTrainer(SerializableSupplier<Module> modelFactory, SerializableSupplier<Loss> lossFactory,
            SerializableFunction<Map<String, Parameter>, Optimizer> optimizerFactory) {
        this(modelFactory, Objects.requireNonNull(lossFactory, "lossFactory"), new LossStep(lossFactory), null,
                optimizerFactory);
    }

    private DataParallelTrainer(SerializableSupplier<Module> modelFactory, SerializableSupplier<Loss> lossFactory,
            TrainStep step, Reduction reduction, SerializableFunction<Map<String, Parameter>, Optimizer> optimizerFactory) {
        this.modelFactory = Objects.requireNonNull(modelFactory, "modelFactory");
        this.lossFactory = lossFactory;
        this.step = Objects.requireNonNull(step, "step");
        this.reduction = reduction;
        this.optimizerFactory = Objects.requireNonNull(optimizerFactory, "optimizerFactory");
    }

    /**
     * A trainer of the model the factory builds with a general training step: the step computes each micro-batch's
     * loss from the model and a {@link TensorBatch} of the data's inputs ({@link TrainingData#fromColumns}, or
     * {@code "features"} and {@code "labels"} for the other sources), and reduction says whether that loss is the
     * mean ({@link Reduction#MEAN}, as PyTorch's losses by default) or the sum ({@link Reduction#SUM}) over the
     * micro-batch's rows. The trainer weights a MEAN loss by its rows, so a step's gradient is the mean over the
     * global batch whatever the partitions and micro-batches (see the class comment).
     *
     * <pre>{@code
     * DataParallelTrainer trainer = DataParallelTrainer.forStep(
     *         () -> new Sequential(new Flatten(), new Linear(64, 10)),
     *         (model, batch) -> F.crossEntropy(model.call(batch.get("image")), batch.get("label")),
     *         Reduction.MEAN,
     *         params -> new Adam(params, 1e-3));
     * }</pre>
     */
    public static DataParallelTrainer forStep(SerializableSupplier<Module> modelFactory, TrainStep step,
            Reduction reduction, SerializableFunction<Map<String, Parameter>, Optimizer> optimizerFactory) {
        return new DataParallelTrainer(modelFactory, null, step, ModelReplica.requireReduction(reduction),
                optimizerFactory);
    }

    /** The global batch size B (any value, with any number of partitions); required. */
    public DataParallelTrainer batchSize(int b) {
        this.batchSize = positive(b, "batchSize");
        return this;
    }

    /** Trains this many epochs (default 1); ignored when {@link #steps(long)} is set. */
    public DataParallelTrainer epochs(int e) {
        this.epochs = positive(e, "epochs");
        return this;
    }

    /** Trains exactly this many optimizer steps, crossing epochs as needed (0: use epochs). */
    public DataParallelTrainer steps(long s) {
        if (s < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + s);
        }
        this.steps = s;
        return this;
    }

    /** The seed of the batch order (default 0). */
    public DataParallelTrainer seed(long s) {
        this.seed = s;
        return this;
    }

    /** Whether a last batch smaller than B is skipped (default false: kept, as PyTorch's DataLoader). */
    public DataParallelTrainer dropLast(boolean d) {
        this.dropLast = d;
        return this;
    }

    /**
     * The most rows one forward/backward pass takes on an executor (default 1024); bounds memory. Not applied to a
     * model with batch norm, whose partitions run their share of a step as one pass (see the class comment).
     */
    public DataParallelTrainer microBatchSize(int m) {
        this.microBatchSize = positive(m, "microBatchSize");
        return this;
    }

    /**
     * treeAggregate's depth (default 2). When that depth needs no intermediate stage for the data's partitions,
     * the driver adds the partition sums from one job, in partition order.
     */
    public DataParallelTrainer treeDepth(int d) {
        this.treeDepth = positive(d, "treeDepth");
        return this;
    }

    /**
     * A learning-rate scheduler made from the optimizer; it steps once per epoch (after the epoch's last
     * step) unless {@link #schedulerPerStep(boolean)}.
     */
    public DataParallelTrainer scheduler(SerializableFunction<Optimizer, LRScheduler> factory) {
        this.schedulerFactory = factory;
        return this;
    }

    /** Whether the scheduler steps after every optimizer step instead of every epoch. */
    public DataParallelTrainer schedulerPerStep(boolean perStep) {
        this.schedulerPerStep = perStep;
        return this;
    }

    /**
     * Saves a checkpoint (parameters, optimizer state, step, data seed, loss history) to directoryUri (any
     * Hadoop file system: file://, hdfs://) every {@code everySteps} steps and after the last step.
     */
    public DataParallelTrainer checkpoint(String directoryUri, int everySteps) {
        this.checkpointDir = Objects.requireNonNull(directoryUri, "directoryUri");
        this.checkpointEvery = positive(everySteps, "checkpoint interval");
        return this;
    }

    /**
     * Whether fit continues from the newest valid checkpoint in the checkpoint directory (when there is
     * one). Each checkpoint carries its run's identity (model layout, data fingerprint, seed, batch plan, loss,
     * optimizer and hyper-parameters): a resume with other settings fails naming each difference, except the
     * learning rate, the schedule and the number of steps, which may change (logged as a WARNING). Without resume, a
     * fit refuses a directory that holds checkpoints (see {@link #startOver(boolean)}). The batch order is a function of (seed, epoch, step), so the resumed run ends with the same
     * parameters as an uninterrupted one.
     */
    public DataParallelTrainer resume(boolean r) {
        this.resume = r;
        return this;
    }

    /**
     * Whether fit may start over when the checkpoint directory holds checkpoints it must not continue (another
     * run's, or none usable): they are moved into a {@code superseded-<time>} subfolder, never deleted, and the run
     * starts from step 0. Without it (the default) such a fit fails before the first step, saying why.
     */
    public DataParallelTrainer startOver(boolean s) {
        this.startOver = s;
        return this;
    }

    /**
     * Whether a resume may continue a checkpoint written before checkpoints recorded their run (no run identity in
     * its metadata), vouching that it is this run's: it still must match what it records (model layout, seed,
     * learning rate, optimizer hyper-parameters); its next checkpoints record this run. Without it such a resume
     * fails, saying what matched.
     */
    public DataParallelTrainer adoptCheckpoint(boolean a) {
        this.adoptCheckpoint = a;
        return this;
    }

    /**
     * At these steps (1-based, as in the log) the driver recomputes the step's gradient over the same global
     * batch (collecting its rows) and logs the largest relative difference to the distributed gradient; a
     * difference beyond {@link #gradientTolerance(double)} fails the run.
     */
    public DataParallelTrainer verifyGradients(long... steps1) {
        for (long s : steps1) {
            if (s < 1) {
                throw new IllegalArgumentException("verify-gradients steps count from 1, got " + s);
            }
            verifySteps.add(s);
        }
        return this;
    }

    /** The largest relative gradient difference verification accepts (default 1e-4). */
    public DataParallelTrainer gradientTolerance(double tol) {
        if (!(tol > 0)) {
            throw new IllegalArgumentException("gradientTolerance must be > 0, got " + tol);
        }
        this.gradientTolerance = tol;
        return this;
    }

    /** Logs a progress line every n steps (and the first and last; default 10; 0: never). */
    public DataParallelTrainer logEvery(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("logEvery must be >= 0, got " + n);
        }
        this.logEvery = n;
        return this;
    }

    /**
     * Whether labels are class indices (one per row, given to the loss as int64 [m], e.g. for
     * CrossEntropyLoss) instead of float32 [m, labelDim] targets.
     */
    public DataParallelTrainer classLabels(boolean c) {
        this.classLabels = c;
        return this;
    }

    /**
     * Where executor tasks run forward/backward: {@code "auto"} (the default) uses the GPU Spark assigned to
     * the task ({@code spark.task.resource.gpu.amount}), else {@code cuda:0}, when CUDA is usable in the
     * executor (the gpu-worker module on the class path, a CUDA 12 driver, libcublas.so.12), and the CPU
     * otherwise; {@code "cpu"} always uses the CPU; {@code "cuda"} requires the GPU and fails the task with
     * the reason when it cannot be used; {@code "cuda:N"} uses that device. The driver's optimizer step
     * stays on the CPU. {@link TrainingResult#devices()} says what the tasks used.
     */
    public DataParallelTrainer device(String device) {
        this.device = DeviceChoice.parse(device);
        return this;
    }

    /**
     * How steps run on Spark: {@code "barrier"} runs many steps in one barrier stage ({@code RDD.barrier()}) of one
     * task per slot (at most one per partition; a task owns several partitions when there are more partitions than
     * slots), whose tasks keep their model replica and blocks and exchange parameters and gradient sums with the
     * driver over a socket each step. A stage ends at checkpoints and verify-gradients steps, and at epoch ends when
     * there is validation or a listener that {@link StepListener#startsSparkJobs() may start Spark jobs}; a failed
     * task starts a new stage from the current step, up to Spark's task attempts. {@code "jobs"} runs one Spark job
     * per step; {@code "auto"} (the default) runs barrier stages unless dynamic allocation is on or the cluster has no
     * slot (or, for a model with batch norm, fewer slots than partitions), and jobs otherwise, logging why. Both give
     * bitwise the same parameters when the jobs mode adds its partition sums in one job (see {@link #treeDepth(int)}).
     */
    public DataParallelTrainer stepMode(String mode) {
        this.stepMode = StepMode.parse(mode);
        return this;
    }

    /**
     * How long the driver and the barrier tasks wait for each other (default 60 s): a task that sends nothing for this
     * long fails the stage with a message naming its partition, executor and host. The tasks wait as long for the
     * next step's parameters, so it also bounds the driver's time between steps (a slow listener); a stage's tasks
     * get at least 120 s to launch and connect.
     */
    public DataParallelTrainer stepTimeout(java.time.Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("stepTimeout must be positive, got " + timeout);
        }
        this.stepTimeoutMillis = timeout.toMillis();
        return this;
    }

    /**
     * Models with at least this many parameters (default 4,194,304: 16 MB of float32) exchange sharded in barrier
     * stages: each task reduces one slice of the gradient from all tasks (in partition order, so the parameters are
     * bitwise those of the star exchange), sends that slice to the driver and shares the new parameters' slice with the
     * others, so the driver moves about one model each way per step instead of one per task.
     */
    public DataParallelTrainer shardAbove(long parameters) {
        if (parameters < 1) {
            throw new IllegalArgumentException("shardAbove must be at least 1 parameter, got " + parameters);
        }
        this.shardAbove = parameters;
        return this;
    }

    /**
     * Computes the mean loss over every row of validationData (held-out rows with the training data's columns) after
     * each epoch, on the executors, and records it in {@link TrainingResult#validationLoss()} (null: none). The
     * model runs in eval mode without gradients; the loss is the trainer's (summed, divided by the rows).
     */
    public DataParallelTrainer validation(TrainingData validationData) {
        this.validationData = validationData;
        return this;
    }

    /**
     * Stops training after {@code patience} epochs in a row whose validation loss did not fall below the best so far by
     * more than minDelta, keeping the last epoch's parameters (PyTorch Lightning's EarlyStopping); needs
     * {@link #validation(TrainingData)}. The early-stopping state is not checkpointed: a resumed run counts afresh.
     */
    public DataParallelTrainer earlyStopping(int patience, double minDelta) {
        return earlyStopping(patience, minDelta, false);
    }

    /**
     * {@link #earlyStopping(int, double)}; with restoreBest the model ends with the parameters of the epoch with the
     * lowest validation loss (Keras' restore_best_weights).
     */
    public DataParallelTrainer earlyStopping(int patience, double minDelta, boolean restoreBest) {
        this.patience = positive(patience, "patience");
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new IllegalArgumentException("minDelta must be a finite number >= 0, got " + minDelta);
        }
        this.minDelta = minDelta;
        this.restoreBest = restoreBest;
        return this;
    }

    /**
     * Starts from the parameters in the safetensors file at uri (any Hadoop URI, or a local path; e.g. the
     * {@code model.safetensors} of another run) instead of the model factory's; checked when fit starts, before the
     * data is packed: a file without a tensor of some parameter's name and shape, or with a tensor that is no
     * parameter, fails naming each one with the expected and found shapes. A resumed run takes its checkpoint's
     * values instead. null: the factory's values.
     */
    public DataParallelTrainer initialWeights(String uri) {
        this.initialWeights = uri;
        return this;
    }

    /**
     * Called on the driver after every step. Unless it is declared to start no Spark jobs
     * ({@link StepListener#withoutSparkJobs(StepListener)}), barrier stages end at every epoch end for it.
     */
    public DataParallelTrainer listener(StepListener l) {
        this.listener = l;
        return this;
    }

    /**
     * Trains on data and returns the final parameters and loss history. The run uses the settings as they are when
     * fit is called; changing this trainer during the run does not change it.
     */
    public TrainingResult fit(TrainingData data) {
        return fit(data, StepDecorator.NONE);
    }

    /** fit with the step function of every step wrapped by decorator (for tests). */
    TrainingResult fit(TrainingData data, StepDecorator decorator) {
        if (patience > 0 && validationData == null) {
            throw new IllegalStateException("earlyStopping needs validation data: call validation(TrainingData) before fit");
        }
        return new TrainingRun(settings(), Objects.requireNonNull(data, "data"), decorator).run();
    }

    /** A copy of the current settings (what fit freezes). */
    TrainerSettings settings() {
        return new TrainerSettings(modelFactory, lossFactory, step, reduction, optimizerFactory, schedulerFactory, schedulerPerStep,
                batchSize, epochs, steps, seed, dropLast, microBatchSize, treeDepth, checkpointDir, checkpointEvery,
                resume, startOver, adoptCheckpoint, verifySteps, gradientTolerance, logEvery, classLabels, listener, device, stepMode,
                stepTimeoutMillis, shardAbove, validationData == null ? null
                        : new Validation(validationData, patience, minDelta, restoreBest), initialWeights);
    }

    private static int positive(int v, String what) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + v);
        }
        return v;
    }
}
