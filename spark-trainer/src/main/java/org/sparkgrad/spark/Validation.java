package org.sparkgrad.spark;

import java.util.Objects;

/**
 * What a run validates on and when it stops: the validation rows, and {@code patience} epochs without an
 * improvement of more than {@code minDelta} before stopping (0: never stop early, only record the loss).
 *
 * @param restoreBest whether the model ends with the parameters of the best epoch (Keras' restore_best_weights)
 *     instead of the last epoch's (PyTorch Lightning's EarlyStopping, the default)
 */
record Validation(TrainingData data, int patience, double minDelta, boolean restoreBest) {
    /** Requires the data; patience and minDelta are checked by the builder. */
    Validation {
        Objects.requireNonNull(data, "validation data");
    }

    /** Whether the run may stop before its last step. */
    boolean stopsEarly() {
        return patience > 0;
    }
}
