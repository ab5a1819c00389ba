package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Logger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.api.java.function.Function2;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.optim.LRScheduler;
import org.sparkgrad.engine.optim.Optimizer;

/** One fit call, reading the {@link TrainerSettings} fit froze: the driver's step loop, checkpoints and resume. */
final class TrainingRun {
    private static final Logger LOG = Logger.getLogger(DataParallelTrainer.class.getName());
    private static final Function2<GradientSum, GradientSum, GradientSum> MERGE = GradientSum::merge;
    private static final scala.reflect.ClassTag<GradientSum> PARTIAL_SUMS =
            scala.reflect.ClassTag$.MODULE$.apply(GradientSum.class);

    private final TrainerSettings settings;
    private final StepDecorator decorator;
    private final TrainingData data;
    private final JavaSparkContext sc;
    private final TrainingData.Packed packed;
    private final Module model;
    private final List<Parameter> params;
    private final ParameterLayout layout;
    private final Optimizer optimizer;
    private final LRScheduler scheduler;
    private final BatchPlan plan;
    private final long totalSteps;
    private final CheckpointStore store;
    private final RunIdentity identity;
    private final StepSpec spec;
    private final List<Double> history = new ArrayList<>();
    private final java.util.TreeSet<String> devices = new java.util.TreeSet<>();
    private long lastCheckpoint = -1;
    private final ValidationLoss validationLoss;
    private final EarlyStopping early;
    /** The flat parameters sent in the last barrier step (reused for the next). */
    private float[] flat;

    TrainingRun(TrainerSettings settings, TrainingData data, StepDecorator decorator) {
        this.settings = settings;
        this.decorator = decorator;
        this.data = data;
        this.sc = data.sparkContext();
        this.store = settings.checkpointDir() == null ? null
                : new CheckpointStore(settings.checkpointDir(), sc.hadoopConfiguration());
        if (store != null) {
            store.probeWritable();
        }
        this.model = settings.modelFactory().get();
        if (settings.initialWeights() != null) {
            InitialWeights.loadInto(model, settings.initialWeights(), sc.hadoopConfiguration());
            LOG.info("initial parameters from " + settings.initialWeights());
        }
        this.packed = data.packed();
        Map<String, Parameter> named = model.namedParameters();
        this.params = new ArrayList<>(named.values());
        this.layout = ParameterLayout.of(named);
        org.sparkgrad.engine.nn.Loss loss = settings.lossFactory() == null ? null : settings.lossFactory().get();
        Reduction reduction = ModelReplica.requireReduction(loss != null ? loss.reduction() : settings.reduction());
        BatchSpec batches = batchSpec(data, settings);
        List<String> batchNorm = ModelBuffers.batchNormLayers(model);
        this.optimizer = settings.optimizerFactory().apply(named);
        this.scheduler = settings.schedulerFactory() == null ? null : settings.schedulerFactory().apply(optimizer);
        this.plan = new BatchPlan(packed.rows(), settings.batchSize(), settings.dropLast());
        this.totalSteps = settings.steps() > 0 ? settings.steps() : settings.epochs() * plan.stepsPerEpoch();
        this.identity = RunIdentity.of(layout, packed, data.rowContent(), settings, plan, totalSteps,
                lossName(loss, reduction), optimizer, scheduler);
        this.spec = new StepSpec(UUID.randomUUID().toString(), packed, settings.seed(), settings.modelFactory(),
                settings.step(), reduction, batches, layout, settings.microBatchSize(), settings.device(),
                !batchNorm.isEmpty());
        if (!batchNorm.isEmpty()) {
            LOG.info("batch norm in " + batchNorm + ": its statistics are summed over all partitions through the driver"
                    + " in every forward and backward, each partition runs its share of a step as one micro-batch"
                    + " (microBatchSize does not apply), and the buffers come back to the driver each step");
        }
        Validation v = settings.validation();
        this.validationLoss = v == null ? null : new ValidationLoss(v.data(), data, spec);
        this.early = v == null ? null : new EarlyStopping(v);
    }

    /**
     * The batch layout of the data's rows: the inputs {@link TrainingData#fromColumns} declared, else "features" and
     * "labels" (class indices with classLabels). A trainer built with a loss reads "features" and "labels", so column
     * data must declare inputs of those names.
     */
    private static BatchSpec batchSpec(TrainingData data, TrainerSettings settings) {
        BatchSpec columns = data.columns();
        if (columns == null) {
            return BatchSpec.featuresAndLabels(data.featureDim(), data.labelDim(), settings.classLabels());
        }
        if (settings.lossFactory() != null && !columns.names().containsAll(List.of("features", "labels"))) {
            throw new TrainingException("a trainer built with a loss computes loss(model(features), labels), but the"
                    + " data's inputs are " + columns.names() + ": name them 'features' and 'labels', or train with"
                    + " DataParallelTrainer.forStep and a step that reads them");
        }
        return columns;
    }

