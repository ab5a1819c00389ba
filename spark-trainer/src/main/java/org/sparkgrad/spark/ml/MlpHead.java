package org.sparkgrad.spark.ml;

import java.io.Serializable;
import org.sparkgrad.engine.Tensor;

/** How a model turns the network's outputs for a batch of rows into its output columns' values. */
interface MlpHead extends Serializable {
    /** The batch's outputs [rows, outputs] as the columns need them (e.g. softmax probabilities). */
    Tensor finish(Tensor outputs);

    /** The output columns' values for one row, from its {@code width} finished values at {@code offset}. */
    Object[] values(float[] finished, int offset, int width);
}
