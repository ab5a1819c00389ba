package org.sparkgrad.spark.ml;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import scala.Function1;

/**
 * The Spark ML params of the MLP estimators and their models, in one place: column names, the network
 * (hiddenLayers, activation, dropout, standardize), the optimizer (optimizer, lr, weightDecay), the run (batchSize,
 * epochs, seed, stepMode, device) and the input rules (dropInvalid, validationIndicatorCol). A param is identified by
 * its owner's uid and its name, so each accessor may build it afresh; {@link #setMlpDefaults} sets the defaults.
 */
public interface MlpParams extends Params {
    /** The activations {@link #activation()} accepts. */
    String[] ACTIVATIONS = {"relu", "tanh", "sigmoid", "gelu"};
    /** The optimizers {@link #optimizer()} accepts. */
    String[] OPTIMIZERS = {"sgd", "adam", "adamw"};

    /** The features column: an ML vector (e.g. VectorAssembler's output). Default "features". */
    default Param<String> featuresCol() {
        return new Param<>(this, "featuresCol", "features column name (an ML vector)");
    }

    /** The label column: a number (regression), or a number or string (classification). Default "label". */
    default Param<String> labelCol() {
        return new Param<>(this, "labelCol", "label column name");
    }

    /** The prediction column the model adds. Default "prediction". */
    default Param<String> predictionCol() {
        return new Param<>(this, "predictionCol", "prediction column name");
    }

    /** Hidden layer sizes, input to output; may be empty (a linear model). Default [64, 64]. */
    default IntArrayParam hiddenLayers() {
        return new IntArrayParam(this, "hiddenLayers", "hidden layer sizes (each >= 1)",
                serializable(sizes -> Arrays.stream(sizes).allMatch(n -> n >= 1)));
    }

    /** The activation after each hidden layer: relu, tanh, sigmoid or gelu. Default relu. */
    default Param<String> activation() {
        return new Param<>(this, "activation", "hidden layers' activation: " + String.join("|", ACTIVATIONS),
                ParamValidators.inArray(ACTIVATIONS));
    }

    /** Dropout probability after each hidden activation, in [0, 1). Default 0. */
    default DoubleParam dropout() {
        return new DoubleParam(this, "dropout", "dropout probability after each hidden activation, in [0, 1)",
                ParamValidators.inRange(0, 1, true, false));
    }

    /** Whether features are standardized ((x - mean) / std, fitted on the training rows, kept in the model). Default false. */
    default BooleanParam standardize() {
        return new BooleanParam(this, "standardize", "standardize the features with the training rows' mean and std");
    }

    /** The optimizer: sgd, adam or adamw. Default adam. */
    default Param<String> optimizer() {
        return new Param<>(this, "optimizer", "optimizer: " + String.join("|", OPTIMIZERS),
                ParamValidators.inArray(OPTIMIZERS));
    }

    /** The learning rate, &gt; 0. Default 0.001. */
    default DoubleParam lr() {
        return new DoubleParam(this, "lr", "learning rate (> 0)", ParamValidators.gt(0));
    }

    /** Weight decay, &gt;= 0 (L2 for sgd and adam, decoupled for adamw). Default 0. */
    default DoubleParam weightDecay() {
        return new DoubleParam(this, "weightDecay", "weight decay (>= 0)", ParamValidators.gtEq(0));
    }

    /** Rows per global batch, &gt;= 1. Default 32. */
    default IntParam batchSize() {
        return new IntParam(this, "batchSize", "rows per global batch (>= 1)", ParamValidators.gtEq(1));
    }

    /** Epochs, &gt;= 1. Default 100. */
    default IntParam epochs() {
        return new IntParam(this, "epochs", "training epochs (>= 1)", ParamValidators.gtEq(1));
    }

    /** The seed of the initial weights, the batch order and dropout. Default 0. */
    default LongParam seed() {
        return new LongParam(this, "seed", "seed of the initial weights and the batch order");
    }

    /** The trainer's step mode: auto, barrier or jobs (see DataParallelTrainer.stepMode). Default auto. */
    default Param<String> stepMode() {
        return new Param<>(this, "stepMode", "how steps run on Spark: auto|barrier|jobs",
                ParamValidators.inArray(new String[] {"auto", "barrier", "jobs"}));
    }

