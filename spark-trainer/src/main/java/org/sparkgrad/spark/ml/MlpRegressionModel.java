package org.sparkgrad.spark.ml;

import java.util.Arrays;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.sparkgrad.engine.Tensor;

/** A fitted {@link MlpRegressor}: adds the predicted value (a double), computed on the executors. */
public final class MlpRegressionModel extends MlpModel<MlpRegressionModel> {
    private static final long serialVersionUID = 1L;

    MlpRegressionModel(String uid, MlpModelContent content) {
        super(uid, content);
    }

    /** The prediction field. */
    static StructField[] fields(String prediction) {
        return new StructField[] {new StructField(prediction, DataTypes.DoubleType, true, Metadata.empty())};
    }

    @Override
    StructField[] outputFields() {
        return fields(getPredictionCol());
    }

    @Override
    MlpHead head() {
        return new Head();
    }

    @Override
    MlpMetrics metrics(Dataset<Row> scored) {
        return MlpMetrics.regression(scored, getLabelCol(), getPredictionCol());
    }

    @Override
    MlpRegressionModel newInstance(String uid, MlpModelContent content) {
        return new MlpRegressionModel(uid, content);
    }

    /** Reads a model saved with {@code write().save(path)} (a Pipeline's stages are read this way). */
    public static MLReader<MlpRegressionModel> read() {
        return new MlpModelIO.Reader<>(MlpRegressionModel.class, MlpRegressionModel::new);
    }

    /** {@code read().load(path)}. */
    public static MlpRegressionModel load(String path) {
        return read().load(path);
    }

    /** The network's one output is the prediction. */
    private record Head() implements MlpHead {
        @Override
        public Tensor finish(Tensor outputs) {
            return outputs;
        }

        @Override
        public Object[] values(float[] out, int offset, int width) {
            return new Object[] {(double) out[offset]};
        }
    }

    @Override
    public String toString() {
        return "MlpRegressionModel(uid=" + uid() + ", layers=" + Arrays.toString(layerSizes()) + ")";
    }
}
