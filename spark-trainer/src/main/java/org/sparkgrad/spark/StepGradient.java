package org.sparkgrad.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkgrad.engine.backend.CpuThreads;
import org.sparkgrad.engine.backend.DeviceOutOfMemoryError;
import org.sparkgrad.engine.nn.BatchContext.StatsReducer;

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
    private final long step;
    private final long epoch;
    private final long from;
    private final long to;
    /** A barrier task's statistics exchange and buffers; null in a per-step job. */
    private final transient Exchange exchange;

    /**
     * What a barrier task's step adds for a model with batch norm: the reducer its replica's scope gets, the driver's
     * buffers to load before the step and, after it, the buffers of the replica that ran the partition's rows.
     */
    static final class Exchange {
        final StatsReducer reducer;
        final double[] buffersIn;
        double[] buffersOut;

        Exchange(StatsReducer reducer, double[] buffersIn) {
            this.reducer = reducer;
            this.buffersIn = buffersIn;
        }
    }

    /** The seqOp of global step (0-based), which takes positions {@code [from, to)} of epoch's order. */
    StepGradient(StepSpec spec, Broadcast<float[]> parameters, long step, long epoch, long from, long to) {
        this(spec, parameters, 0, null, step, epoch, from, to, null);
    }

    /**
     * The seqOp of a step in a barrier task, on the parameters the driver sent; valuesId names them for the replicas
     * (a replica that has loaded that id keeps its values), so it must differ from every broadcast's id (negative).
     */
    StepGradient(StepSpec spec, long valuesId, float[] values, long step, long epoch, long from, long to,
            Exchange exchange) {
        this(spec, null, valuesId, values, step, epoch, from, to, exchange);
    }

    private StepGradient(StepSpec spec, Broadcast<float[]> parameters, long valuesId, float[] values, long step,
            long epoch, long from, long to, Exchange exchange) {
        this.spec = spec;
        this.parameters = parameters;
        this.valuesId = valuesId;
        this.values = values;
        this.step = step;
        this.epoch = epoch;
        this.from = from;
        this.to = to;
        this.exchange = exchange;
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
                    () -> ModelReplica.build(spec, device.device()));
            if (parameters != null) {
                replica.load(parameters.id(), parameters.value());
            } else {
                replica.load(valuesId, values);
            }
            int[] order = schedule.rows();
            if (exchange != null) {
                replica.loadBuffers(exchange.buffersIn);
            }
            // with batch norm, a partition's share is one micro-batch, so every replica all-reduces equally often
            replica.accumulate(block.features, block.labels, order, spec.keys(block, order, lo, hi), lo, hi, step,
                    spec.collectives ? hi - lo : spec.microBatch, exchange != null ? exchange.reducer
                            : StatsReducers.REFUSE, sum);
            if (exchange != null) {
                exchange.buffersOut = replica.buffers();
            }
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