    /** Where executor tasks compute: auto, cpu, cuda or cuda:N (see DataParallelTrainer.device). Default auto. */
    default Param<String> device() {
        return new Param<>(this, "device", "where executor tasks compute: auto|cpu|cuda|cuda:N");
    }

    /** Whether rows with a null, NaN or infinite feature or label are dropped (and counted) instead of failing. Default false. */
    default BooleanParam dropInvalid() {
        return new BooleanParam(this, "dropInvalid", "drop rows with null, NaN or infinite values instead of failing");
    }

    /**
     * A boolean column marking validation rows: they are left out of training and the model's metrics on them are
     * computed after every epoch ({@link MlpTrainingSummary#validation()}). Default "" (none).
     */
    default Param<String> validationIndicatorCol() {
        return new Param<>(this, "validationIndicatorCol", "boolean column marking validation rows (\"\": none)");
    }

    /** {@link #featuresCol()}'s value. */
    default String getFeaturesCol() {
        return getOrDefault(featuresCol());
    }

    /** {@link #labelCol()}'s value. */
    default String getLabelCol() {
        return getOrDefault(labelCol());
    }

    /** {@link #predictionCol()}'s value. */
    default String getPredictionCol() {
        return getOrDefault(predictionCol());
    }

    /** {@link #hiddenLayers()}'s value. */
    default int[] getHiddenLayers() {
        return getOrDefault(hiddenLayers());
    }

    /** {@link #activation()}'s value. */
    default String getActivation() {
        return getOrDefault(activation());
    }

    /** {@link #dropout()}'s value. */
    default double getDropout() {
        return (Double) getOrDefault(dropout());
    }

    /** {@link #standardize()}'s value. */
    default boolean getStandardize() {
        return (Boolean) getOrDefault(standardize());
    }

    /** {@link #optimizer()}'s value. */
    default String getOptimizer() {
        return getOrDefault(optimizer());
    }

    /** {@link #lr()}'s value. */
    default double getLr() {
        return (Double) getOrDefault(lr());
    }

    /** {@link #weightDecay()}'s value. */
    default double getWeightDecay() {
        return (Double) getOrDefault(weightDecay());
    }

    /** {@link #batchSize()}'s value. */
    default int getBatchSize() {
        return (Integer) getOrDefault(batchSize());
    }

    /** {@link #epochs()}'s value. */
    default int getEpochs() {
        return (Integer) getOrDefault(epochs());
    }

    /** {@link #seed()}'s value. */
    default long getSeed() {
        return (Long) getOrDefault(seed());
    }

    /** {@link #stepMode()}'s value. */
    default String getStepMode() {
        return getOrDefault(stepMode());
    }

    /** {@link #device()}'s value. */
    default String getDevice() {
        return getOrDefault(device());
    }

    /** {@link #dropInvalid()}'s value. */
    default boolean getDropInvalid() {
        return (Boolean) getOrDefault(dropInvalid());
    }

    /** {@link #validationIndicatorCol()}'s value. */
    default String getValidationIndicatorCol() {
        return getOrDefault(validationIndicatorCol());
    }

    /** Sets every param's default on p (called by the constructors). */
    static void setMlpDefaults(MlpParams p) {
        p.setDefault(p.featuresCol(), "features");
        p.setDefault(p.labelCol(), "label");
        p.setDefault(p.predictionCol(), "prediction");
        p.setDefault(p.hiddenLayers(), new int[] {64, 64});
        p.setDefault(p.activation(), "relu");
        p.setDefault(p.dropout(), 0.0);
        p.setDefault(p.standardize(), false);
        p.setDefault(p.optimizer(), "adam");
        p.setDefault(p.lr(), 0.001);
        p.setDefault(p.weightDecay(), 0.0);
        p.setDefault(p.batchSize(), 32);
        p.setDefault(p.epochs(), 100);
        p.setDefault(p.seed(), 0L);
        p.setDefault(p.stepMode(), "auto");
        p.setDefault(p.device(), "auto");
        p.setDefault(p.dropInvalid(), false);
        p.setDefault(p.validationIndicatorCol(), "");
    }

    /** A validator Spark can serialize with its param. */
    private static <T> Function1<T, Object> serializable(java.util.function.Predicate<T> test) {
        return (Function1<T, Object> & Serializable) test::test;
    }
}
