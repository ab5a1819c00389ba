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
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkgrad.engine.nn.CrossEntropyLoss;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.spark.SerializableSupplier;

/**
 * A multilayer perceptron classifier trained data-parallel on Spark by the sparkgrad engine: softmax outputs, cross
 * entropy, labels numeric or strings (the distinct labels of the training rows, sorted, become class indices; the
 * model predicts the original labels). Works in a Pipeline after VectorAssembler and StandardScaler.
 *
 * <pre>{@code
 * MlpClassifier mlp = new MlpClassifier().setHiddenLayers(16).setEpochs(200).setBatchSize(16).setLr(0.01);
 * PipelineModel m = new Pipeline().setStages(new PipelineStage[] {assembler, mlp}).fit(train);
 * m.transform(test).select("prediction", "probability").show();
 * }</pre>
 */
public final class MlpClassifier extends MlpEstimator<MlpClassifier, MlpClassificationModel>
        implements MlpClassifierParams {
    private static final long serialVersionUID = 1L;

    /** A classifier with a random uid. */
    public MlpClassifier() {
        this(Identifiable.randomUID("mlpc"));
    }

    /** A classifier with the given uid (Spark ML's copy and load use this). */
    public MlpClassifier(String uid) {
        super(uid);
        setDefault(probabilityCol(), "probability");
    }

    /** Sets {@link #probabilityCol()}. */
    public MlpClassifier setProbabilityCol(String v) {
        set(probabilityCol(), v);
        return this;
    }

    @Override
    String task() {
        return "classification";
    }

    @Override
    LabelMapping labels(Dataset<Row> training) {
        return LabelMapping.of(training, getLabelCol());
    }

    @Override
    Column target(LabelMapping labels) {
        return labels.indexOf(functions.col(getLabelCol()));
    }

    @Override
    SerializableSupplier<Loss> loss() {
        return () -> new CrossEntropyLoss(Reduction.SUM);
    }

    @Override
    void checkLabel(StructType schema) {
        StructField f = schema.apply(getLabelCol());
        if (!(f.dataType() instanceof NumericType) && !(f.dataType() instanceof StringType)) {
            throw new IllegalArgumentException("label column '" + f.name() + "' has type " + f.dataType().simpleString()
                    + "; a classifier's labels are numbers or strings");
        }
    }

    @Override
    StructField[] outputFields(StructType schema) {
        boolean numeric = schema.apply(getLabelCol()).dataType() instanceof NumericType;
        return MlpClassificationModel.fields(getPredictionCol(), numeric ? DataTypes.DoubleType : DataTypes.StringType,
                getProbabilityCol());
    }

    @Override
    MlpClassificationModel newModel(String uid, MlpModelContent content) {
        return new MlpClassificationModel(uid, content);
    }

    /** Reads a classifier's params saved with {@code write().save(path)}. */
    public static MLReader<MlpClassifier> read() {
        return new DefaultParamsReader<>();
    }

    /** {@code read().load(path)}. */
    public static MlpClassifier load(String path) {
        return read().load(path);
    }

}
