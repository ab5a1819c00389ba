package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Module;

/**
 * One run's early-stopping state, as PyTorch Lightning's {@code EarlyStopping(monitor="val_loss", mode="min")}: an
 * epoch improves when its validation loss is below the best so far by more than minDelta; after {@code patience}
 * epochs in a row without improvement (or at a loss that is not finite) the run stops. With restoreBest it keeps a
 * copy of the best epoch's parameters to put back at the end (Keras' {@code restore_best_weights}). Without
 * patience it only records the losses and the best epoch.
 */
final class EarlyStopping {
    private final Validation config;
    private final List<Double> history = new ArrayList<>();
    private double best = Double.POSITIVE_INFINITY;
    private long bestEpoch;
    private int wait;
    private Map<String, Tensor> bestParameters;

    EarlyStopping(Validation config) {
        this.config = config;
    }

    /** Records the validation loss after epoch (1-based); returns whether training should stop. */
    boolean update(long epoch, double loss, Module model) {
        history.add(loss);
        if (!Double.isFinite(loss)) {
            return config.stopsEarly();
        }
        if (loss < best - config.minDelta()) {
            best = loss;
            bestEpoch = epoch;
            wait = 0;
            if (config.restoreBest()) {
                bestParameters = new LinkedHashMap<>();
                // parameters and buffers (batch norm's running statistics belong to the epoch as much as its weights)
                model.stateDict().forEach((k, v) -> bestParameters.put(k, v.detach().clone()));
            }
            return false;
        }
        wait++;
        return config.stopsEarly() && wait >= config.patience();
    }

    /** The 1-based epoch with the lowest validation loss (0 before any finite one). */
    long bestEpoch() {
        return bestEpoch;
    }

    double best() {
        return best;
    }

    /** The validation losses recorded, one per epoch, in order. */
    List<Double> history() {
        return history;
    }

    /** Puts the best epoch's parameters and buffers back into model, when restoreBest and there was a best epoch. */
    boolean restoreInto(Module model) {
        if (!config.restoreBest() || bestParameters == null) {
            return false;
        }
        model.loadStateDict(bestParameters, false);
        return true;
    }
}
