package org.sparkgrad.spark;

import java.io.Serializable;
import org.apache.spark.broadcast.Broadcast;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Module;

/**
 * What every task of a run needs to find its rows of a global step (shipped in the task closure; small):
 * the data's identity and offsets, the permutation key, the model factory, the training step and its reduction, the
 * rows' batch layout, the parameter layout and the device choice.
 */
final class StepSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    final String runId;
    final String dataId;
    final Broadcast<long[]> offsets;
    final long rows;
    final long seed;
    final SerializableSupplier<Module> modelFactory;
    final TrainStep step;
    final Reduction reduction;
    final BatchSpec batches;
    final ParameterLayout layout;
    final int microBatch;
    final DeviceChoice device;
    /**
     * Whether the model has batch norm: its replicas all-reduce statistics through the driver and exchange buffers
     * with it (barrier stages only), each task running its share of a step as one micro-batch.
     */
    final boolean collectives;

    StepSpec(String runId, TrainingData.Packed data, long seed, SerializableSupplier<Module> modelFactory,
            TrainStep step, Reduction reduction, BatchSpec batches, ParameterLayout layout, int microBatch,
            DeviceChoice device, boolean collectives) {
        this.runId = runId;
        this.dataId = data.id();
        this.offsets = data.offsets();
        this.rows = data.rows();
        this.seed = seed;
        this.modelFactory = modelFactory;
        this.step = step;
        this.reduction = reduction;
        this.batches = batches;
        this.layout = layout;
        this.microBatch = microBatch;
        this.device = device;
        this.collectives = collectives;
    }

    /** The global row index of each row {@code order[lo..hi)} of the block. */
    long[] keys(DataBlock block, int[] order, int lo, int hi) {
        long first = offsets.value()[block.partition] + block.firstRow;
        long[] k = new long[hi - lo];
        for (int i = lo; i < hi; i++) {
            k[i - lo] = first + order[i];
        }
        return k;
    }

    /** The block's schedule for an epoch (cached in the executor JVM). */
    BlockSchedule schedule(DataBlock block, long epoch) {
        long firstGlobal = offsets.value()[block.partition] + block.firstRow;
        return ExecutorCache.schedule(dataId, block, firstGlobal, rows, seed, epoch);
    }
}
