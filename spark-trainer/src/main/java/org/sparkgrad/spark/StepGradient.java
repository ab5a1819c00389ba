package org.sparkgrad.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkgrad.engine.backend.CpuThreads;
import org.sparkgrad.engine.backend.DeviceOutOfMemoryError;

/**
 * treeAggregate's seqOp for one global step: adds a block's share of the step (the block rows whose
 * positions in the epoch's order fall in {@code [from, to)}) to the partition's {@link GradientSum}, on a
 * model replica that holds the broadcast parameters.
 */
final class StepGradient implements StepFunction {
    private static final long serialVersionUID = 1L;

    private final StepSpec spec;
    /** The step's parameters in a per-step job; null in a barrier task, which has them as values. */
    private final Broadcast<float[]> parameters;
    private final long valuesId;
    private final float[] values;
    private final long epoch;
    private final long from;
    private final long to;

    /** The seqOp of the global step that takes positions {@code [from, to)} of epoch's order. */
    StepGradient(StepSpec spec, Broadcast<float[]> parameters, long epoch, long from, long to) {
        this(spec, parameters, 0, null, epoch, from, to);
    }

    /**
     * The seqOp of a step in a barrier task, on the parameters the driver sent; valuesId names them for the replicas
     * (a replica that has loaded that id keeps its values), so it must differ from every broadcast's id (negative).
     */
    StepGradient(StepSpec spec, long valuesId, float[] values, long epoch, long from, long to) {
        this(spec, null, valuesId, values, epoch, from, to);
    }

    private StepGradient(StepSpec spec, Broadcast<float[]> parameters, long valuesId, float[] values, long epoch,
            long from, long to) {
        this.spec = spec;
        this.parameters = parameters;
        this.valuesId = valuesId;
        this.values = values;
        this.epoch = epoch;
        this.from = from;
        this.to = to;
    }

    @Override
    public GradientSum call(GradientSum sum, DataBlock block) {
        if (block.rows == 0) {
            return sum;
        }
        BlockSchedule schedule = spec.schedule(block, epoch);
        int lo = schedule.lowerBound(from);
        int hi = schedule.lowerBound(to);
        if (lo == hi) {
            return sum;
        }
        ModelReplica replica;
        String cacheKey;
        try {
            // The engine's CPU loops use this task's spark.task.cpus, not every core of the executor.
            CpuThreads.limitForCurrentThread(taskCpus(TaskContext.get()));
            DeviceChoice.TaskDevice device = spec.device.select(gpuAddresses(TaskContext.get()));
            cacheKey = spec.runId + "@" + device.device();
            replica = ExecutorCache.borrow(cacheKey,
                    () -> ModelReplica.build(spec.modelFactory, spec.lossFactory, spec.layout, device.device()));
            if (parameters != null) {
                replica.load(parameters.id(), parameters.value());
            } else {
                replica.load(valuesId, values);
            }
            replica.accumulate(block.features, block.labels, block.featureDim, block.labelDim, schedule.rows(), lo, hi,
                    spec.microBatch, spec.classLabels, sum);
            sum.addDevice(device.description());
        } catch (TrainingException e) {
            throw new TrainingException("partition " + block.partition + ": " + e.getMessage(), e);
        } catch (DeviceOutOfMemoryError e) {
            // outside a micro-batch: moving the model or its parameters to the device, or reading gradients back
            throw new TrainingException("partition " + block.partition + ": " + e.getMessage()
                    + "; the model does not fit next to what else uses the device: free it, or use device(\"cpu\")", e);
        }
        ExecutorCache.release(cacheKey, replica);
        return sum;
    }

    /** The GPU addresses Spark assigned to the running task (none outside a task or without GPU scheduling). */
    /** The cores Spark gave the task (spark.task.cpus), 1 outside a task. */
    static int taskCpus(TaskContext tc) {
        return tc == null ? 1 : Math.max(1, tc.cpus());
    }

    static String[] gpuAddresses(TaskContext tc) {
        if (tc == null) {
            return new String[0];
        }
        scala.Option<org.apache.spark.resource.ResourceInformation> gpu = tc.resources().get("gpu");
        return gpu.isDefined() ? gpu.get().addresses() : new String[0];
    }
}
