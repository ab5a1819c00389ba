/**
 * Spark ML Estimators and Models over the data-parallel trainer: {@link org.sparkgrad.spark.ml.MlpClassifier} and
 * {@link org.sparkgrad.spark.ml.MlpRegressor} fit a multilayer perceptron on a features vector column (after
 * VectorAssembler or StandardScaler in a Pipeline) with {@link org.sparkgrad.spark.DataParallelTrainer}; their models
 * score rows on the executors and save as Spark ML model folders whose weights are a safetensors file with the
 * architecture, feature names and classes in its header metadata.
 */
package org.sparkgrad.spark.ml;
