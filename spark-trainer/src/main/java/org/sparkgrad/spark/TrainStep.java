package org.sparkgrad.spark;

import java.io.Serializable;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Module;

/**
 * A training step's loss: the model applied to a micro-batch, reduced to one number, e.g.
 *
 * <pre>{@code
 * TrainStep step = (model, batch) -> F.crossEntropy(model.call(batch.get("image")), batch.get("label"));
 * }</pre>
 *
 * The trainer runs backward on it; whether it is the mean or the sum over the micro-batch's rows is declared with
 * the trainer ({@link DataParallelTrainer#forStep}). It ships to every executor (so it must be serializable, as a
 * lambda assigned to this type is) and runs on the executor's model replica, on that replica's device.
 */
@FunctionalInterface
public interface TrainStep extends Serializable {
    /** The loss of the batch: a tensor of one element that backward starts from. */
    Tensor loss(Module model, TensorBatch batch);
}
