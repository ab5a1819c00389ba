package org.sparkgrad.spark.ml;

import java.util.List;
import org.sparkgrad.spark.TrainingResult;

/**
 * What a fit reported: the trainer's result (loss per step, steps per epoch, rows, devices) and, when a validation
 * indicator column was set, the model's metrics on the validation rows after each epoch.
 *
 * @param training the DataParallelTrainer's result
 * @param validation the validation metrics after epoch 1, 2, ... (empty without validation rows)
 * @param droppedRows training rows dropped as invalid (with dropInvalid)
 */
public record MlpTrainingSummary(TrainingResult training, List<MlpMetrics> validation, long droppedRows) {
    /** Makes the list unmodifiable. */
    public MlpTrainingSummary {
        validation = List.copyOf(validation);
    }

    /** The validation metrics per epoch as CSV: {@code epoch,accuracy,log_loss} or {@code epoch,rmse,r2}. */
    public String validationCsv() {
        StringBuilder sb = new StringBuilder("epoch,");
        sb.append(validation.isEmpty() ? "metric" : validation.get(0).csvHeader()).append('\n');
        for (int i = 0; i < validation.size(); i++) {
            sb.append(i + 1).append(',').append(validation.get(i).csvValues()).append('\n');
        }
        return sb.toString();
    }
}
