package org.sparkgrad.spark.ml;

import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.spark.SerializableSupplier;

/**
 * A multilayer perceptron regressor trained data-parallel on Spark by the sparkgrad engine: one linear output, mean
 * squared error, a numeric label. Works in a Pipeline after VectorAssembler and StandardScaler.
 */
public final class MlpRegressor extends MlpEstimator<MlpRegressor, MlpRegressionModel> {
    private static final long serialVersionUID = 1L;

    /** A regressor with a random uid. */
    public MlpRegressor() {
        this(Identifiable.randomUID("mlpr"));
    }

    /** A regressor with the given uid (Spark ML's copy and load use this). */
    public MlpRegressor(String uid) {
        super(uid);
    }

    @Override
    String task() {
        return "regression";
    }

    @Override
    LabelMapping labels(Dataset<Row> training) {
        return null;
    }

    @Override
    Column target(LabelMapping labels) {
        return functions.col(getLabelCol()).cast(DataTypes.FloatType);
    }

    @Override
    SerializableSupplier<Loss> loss() {
        return () -> new MSELoss(Reduction.SUM);
    }

    @Override
    void checkLabel(StructType schema) {
        StructField f = schema.apply(getLabelCol());
        if (!(f.dataType() instanceof NumericType)) {
            throw new IllegalArgumentException("label column '" + f.name() + "' has type " + f.dataType().simpleString()
                    + "; a regressor's label is a number");
        }
    }

    @Override
    StructField[] outputFields(StructType schema) {
        return MlpRegressionModel.fields(getPredictionCol());
    }

    @Override
    MlpRegressionModel newModel(String uid, MlpModelContent content) {
        return new MlpRegressionModel(uid, content);
    }

    /** Reads a regressor's params saved with {@code write().save(path)}. */
    public static MLReader<MlpRegressor> read() {
        return new DefaultParamsReader<>();
    }

    /** {@code read().load(path)}. */
    public static MlpRegressor load(String path) {
        return read().load(path);
    }
}
