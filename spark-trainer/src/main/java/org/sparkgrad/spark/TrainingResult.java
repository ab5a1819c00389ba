package org.sparkgrad.spark;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Module;

/**
 * What {@link DataParallelTrainer#fit} returns.
 *
 * @param model the driver's model with the final parameters
 * @param parameters the final parameters by name (copies, in namedParameters() order)
 * @param lossHistory the mean loss of every step, from step 1 (including steps before a resume)
 * @param steps the optimizer steps done in all (including those before a resume)
 * @param stepsPerEpoch global batches per epoch
 * @param rows the number of training rows N
 * @param droppedRows malformed rows dropped while packing
 * @param resumedFromStep the checkpoint step the run continued from (0 when it started fresh)
 * @param seconds wall time of this fit call
 * @param devices what the executor tasks computed on in this call, e.g. {@code cuda:1 (Spark GPU address 1)},
 *     or {@code cpu, because cuda:0 is not usable: <reason>} (sorted)
 * @param validationLoss the mean validation loss after each epoch this fit call ended, in order (empty without
 *     {@code validation(...)}); for a run from step 0, element i is epoch i + 1's
 * @param bestEpoch the 1-based epoch with the lowest validation loss (0 without validation)
 * @param stoppedEarly whether early stopping ended the run before its last step
 */
public record TrainingResult(Module model, Map<String, Tensor> parameters, List<Double> lossHistory, long steps,
        long stepsPerEpoch, long rows, long droppedRows, long resumedFromStep, double seconds,
        java.util.SortedSet<String> devices, List<Double> validationLoss, long bestEpoch, boolean stoppedEarly) {
    /** Makes the collections unmodifiable. */
    public TrainingResult {
        validationLoss = List.copyOf(validationLoss);
        parameters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(parameters));
        lossHistory = List.copyOf(lossHistory);
        devices = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(devices));
    }

    /** A result without validation. */
    public TrainingResult(Module model, Map<String, Tensor> parameters, List<Double> lossHistory, long steps,
            long stepsPerEpoch, long rows, long droppedRows, long resumedFromStep, double seconds,
            java.util.SortedSet<String> devices) {
        this(model, parameters, lossHistory, steps, stepsPerEpoch, rows, droppedRows, resumedFromStep, seconds, devices,
                List.of(), 0, false);
    }

    /** The final value of one parameter, e.g. {@code "0.weight"}. */
    public Tensor parameter(String name) {
        Tensor t = parameters.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no parameter '" + name + "'; the model has " + parameters.keySet());
        }
        return t;
    }

    /** The loss history as CSV: a header {@code step,epoch,loss}, then one line per step (both 1-based). */
    public String lossCsv() {
        StringBuilder sb = new StringBuilder("step,epoch,loss\n");
        for (int i = 0; i < lossHistory.size(); i++) {
            sb.append(i + 1).append(',').append(i / stepsPerEpoch + 1).append(',')
                    .append(String.format(Locale.ROOT, "%.9g", lossHistory.get(i))).append('\n');
        }
        return sb.toString();
    }
}