    /**
     * The loss in the run identity: a loss module's class name (with its reduction when not SUM, so checkpoints of
     * SUM runs keep their identity), or "train step, mean|sum".
     */
    static String lossName(org.sparkgrad.engine.nn.Loss loss, Reduction reduction) {
        if (loss == null) {
            return "train step, " + reduction.pyName();
        }
        String name = loss.getClass().getSimpleName();
        return reduction == Reduction.SUM ? name : name + " (" + reduction.pyName() + ")";
    }

    TrainingResult run() {
        long start = System.nanoTime();
        long first = restore();
        LOG.info("training " + layout.total + " parameters on " + packed.rows() + " rows in " + data.numPartitions()
                + " partitions: " + totalSteps + " steps of global batch " + settings.batchSize() + " (" + plan.stepsPerEpoch()
                + " per epoch)" + (first > 0 ? ", resuming after step " + first : ""));
        ProgressLog progress = new ProgressLog(LOG, settings.logEvery(), first, totalSteps, plan.stepsPerEpoch());
        String previousDescription = sc.getLocalProperty("spark.job.description");
        Broadcast<float[]> broadcast = null;
        long done = totalSteps;
        BarrierSteps barrier = BarrierSteps.open(settings, sc, packed.blocks(), spec, this::stageEndsAfter, totalSteps,
                decorator);
        try {
            for (long s = first; s < totalSteps; s++) {
                if (broadcast != null) {
                    broadcast.unpersist(false);
                }
                broadcast = barrier != null ? null : sc.broadcast(layout.flatten(params));
                double loss = step(s, broadcast, barrier);
                progress.stepDone(s + 1, loss, plan.end(s % plan.stepsPerEpoch()) - plan.start(s % plan.stepsPerEpoch()));
                if (settings.listener() != null) {
                    settings.listener().afterStep(s + 1, s / plan.stepsPerEpoch(), loss, model);
                }
                if (store != null && ((s + 1) % settings.checkpointEvery() == 0 || s + 1 == totalSteps)) {
                    checkpoint(s + 1);
                }
                if (early != null && (s + 1) % plan.stepsPerEpoch() == 0 && validate((s + 1) / plan.stepsPerEpoch())) {
                    done = s + 1;
                    break;
                }
            }
        } finally {
            if (barrier != null) {
                barrier.close();
            }
            if (broadcast != null) {
                broadcast.destroy();
            }
            sc.setJobDescription(previousDescription);
        }
        if (early != null && early.restoreInto(model)) {
            LOG.info("restored the parameters of epoch " + early.bestEpoch() + " (validation loss " + format(early.best()) + ")");
        }
        Map<String, Tensor> finalParams = new LinkedHashMap<>();
        model.namedParameters().forEach((k, v) -> finalParams.put(k, v.detach().clone()));
        return new TrainingResult(model, finalParams, history, done, plan.stepsPerEpoch(), packed.rows(),
                packed.dropped(), first, (System.nanoTime() - start) / 1e9, devices,
                early == null ? List.of() : early.history(), early == null ? 0 : early.bestEpoch(), done < totalSteps);
    }

    /** Computes the validation loss after epoch (1-based) and logs it; returns whether to stop early. */
    private boolean validate(long epoch) {
        double loss = validationLoss.mean(params, ModelBuffers.flatten(model));
        boolean stop = early.update(epoch, loss, model);
        LOG.info("epoch " + epoch + ": validation loss " + format(loss) + " (best " + format(early.best()) + " at epoch "
                + early.bestEpoch() + ")" + (stop ? "; stopping early: " + (Double.isFinite(loss) ? "no improvement of more than "
                + settings.validation().minDelta() + " in " + settings.validation().patience() + " epoch(s)"
                : "the validation loss is not finite") : ""));
        return stop;
    }

    /**
     * Whether a barrier stage ends after step s (0-based): the driver checkpoints or runs a verification job, or an
     * epoch ends where validation or a listener may run Spark jobs (e.g. a loss over all rows): while a stage runs, it
     * may hold every slot.
     */
    private boolean stageEndsAfter(long s) {
        boolean epochJobs = early != null || settings.listener() != null && settings.listener().startsSparkJobs();
        return store != null && (s + 1) % settings.checkpointEvery() == 0 || settings.verifySteps().contains(s + 1)
                || epochJobs && (s + 1) % plan.stepsPerEpoch() == 0;
    }

