package org.sparkgrad.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.sparkgrad.engine.backend.DeviceOutOfMemoryError;

/**
 * treeAggregate's seqOp for one global step: adds a block's share of the step (the block rows whose
 * positions in the epoch's order fall in {@code [from, to)}) to the partition's {@link GradientSum}, on a
 * model replica that holds the broadcast parameters.
 */
final class StepGradient implements Function2<GradientSum, DataBlock, GradientSum> {
    private static final long serialVersionUID = 1L;

    private final StepSpec spec;
    private final Broadcast<float[]> parameters;
    private final long step;
    private final long epoch;
    private final long from;
    private final long to;
    private final int failPartition;

    /**
     * @param step the 0-based global step (for messages and the test hook)
     * @param failPartition test hook: the first attempt of this partition's task fails (-1: never)
     */
    StepGradient(StepSpec spec, Broadcast<float[]> parameters, long step, long epoch, long from, long to,
            int failPartition) {
        this.spec = spec;
        this.parameters = parameters;
        this.step = step;
        this.epoch = epoch;
        this.from = from;
        this.to = to;
        this.failPartition = failPartition;
    }

    @Override
    public GradientSum call(GradientSum sum, DataBlock block) {
        if (failPartition >= 0) {
            TaskContext tc = TaskContext.get();
            if (tc != null && tc.partitionId() == failPartition && tc.attemptNumber() == 0) {
                throw new IllegalStateException("injected failure: first attempt of partition " + failPartition
                        + " in step " + (step + 1));
            }
        }
        return add(sum, block, parameters.id(), parameters::value);
    }

    /**
     * Adds the block's share of the step to sum on a replica that holds the parameters {@code values} (identified by
     * {@code parametersId}: a replica that has loaded that id already keeps its values).
     */
    GradientSum add(GradientSum sum, DataBlock block, long parametersId, java.util.function.Supplier<float[]> values) {
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
            DeviceChoice.TaskDevice device = spec.device.select(gpuAddresses(TaskContext.get()));
            cacheKey = spec.runId + "@" + device.device();
            replica = ExecutorCache.borrow(cacheKey,
                    () -> ModelReplica.build(spec.modelFactory, spec.lossFactory, spec.layout, device.device()));
            replica.load(parametersId, values.get());
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
    static String[] gpuAddresses(TaskContext tc) {
        if (tc == null) {
            return new String[0];
        }
        scala.Option<org.apache.spark.resource.ResourceInformation> gpu = tc.resources().get("gpu");
        return gpu.isDefined() ? gpu.get().addresses() : new String[0];
    }
}
