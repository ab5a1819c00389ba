package org.sparkgrad.spark.ml;

import org.apache.spark.ml.param.Param;

/** The classifier's and its model's params beyond {@link MlpParams}: the probability column. */
public interface MlpClassifierParams extends MlpParams {
    /** The column of class probabilities (an ML vector, in class index order) the model adds. Default "probability". */
    default Param<String> probabilityCol() {
        return new Param<>(this, "probabilityCol", "class probabilities column name (an ML vector)");
    }

    /** {@link #probabilityCol()}'s value. */
    default String getProbabilityCol() {
        return getOrDefault(probabilityCol());
    }
}