    /** Runs global step s (0-based) as one job on the broadcast, or in the barrier stage; returns its mean loss. */
    private double step(long s, Broadcast<float[]> broadcast, BarrierSteps barrier) {
        long epoch = s / plan.stepsPerEpoch();
        long t = s % plan.stepsPerEpoch();
        long from = plan.start(t);
        long to = plan.end(t);
        String name = "step " + (s + 1) + "/" + totalSteps + " (epoch " + (epoch + 1) + ")";
        sc.setJobDescription("train step " + (s + 1) + "/" + totalSteps);
        GradientSum sum;
        try {
            if (barrier != null) {
                flat = layout.flatten(params, flat); // encoded into the step's frames, not kept
            }
            sum = barrier != null ? barrier.gradient(s, epoch, from, to, flat,
                    spec.collectives ? ModelBuffers.flatten(model) : null)
                    : aggregate(decorator.decorate(s, new StepGradient(spec, broadcast, s, epoch, from, to)));
        } catch (Exception e) {
            throw TrainingException.unwrap(e, name + ": ");
        }
        if (sum.count != to - from || sum.grad == null) {
            throw new TrainingException(name + " gathered " + sum.count + " samples, expected " + (to - from)
                    + " (positions " + from + " to " + to + " of epoch " + (epoch + 1) + "): the cached data changed");
        }
        if (!devices.containsAll(sum.deviceSet())) {
            devices.addAll(sum.deviceSet());
            LOG.info(name + ": executor tasks computed on " + String.join("; ", sum.deviceSet()));
        }
        double loss = sum.loss / sum.count;
        if (!Double.isFinite(loss)) {
            throw new TrainingException("the loss is " + loss + " at " + name + "; stopped before the update, so the"
                    + " parameters are those after step " + s + lastCheckpointNote() + ". Lower the learning rate or check the data");
        }
        float[] mean = sum.grad;
        double count = sum.count;
        int bad = divide(mean, count) ? -1 : firstNonFinite(mean);
        if (bad >= 0) {
            throw new TrainingException("the gradient of " + layout.element(bad) + " is " + mean[bad] + " at " + name
                    + "; stopped before the update, so the parameters are those after step " + s + lastCheckpointNote());
        }
        if (settings.verifySteps().contains(s + 1)) {
            GradientCheck.verify(this, name, s, epoch, from, to, mean);
        }
        if (sum.buffers != null) {
            ModelBuffers.load(model, sum.buffers); // the replicas' running statistics, identical on every partition
        }
        for (int i = 0; i < params.size(); i++) {
            // views of the mean (no copy): the optimizer reads them before the next step reuses or drops the array
            params.get(i).setGrad(layout.part(mean, i));
        }
        optimizer.step();
        if (scheduler != null && (settings.schedulerPerStep() || (s + 1) % plan.stepsPerEpoch() == 0)) {
            scheduler.step();
        }
        history.add(loss);
        return loss;
    }

    /**
     * The step's gradient sum over all partitions. When treeAggregate would combine the partition sums on the driver
     * in one stage (its rule: depth 1, or no more than {@code scale + ceil(n / scale)} partitions for
     * {@code scale = max(ceil(n^(1/depth)), 2)}), runs that stage directly as one job and adds the sums in partition
     * order; Spark's treeAggregate would clean its lambdas (reading the RDD class's bytecode) several times per step.
     */
    private GradientSum aggregate(StepFunction seqOp) {
        int n = packed.blocks().getNumPartitions();
        int scale = Math.max((int) Math.ceil(Math.pow(n, 1.0 / settings.treeDepth())), 2);
        if (settings.treeDepth() > 1 && n > scale + (int) Math.ceil((double) n / scale)) {
            return packed.blocks().treeAggregate(new GradientSum(), seqOp, MERGE, settings.treeDepth());
        }
        Object[] parts = (Object[]) sc.sc().runJob(packed.blocks().rdd(), new PartitionGradient(seqOp), PARTIAL_SUMS);
        GradientSum sum = new GradientSum();
        for (Object part : parts) {
            sum.merge((GradientSum) part);
        }
        return sum;
    }

