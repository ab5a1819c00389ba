package org.sparkgrad.spark.ml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What the fitted MLP models share: the network and what its inputs and outputs mean ({@link MlpModelContent}), the
 * features and output column checks, {@link #transform} on the executors (the model file broadcast once, rows scored
 * in batches by {@link MlpScorer}), {@link #evaluate}, and save/load ({@link MlpModelIO}: Spark ML's metadata folder
 * plus {@code model.safetensors}).
 *
 * @param <M> the concrete model
 */
public abstract class MlpModel<M extends MlpModel<M>> extends Model<M> implements MlpParams, MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final MlpModelContent content;
    private transient MlpTrainingSummary summary;

    MlpModel(String uid, MlpModelContent content) {
        this.uid = uid;
        this.content = content;
        MlpParams.setMlpDefaults(this);
    }

    /**
     * Loads a model folder saved by either model class (the class is read from its Spark ML metadata).
     *
     * @throws IllegalArgumentException when the folder holds another kind of Spark ML stage
     */
    public static MlpModel<?> load(String path) {
        String type = org.apache.spark.ml.util.DefaultParamsReader.loadMetadata(path,
                org.apache.spark.sql.SparkSession.active(), "").className();
        if (type.equals(MlpClassificationModel.class.getName())) {
            return MlpClassificationModel.load(path);
        }
        if (type.equals(MlpRegressionModel.class.getName())) {
            return MlpRegressionModel.load(path);
        }
        throw new IllegalArgumentException(path + " holds a " + type + ", not a sparkgrad MLP model");
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The model file's content (package-private: the writer and subclasses). */
    MlpModelContent content() {
        return content;
    }

    /** The input feature names, in vector order (from the features column's ML attributes, else f0, f1, ...). */
    public List<String> featureNames() {
        return content.featureNames();
    }

    /** The layer sizes, input to output (e.g. [4, 64, 64, 3]). */
    public int[] layerSizes() {
        return content.architecture().layers().clone();
    }

    /** The number of input features. */
    public int numFeatures() {
        return content.architecture().inputs();
    }

    /** What training reported (loss per step, validation metrics per epoch); null for a loaded model. */
    public MlpTrainingSummary summary() {
        return summary;
    }

    void setSummary(MlpTrainingSummary s) {
        this.summary = s;
    }

    /** Sets the features column. */
    @SuppressWarnings("unchecked")
    public M setFeaturesCol(String value) {
        return (M) set(featuresCol(), value);
    }

    /** Sets the prediction column. */
    @SuppressWarnings("unchecked")
    public M setPredictionCol(String value) {
        return (M) set(predictionCol(), value);
    }

    /** The columns the model adds, in order. */
    abstract StructField[] outputFields();

    /** How the network's outputs become the output columns. */
    abstract MlpHead head();

    /** The model's metrics on labelled, scored rows. */
    abstract MlpMetrics metrics(Dataset<Row> scored);

    /** A new model of this class with the same uid and content (params are copied by {@link #copy}). */
    abstract M newInstance(String uid, MlpModelContent content);

    /** The model's metrics on rows with the features and the label column ({@link #getLabelCol()}). */
    public MlpMetrics evaluate(Dataset<?> data) {
        MlpInput.requireColumn(data.schema(), getLabelCol(), "label");
        return metrics(transform(data));
    }

    @Override
    public StructType transformSchema(StructType schema) {
        MlpInput.requireVector(schema, getFeaturesCol());
        return MlpInput.appendColumns(schema, outputFields());
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema(), true);
        Dataset<Row> rows = dataset.toDF();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(rows.sparkSession().sparkContext());
        Broadcast<byte[]> file = sc.broadcast(content.toBytes());
        int index = rows.schema().fieldIndex(getFeaturesCol());
        return rows.mapPartitions(new MlpScorer(file, index, getFeaturesCol(), head()), Encoders.row(out));
    }

    @Override
    public M copy(ParamMap extra) {
        M copy = copyValues(newInstance(uid, content), extra);
        copy.setSummary(summary);
        return copy.setParent(parent());
    }

    @Override
    public MLWriter write() {
        return new MlpModelIO.Writer(this);
    }
}
