package org.sparkgrad.spark;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.optim.LRScheduler;
import org.sparkgrad.engine.optim.Optimizer;

/**
 * A {@link DataParallelTrainer}'s configuration as {@code fit} found it: the run reads only this copy, so changing
 * the builder during a run (from a listener, another thread, or the next fit) does not change the run. The builder's
 * setters check each value; see them for the meaning of each field.
 *
 * @param schedulerFactory null for no scheduler
 * @param steps 0 to train {@code epochs} epochs
 * @param checkpointDir null for no checkpoints
 * @param verifySteps the 1-based steps whose gradient the driver recomputes (unmodifiable)
 * @param listener null for none
 * @param validation null for no validation
 * @param initialWeights the URI of a safetensors file of initial parameters, or null
 */
record TrainerSettings(
        SerializableSupplier<Module> modelFactory,
        SerializableSupplier<Loss> lossFactory,
        SerializableFunction<Map<String, Parameter>, Optimizer> optimizerFactory,
        SerializableFunction<Optimizer, LRScheduler> schedulerFactory,
        boolean schedulerPerStep,
        int batchSize,
        int epochs,
        long steps,
        long seed,
        boolean dropLast,
        int microBatchSize,
        int treeDepth,
        String checkpointDir,
        int checkpointEvery,
        boolean resume,
        boolean startOver,
        Set<Long> verifySteps,
        double gradientTolerance,
        int logEvery,
        boolean classLabels,
        StepListener listener,
        DeviceChoice device,
        StepMode stepMode,
        long stepTimeoutMillis,
        long shardAbove,
        Validation validation,
        String initialWeights) {

    /** Requires the factories, the device and a batch size; copies the verify steps. */
    TrainerSettings {
        Objects.requireNonNull(modelFactory, "modelFactory");
        Objects.requireNonNull(lossFactory, "lossFactory");
        Objects.requireNonNull(optimizerFactory, "optimizerFactory");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(stepMode, "stepMode");
        if (batchSize <= 0) {
            throw new IllegalStateException("set the global batch size with batchSize(B) before fit");
        }
        verifySteps = Set.copyOf(verifySteps);
    }
}