    /**
     * v[i] = (float) (v[i] / count): in float division while count is exact in a float, which gives the same floats
     * (double rounding is innocuous for division: 53 >= 2 * 24 + 2 bits); a small method of its own, so that the JIT
     * compiles and vectorizes its loop. Returns whether every quotient is finite, from the largest magnitude the same
     * loop keeps (a NaN makes it NaN), so that the finiteness check needs no pass of its own; count is at least 1.
     */
    static boolean divide(float[] v, double count) {
        float largest = 0;
        if (count < (1 << 24) && count == Math.rint(count)) {
            float c = (float) count;
            for (int i = 0; i < v.length; i++) {
                float q = v[i] / c;
                v[i] = q;
                largest = Math.max(largest, Math.abs(q));
            }
        } else {
            for (int i = 0; i < v.length; i++) {
                float q = (float) (v[i] / count);
                v[i] = q;
                largest = Math.max(largest, Math.abs(q));
            }
        }
        return largest <= Float.MAX_VALUE;
    }

    /** The index of v's first NaN or infinity, or -1. */
    static int firstNonFinite(float[] v) {
        for (int i = 0; i < v.length; i++) {
            if ((Float.floatToRawIntBits(v[i]) & 0x7f800000) == 0x7f800000) {
                return i;
            }
        }
        return -1;
    }

    private String lastCheckpointNote() {
        if (store == null) {
            return "";
        }
        return lastCheckpoint >= 0 ? "; the last checkpoint (step " + lastCheckpoint + ") stays in " + settings.checkpointDir()
                : "; no checkpoint was written in this run";
    }

    /** The model's parameters and buffers by name (what a checkpoint holds), detached. */
    private Map<String, Tensor> stateTensors() {
        Map<String, Tensor> values = new LinkedHashMap<>();
        model.namedParameters().forEach((k, v) -> values.put(k, v.detach()));
        model.namedBuffers().forEach((k, v) -> values.put(k, v.detach()));
        return values;
    }

    private void checkpoint(long stepsDone) {
        Map<String, Tensor> values = new LinkedHashMap<>();
        values.putAll(stateTensors());
        store.save(new TrainingState(stepsDone, stepsDone / plan.stepsPerEpoch(), settings.seed(), values, optimizer.stateDict(),
                List.copyOf(history), identity.fields()));
        lastCheckpoint = stepsDone;
    }

    /**
     * Applies {@link RunCheckpoints}' rules to the checkpoint directory and loads the checkpoint to resume from;
     * returns the steps it had done (0 when the run starts from the beginning).
     */
    private long restore() {
        if (store == null) {
            if (settings.resume()) {
                throw new IllegalStateException("resume needs a checkpoint directory: call checkpoint(dir, everySteps)");
            }
            return 0;
        }
        RunCheckpoints.Resume found = new RunCheckpoints(store, identity, settings.resume(), settings.startOver(),
                settings.adoptCheckpoint())
                .begin(stateTensors());
        if (found == null) {
            return 0;
        }
        TrainingState st = found.state();
        String where = "the checkpoint " + found.file() + " (step " + st.step() + ")";
        if (st.step() > totalSteps) {
            throw new TrainingException(where + " is past this run's last step " + totalSteps);
        }
        if (st.epoch() != st.step() / plan.stepsPerEpoch() || st.lossHistory().size() != st.step()) {
            throw new TrainingException(where + " says epoch " + st.epoch() + " with " + st.lossHistory().size()
                    + " losses; this run has " + plan.stepsPerEpoch() + " steps per epoch, which puts step " + st.step()
                    + " in epoch " + st.step() / plan.stepsPerEpoch() + ": the batch size or the data changed");
        }
        List<String> missing = new ArrayList<>(model.namedParameters().keySet());
        missing.removeAll(st.parameters().keySet());
        if (!missing.isEmpty()) {
            throw new TrainingException(where + " has no values for parameters " + missing);
        }
        model.loadStateDict(st.parameters(), false);
        if (scheduler != null) {
            long replays = settings.schedulerPerStep() ? st.step() : st.step() / plan.stepsPerEpoch();
            for (long i = 0; i < replays; i++) {
                scheduler.step();
            }
        }
        optimizer.loadStateDict(found.runLearningRate() ? RunCheckpoints.withLearningRate(st.optimizer(), optimizer)
                : st.optimizer());
        history.addAll(st.lossHistory());
        lastCheckpoint = st.step();
        LOG.info("resumed from " + where);
        return st.step();
    }

    // ---- for GradientCheck

    Module model() {
        return model;
    }

    ParameterLayout layout() {
        return layout;
    }

    TrainingData.Packed packed() {
        return packed;
    }

    StepSpec spec() {
        return spec;
    }

    TrainerSettings settings() {
        return settings;
    }

    static String format(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
