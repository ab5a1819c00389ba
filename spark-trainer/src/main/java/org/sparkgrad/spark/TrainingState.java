package org.sparkgrad.spark;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.optim.OptimizerState;

/**
 * Everything needed to continue a training run where it stopped: what {@link CheckpointStore} writes and
 * reads. Together with the same model factory, data and settings, resuming from a state ends with the
 * parameters of an uninterrupted run.
 *
 * <p>The record holds the given tensors themselves (the maps and the list are copied, the tensors are
 * not): a state built from a live model and {@code optimizer.stateDict()} shows their current values,
 * which is what {@link CheckpointStore#save} writes at the moment it is called. Clone the tensors to keep
 * a snapshot in memory.
 *
 * <pre>{@code
 * store.save(new TrainingState(step, epoch, seed, model.stateDict(), optimizer.stateDict(), losses));
 * store.loadLatestValid().ifPresent(s -> {
 *     model.loadStateDict(s.parameters());
 *     optimizer.loadStateDict(s.optimizer());
 * });
 * }</pre>
 *
 * @param step optimizer steps done so far (0 before the first step)
 * @param epoch the epoch the next step belongs to (or the epochs completed: the trainer's convention)
 * @param dataSeed the seed of the data order, so global batches after a resume are the same
 * @param parameters the model's tensors by name ({@code module.namedParameters()} or {@code stateDict()}),
 *        in the module's order
 * @param optimizer the optimizer's state ({@code optimizer.stateDict()})
 * @param lossHistory the loss of every step so far, oldest first
 * @param run the identity of the run that wrote the state (model layout, data fingerprint, seed, batch plan,
 *        optimizer and hyper-parameters, as text by key; the trainer fills it), empty when unknown
 */
public record TrainingState(long step, long epoch, long dataSeed, Map<String, Tensor> parameters,
        OptimizerState optimizer, List<Double> lossHistory, Map<String, String> run) {

    /** A state with no run identity. */
    public TrainingState(long step, long epoch, long dataSeed, Map<String, Tensor> parameters, OptimizerState optimizer,
            List<Double> lossHistory) {
        this(step, epoch, dataSeed, parameters, optimizer, lossHistory, Map.of());
    }

    /**
     * Checks the arguments and copies the map and the list into unmodifiable ones, keeping their order.
     *
     * @throws IllegalArgumentException for a negative step or epoch, a null or empty parameter map, a null
     *         or empty name, a null tensor, a null optimizer state, a null loss list or element, or a null run
     *         map, key or value
     */
    public TrainingState {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        if (parameters == null || parameters.isEmpty()) {
            throw new IllegalArgumentException("a training state needs the model's parameters, got "
                    + (parameters == null ? "null" : "an empty map"));
        }
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty()) {
                throw new IllegalArgumentException("parameter names can't be null or empty, got "
                        + (e.getKey() == null ? "null" : "\"\""));
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("parameter \"" + e.getKey() + "\" is null");
            }
            params.put(e.getKey(), e.getValue());
        }
        parameters = Collections.unmodifiableMap(params);
        if (optimizer == null) {
            throw new IllegalArgumentException("a training state needs the optimizer's state (optimizer.stateDict()), got null");
        }
        if (lossHistory == null) {
            throw new IllegalArgumentException("lossHistory is null (use an empty list before the first step)");
        }
        for (int i = 0; i < lossHistory.size(); i++) {
            if (lossHistory.get(i) == null) {
                throw new IllegalArgumentException("lossHistory has null at index " + i);
            }
        }
        lossHistory = List.copyOf(lossHistory);
        if (run == null) {
            throw new IllegalArgumentException("run is null (use an empty map when the run's identity is unknown)");
        }
        Map<String, String> identity = new LinkedHashMap<>();
        run.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("the run identity has a null key or value: " + k + "=" + v);
            }
            identity.put(k, v);
        });
        run = Collections.unmodifiableMap(identity);
    }
}
