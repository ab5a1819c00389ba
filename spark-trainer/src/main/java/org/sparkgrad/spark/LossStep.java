package org.sparkgrad.spark;

import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.Module;

/**
 * The step of a trainer built with a loss: {@code loss(model(features), labels)} over the batch's
 * {@code "features"} and {@code "labels"}. The loss is made by its factory once per deserialized copy.
 */
final class LossStep implements TrainStep {
    private static final long serialVersionUID = 1L;

    private final SerializableSupplier<Loss> lossFactory;
    private transient Loss loss;

    LossStep(SerializableSupplier<Loss> lossFactory) {
        this.lossFactory = lossFactory;
    }

    @Override
    public Tensor loss(Module model, TensorBatch batch) {
        if (loss == null) {
            loss = lossFactory.get();
        }
        return loss.forward(model.call(batch.get("features")), batch.get("labels"));
    }
}
