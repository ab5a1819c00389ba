package org.sparkgrad.spark.ml;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.stat.Summarizer;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.StructType;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.optim.Adam;
import org.sparkgrad.engine.optim.AdamW;
import org.sparkgrad.engine.optim.Optimizer;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.spark.DataParallelTrainer;
import org.sparkgrad.spark.SerializableFunction;
import org.sparkgrad.spark.SerializableSupplier;
import org.sparkgrad.spark.TrainingData;
import org.sparkgrad.spark.TrainingResult;

/**
 * What the MLP estimators share: the setters of {@link MlpParams}, and {@link #fit}, which trains the network with
 * the {@link DataParallelTrainer} on the features vector column (its rows packed by {@link TrainingData#fromDataset})
 * and returns the model. With {@code validationIndicatorCol} the marked rows are held out and the model is evaluated
 * on them after every epoch; with {@code dropInvalid} rows with a null, NaN or infinite feature or label are dropped
 * and counted; with {@code standardize} the mean and std of the training rows' features become the network's first
 * layer.
 *
 * @param <E> the concrete estimator
 * @param <M> its model
 */
public abstract class MlpEstimator<E extends MlpEstimator<E, M>, M extends MlpModel<M>> extends Estimator<M>
        implements MlpParams, DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    /** The packed label column's name. */
    private static final String TARGET = "__sparkgrad_target";

    private final String uid;

    MlpEstimator(String uid) {
        this.uid = uid;
        MlpParams.setMlpDefaults(this);
    }

    @Override
    public String uid() {
        return uid;
    }

    /** "classification" or "regression". */
    abstract String task();

    /** The classes (classification) of the training rows, else null. */
    abstract LabelMapping labels(Dataset<Row> training);

    /** The packed label: the class index (classification) or the number (regression). */
    abstract Column target(LabelMapping labels);

    /** The loss over a batch, Reduction.SUM. */
    abstract SerializableSupplier<Loss> loss();

    /** Checks the label column's type. */
    abstract void checkLabel(StructType schema);

    /** The model of fitted content. */
    abstract M newModel(String uid, MlpModelContent content);

    /** The fields the model will add (for {@link #transformSchema}). */
    abstract org.apache.spark.sql.types.StructField[] outputFields(StructType schema);

    @SuppressWarnings("unchecked")
    private E self(Object ignored) {
        return (E) this;
    }

    /** Sets {@link #featuresCol()}. */
    public E setFeaturesCol(String v) {
        return self(set(featuresCol(), v));
    }

    /** Sets {@link #labelCol()}. */
    public E setLabelCol(String v) {
        return self(set(labelCol(), v));
    }

    /** Sets {@link #predictionCol()}. */
    public E setPredictionCol(String v) {
        return self(set(predictionCol(), v));
    }

    /** Sets {@link #hiddenLayers()}. */
    public E setHiddenLayers(int... sizes) {
        return self(set(hiddenLayers(), sizes.clone()));
    }

    /** Sets {@link #activation()}. */
    public E setActivation(String v) {
        return self(set(activation(), v));
    }

    /** Sets {@link #dropout()}. */
    public E setDropout(double v) {
        return self(set(dropout(), v));
    }

    /** Sets {@link #standardize()}. */
    public E setStandardize(boolean v) {
        return self(set(standardize(), v));
    }

    /** Sets {@link #optimizer()}. */
    public E setOptimizer(String v) {
        return self(set(optimizer(), v));
    }

    /** Sets {@link #lr()}. */
    public E setLr(double v) {
        return self(set(lr(), v));
    }

    /** Sets {@link #weightDecay()}. */
    public E setWeightDecay(double v) {
        return self(set(weightDecay(), v));
    }

    /** Sets {@link #batchSize()}. */
    public E setBatchSize(int v) {
        return self(set(batchSize(), v));
    }

    /** Sets {@link #epochs()}. */
    public E setEpochs(int v) {
        return self(set(epochs(), v));
    }

    /** Sets {@link #seed()}. */
    public E setSeed(long v) {
        return self(set(seed(), v));
    }

    /** Sets {@link #stepMode()}. */
    public E setStepMode(String v) {
        return self(set(stepMode(), v));
    }

    /** Sets {@link #device()}. */
    public E setDevice(String v) {
        return self(set(device(), v));
    }

    /** Sets {@link #dropInvalid()}. */
    public E setDropInvalid(boolean v) {
        return self(set(dropInvalid(), v));
    }

    /** Sets {@link #validationIndicatorCol()}. */
    public E setValidationIndicatorCol(String v) {
        return self(set(validationIndicatorCol(), v));
    }

    @Override
    public StructType transformSchema(StructType schema) {
        MlpInput.requireVector(schema, getFeaturesCol());
        MlpInput.requireColumn(schema, getLabelCol(), "label");
        checkLabel(schema);
        String v = getValidationIndicatorCol();
        if (!v.isEmpty()) {
            MlpInput.requireColumn(schema, v, "validation indicator");
            if (!(schema.apply(v).dataType() instanceof BooleanType)) {
                throw new IllegalArgumentException("validation indicator column '" + v + "' has type "
                        + schema.apply(v).dataType().simpleString() + "; expected boolean");
            }
        }
        return MlpInput.appendColumns(schema, outputFields(schema));
    }

    @Override
    public M fit(Dataset<?> dataset) {
        transformSchema(dataset.schema(), true);
        Dataset<Row> all = dataset.toDF();
        String indicator = getValidationIndicatorCol();
        Column held = indicator.isEmpty() ? lit(false) : coalesce(col(indicator), lit(false));
        Dataset<Row> training = all.where(not(held));
        Dataset<Row> validation = indicator.isEmpty() ? null : all.where(held);
        long dropped = 0;
        if (getDropInvalid()) {
            Column valid = MlpInput.finiteVector(getFeaturesCol()).and(validLabel(all.schema()));
            long before = training.count();
            training = training.where(valid);
            dropped = before - training.count();
            validation = validation == null ? null : validation.where(valid);
        }
        if (validation != null) {
            // evaluated after every epoch: read once
            validation = validation.persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        }
        try {
            return fit(training, validation, dropped);
        } finally {
            if (validation != null) {
                validation.unpersist(false);
            }
        }
    }

    private M fit(Dataset<Row> training, Dataset<Row> validation, long dropped) {
        MlpInput.Features features = MlpInput.features(training, getFeaturesCol());
        LabelMapping labels = labels(training);
        int outputs = labels == null ? 1 : labels.size();
        float[][] moments = getStandardize() ? moments(training, features.size()) : new float[2][];
        MlpArchitecture arch = new MlpArchitecture(layers(features.size(), outputs), getActivation(), getDropout(),
                moments[0], moments[1]);
        Dataset<Row> packedInput = training.select(col(getFeaturesCol()), target(labels).as(TARGET));
        List<MlpMetrics> perEpoch = new ArrayList<>();
        TrainingResult result;
        try (TrainingData data = TrainingData.fromDataset(packedInput, getFeaturesCol(), TARGET, features.size(), 1)) {
            if (labels != null) {
                data.classLabels(labels.size());
            }
            long stepsPerEpoch = (data.rows() + getBatchSize() - 1) / getBatchSize();
            DataParallelTrainer trainer = trainer(arch, labels != null);
            if (validation != null) {
                trainer.listener((step, epoch, loss, net) -> {
                    if (step % stepsPerEpoch == 0) {
                        M now = model(MlpModelContent.of(task(), arch, net, features.names(), labels));
                        perEpoch.add(now.metrics(now.transform(validation)));
                    }
                });
            }
            result = trainer.fit(data);
        }
        M model = model(MlpModelContent.of(task(), arch, result.model(), features.names(), labels));
        model.setSummary(new MlpTrainingSummary(result, perEpoch, dropped));
        return model.setParent(this);
    }

    /** A model of content with this estimator's params. */
    private M model(MlpModelContent content) {
        return copyValues(newModel(uid, content), ParamMap.empty());
    }

    /** True where the label is usable: not null, and finite when numeric. */
    private Column validLabel(StructType schema) {
        boolean numeric = schema.apply(getLabelCol()).dataType() instanceof org.apache.spark.sql.types.NumericType;
        return numeric ? MlpInput.finite(col(getLabelCol())) : col(getLabelCol()).isNotNull();
    }

    private int[] layers(int inputs, int outputs) {
        int[] hidden = getHiddenLayers();
        int[] layers = new int[hidden.length + 2];
        layers[0] = inputs;
        System.arraycopy(hidden, 0, layers, 1, hidden.length);
        layers[layers.length - 1] = outputs;
        return layers;
    }

    /** The features' mean and sample std over the training rows with a non-null vector. */
    private float[][] moments(Dataset<Row> training, int size) {
        Row r = training.where(col(getFeaturesCol()).isNotNull()).select(Summarizer.metrics("mean", "std")
                .summary(col(getFeaturesCol())).as("s")).select("s.mean", "s.std").first();
        return new float[][] {floats((Vector) r.get(0)), floats((Vector) r.get(1))};
    }

    private static float[] floats(Vector v) {
        double[] d = v.toArray();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    private DataParallelTrainer trainer(MlpArchitecture arch, boolean classes) {
        long seed = getSeed();
        SerializableSupplier<org.sparkgrad.engine.nn.Module> net = () -> arch.build(seed);
        return new DataParallelTrainer(net, loss(), optimizerFactory(getOptimizer(), getLr(), getWeightDecay()))
                .batchSize(getBatchSize()).epochs(getEpochs()).seed(seed).classLabels(classes)
                .stepMode(getStepMode()).device(getDevice());
    }

    /** The optimizer over the driver model's parameters: sgd (no momentum), adam or adamw with PyTorch's betas. */
    static SerializableFunction<Map<String, Parameter>, Optimizer> optimizerFactory(String name, double lr, double wd) {
        return switch (name) {
            case "sgd" -> p -> new SGD(p, lr, 0, 0, wd, false);
            case "adam" -> p -> new Adam(p, lr, 0.9, 0.999, 1e-8, wd, false);
            case "adamw" -> p -> new AdamW(p, lr, 0.9, 0.999, 1e-8, wd, false);
            default -> throw new IllegalArgumentException("optimizer must be one of sgd|adam|adamw, got '" + name + "'");
        };
    }

    @Override
    public E copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
