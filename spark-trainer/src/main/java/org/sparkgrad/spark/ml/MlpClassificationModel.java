package org.sparkgrad.spark.ml;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.sparkgrad.engine.Tensor;

/**
 * A fitted {@link MlpClassifier}: adds the predicted label (a double for numeric labels, a string for string labels)
 * and the class probabilities (an ML vector in {@link #classes()} order), computed on the executors.
 */
public final class MlpClassificationModel extends MlpModel<MlpClassificationModel> implements MlpClassifierParams {
    private static final long serialVersionUID = 1L;

    MlpClassificationModel(String uid, MlpModelContent content) {
        super(uid, content);
        setDefault(probabilityCol(), "probability");
    }

    /** The classes' labels in class index (probability vector) order, as text. */
    public List<String> classes() {
        return List.of(content().labels().labels());
    }

    /** Whether the labels are numeric (predicted as doubles) rather than strings. */
    public boolean numericLabels() {
        return content().labels().numeric();
    }

    /** Sets {@link #probabilityCol()}. */
    public MlpClassificationModel setProbabilityCol(String v) {
        set(probabilityCol(), v);
        return this;
    }

    /** The prediction and probability fields. */
    static StructField[] fields(String prediction, DataType type, String probability) {
        return new StructField[] {new StructField(prediction, type, true, org.apache.spark.sql.types.Metadata.empty()),
            new StructField(probability, SQLDataTypes.VectorType(), true, org.apache.spark.sql.types.Metadata.empty())};
    }

    @Override
    StructField[] outputFields() {
        return fields(getPredictionCol(), content().labels().type(), getProbabilityCol());
    }

    @Override
    MlpHead head() {
        return new Head(content().labels());
    }

    @Override
    MlpMetrics metrics(Dataset<Row> scored) {
        return MlpMetrics.classification(scored, getLabelCol(), getPredictionCol(), getProbabilityCol(),
                content().labels());
    }

    @Override
    MlpClassificationModel newInstance(String uid, MlpModelContent content) {
        return new MlpClassificationModel(uid, content);
    }

    /** Reads a model saved with {@code write().save(path)} (a Pipeline's stages are read this way). */
    public static MLReader<MlpClassificationModel> read() {
        return new MlpModelIO.Reader<>(MlpClassificationModel.class, MlpClassificationModel::new);
    }

    /** {@code read().load(path)}. */
    public static MlpClassificationModel load(String path) {
        return read().load(path);
    }

    /** Softmax probabilities; the prediction is the most probable class's label. */
    private record Head(LabelMapping labels) implements MlpHead {
        @Override
        public Tensor finish(Tensor outputs) {
            return outputs.softmax(1);
        }

        @Override
        public Object[] values(float[] p, int offset, int width) {
            double[] probs = new double[width];
            int best = 0;
            for (int k = 0; k < width; k++) {
                probs[k] = p[offset + k];
                if (probs[k] > probs[best]) {
                    best = k;
                }
            }
            return new Object[] {labels.value(best), Vectors.dense(probs)};
        }
    }

    @Override
    public String toString() {
        return "MlpClassificationModel(uid=" + uid() + ", layers=" + Arrays.toString(layerSizes()) + ", classes="
                + classes() + ")";
    }
}
