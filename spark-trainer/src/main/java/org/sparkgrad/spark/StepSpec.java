package org.sparkgrad.spark;

import java.io.Serializable;
import org.apache.spark.broadcast.Broadcast;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.Module;

/**
 * What every task of a run needs to find its rows of a global step (shipped in the task closure; small):
 * the data's identity and offsets, the permutation key, the model and loss factories, the layout and the device choice.
 */
final class StepSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    final String runId;
    final String dataId;
    final Broadcast<long[]> offsets;
    final long rows;
    final long seed;
    final SerializableSupplier<Module> modelFactory;
    final SerializableSupplier<Loss> lossFactory;
    final ParameterLayout layout;
    final int microBatch;
    final boolean classLabels;
    final DeviceChoice device;

    StepSpec(String runId, TrainingData.Packed data, long seed, SerializableSupplier<Module> modelFactory,
            SerializableSupplier<Loss> lossFactory, ParameterLayout layout, int microBatch, boolean classLabels,
            DeviceChoice device) {
        this.runId = runId;
        this.dataId = data.id();
        this.offsets = data.offsets();
        this.rows = data.rows();
        this.seed = seed;
        this.modelFactory = modelFactory;
        this.lossFactory = lossFactory;
        this.layout = layout;
        this.microBatch = microBatch;
        this.classLabels = classLabels;
        this.device = device;
    }

    /** The block's schedule for an epoch (cached in the executor JVM). */
    BlockSchedule schedule(DataBlock block, long epoch) {
        long firstGlobal = offsets.value()[block.partition] + block.firstRow;
        return ExecutorCache.schedule(dataId, block, firstGlobal, rows, seed, epoch);
    }
}
