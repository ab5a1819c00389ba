package org.sparkgrad.spark.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.apache.spark.sql.functions.col;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.spark.SparkTestSupport;
import org.sparkgrad.spark.TrainingException;

/**
 * MlpClassifier in Spark ML Pipelines on local Spark with scikit-learn's iris data (src/test/resources/datasets):
 * fit, transform, accuracy, string and numeric labels mapped back, save and load, copy, the schema checks and the
 * errors for what it cannot train.
 */
class MlpClassifierTest {
    static final Path IRIS = Path.of("src/test/resources/datasets/iris.csv");
    static final String[] IRIS_FEATURES = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[2]");
        spark.sparkContext().setLogLevel("ERROR");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static Dataset<Row> iris(SparkSession spark) {
        return spark.read().option("header", "true").option("inferSchema", "true").csv(IRIS.toString());
    }

    private static VectorAssembler assembler() {
        return new VectorAssembler().setInputCols(IRIS_FEATURES).setOutputCol("features");
    }

    private static MlpClassifier classifier() {
        return new MlpClassifier().setLabelCol("species").setHiddenLayers(16).setEpochs(60).setBatchSize(16)
                .setLr(0.01).setStandardize(true).setSeed(3);
    }

    private static double accuracy(Dataset<Row> scored, String label) {
        return scored.where(col("prediction").equalTo(col(label))).count() / (double) scored.count();
    }

    @Test
    void aPipelineOfVectorAssemblerAndTheClassifierLearnsIrisAndSavesAndLoads(@TempDir Path dir) throws Exception {
        Dataset<Row>[] split = iris(spark).randomSplit(new double[] {0.7, 0.3}, 11);
        PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {assembler(), classifier()}).fit(split[0]);
        Dataset<Row> scored = fitted.transform(split[1]).cache();
        assertEquals(DataTypes.StringType, scored.schema().apply("prediction").dataType());
        double acc = accuracy(scored, "species");
        System.out.println("iris test accuracy " + acc + " on " + scored.count() + " rows");
        assertTrue(acc >= 0.9, "accuracy " + acc);
        for (Row r : scored.select("probability").collectAsList()) {
            double[] p = ((Vector) r.get(0)).toArray();
            assertEquals(3, p.length);
            assertEquals(1.0, p[0] + p[1] + p[2], 1e-5);
        }
        MlpClassificationModel model = (MlpClassificationModel) fitted.stages()[1];
        assertEquals(List.of("setosa", "versicolor", "virginica"), model.classes());
        assertEquals(List.of(IRIS_FEATURES), model.featureNames());
        assertArrayEquals(new int[] {4, 16, 3}, model.layerSizes());
        assertEquals(60 * ((split[0].count() + 15) / 16), model.summary().training().steps());

        String path = dir.resolve("pipeline").toString();
        fitted.write().save(path);
        // The weights file holds the architecture, the feature names and the classes in its header metadata.
        Path weights = Files.walk(dir).filter(p -> p.getFileName().toString().equals("model.safetensors")).findFirst()
                .orElseThrow();
        SafeTensors.Contents file = SafeTensors.read(weights);
        assertEquals("classification", file.metadata().get("task"));
        assertEquals("4,16,3", file.metadata().get("layers"));
        assertEquals("relu", file.metadata().get("activation"));
        assertEquals("[\"sepal_length\",\"sepal_width\",\"petal_length\",\"petal_width\"]",
                file.metadata().get("featureNames"));
        assertEquals("[\"setosa\",\"versicolor\",\"virginica\"]", file.metadata().get("labels"));
        assertEquals("string", file.metadata().get("labelType"));
        assertArrayEquals(new int[] {16, 4}, file.tensors().get("1.weight").shape());
        assertEquals(4, file.tensors().get("0.mean").shape()[0]);

        PipelineModel loaded = PipelineModel.load(path);
        MlpClassificationModel reloaded = (MlpClassificationModel) loaded.stages()[1];
        assertNull(reloaded.summary());
        assertEquals(model.uid(), reloaded.uid());
        assertEquals("species", reloaded.getLabelCol());
        List<Row> before = scored.select("prediction", "probability").collectAsList();
        List<Row> after = loaded.transform(split[1]).select("prediction", "probability").collectAsList();
        assertEquals(before, after);
    }

    @Test
    void afterStandardScalerInAPipelineWithNumericLabelsThePredictionsAreTheOriginalLabels() {
        // Classes 3, 5 and 8 (not 0, 1, 2): the model maps them to indices and back.
        Dataset<Row> data = iris(spark).withColumn("code", functions.when(col("species").equalTo("setosa"), 8)
                .when(col("species").equalTo("versicolor"), 3).otherwise(5));
        StandardScaler scaler = new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true);
        MlpClassifier mlp = classifier().setStandardize(false).setLabelCol("code").setPredictionCol("guess")
                .setProbabilityCol("p");
        PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {assembler().setOutputCol("raw"), scaler,
            mlp}).fit(data);
        Dataset<Row> scored = fitted.transform(data);
        assertEquals(DataTypes.DoubleType, scored.schema().apply("guess").dataType());
        MlpClassificationModel model = (MlpClassificationModel) fitted.stages()[2];
        assertEquals(List.of("3.0", "5.0", "8.0"), model.classes());
        assertTrue(model.numericLabels());
        List<Double> predicted = scored.select("guess").distinct().as(org.apache.spark.sql.Encoders.DOUBLE())
                .collectAsList();
        assertTrue(List.of(3.0, 5.0, 8.0).containsAll(predicted), predicted.toString());
        double acc = scored.where(col("guess").equalTo(col("code"))).count() / 150.0;
        assertTrue(acc >= 0.9, "accuracy " + acc);
        MlpMetrics m = model.evaluate(scored.drop("guess", "p"));
        assertEquals(150, m.rows());
        assertEquals(acc, m.accuracy(), 1e-12);
        assertTrue(m.logLoss() > 0 && m.logLoss() < 0.5, m.toString());
    }

    @Test
    void validationRowsAreHeldOutAndEvaluatedAfterEveryEpoch() {
        Dataset<Row> data = assembler().transform(iris(spark)).withColumn("held", functions.rand(5).lt(0.25));
        long heldRows = data.where("held").count();
        MlpClassificationModel model = classifier().setEpochs(5).setValidationIndicatorCol("held").fit(data);
        MlpTrainingSummary s = model.summary();
        assertEquals(150 - heldRows, s.training().rows());
        assertEquals(5, s.validation().size());
        for (MlpMetrics m : s.validation()) {
            assertEquals(heldRows, m.rows());
            assertTrue(m.isClassification());
        }
        MlpMetrics direct = model.evaluate(data.where("held"));
        MlpMetrics last = s.validation().get(4);
        assertEquals(last.rows(), direct.rows());
        assertEquals(last.accuracy(), direct.accuracy(), 0.0);
        // Not to the last bit: the engine's SIMD exp (softmax) is the JIT's vector intrinsic once compiled and
        // Math.exp per lane before, which can differ in the last ulp between the two scorings.
        assertEquals(last.logLoss(), direct.logLoss(), 1e-12 * last.logLoss());
        List<String> csv = List.of(s.validationCsv().split("\n"));
        assertEquals("epoch,accuracy,log_loss", csv.get(0));
        assertEquals(6, csv.size());
    }

    @Test
    void anUnfittedClassifierSavesAndLoadsItsParams(@TempDir Path dir) throws Exception {
        MlpClassifier c = classifier().setHiddenLayers(8, 4).setOptimizer("adamw").setWeightDecay(0.01);
        c.write().save(dir.resolve("c").toString());
        MlpClassifier loaded = MlpClassifier.load(dir.resolve("c").toString());
        assertEquals(c.uid(), loaded.uid());
        assertArrayEquals(new int[] {8, 4}, loaded.getHiddenLayers());
        assertEquals("adamw", loaded.getOptimizer());
        assertEquals(0.01, loaded.getWeightDecay());
        assertEquals("species", loaded.getLabelCol());
        assertEquals(60, loaded.getEpochs());
    }

    @Test
    void copyKeepsTheWeightsAndTakesTheExtraParams() {
        Dataset<Row> data = assembler().transform(iris(spark));
        MlpClassificationModel model = classifier().setEpochs(2).fit(data);
        MlpClassificationModel copy = model.copy(new ParamMap().put(model.predictionCol(), "other"));
        assertEquals("other", copy.getPredictionCol());
        assertEquals("prediction", model.getPredictionCol());
        assertEquals(model.uid(), copy.uid());
        assertNotNull(copy.parent());
        List<Row> a = model.transform(data).select("prediction").collectAsList();
        List<Row> b = copy.transform(data).select("other").collectAsList();
        assertEquals(a, b);
        MlpClassifier original = classifier();
        MlpClassifier est = original.copy(new ParamMap().put(original.lr(), 0.5));
        assertEquals(0.5, est.getLr());
        assertEquals(0.01, original.getLr());
        assertTrue(est.explainParams().contains("hiddenLayers"));
    }

    @Test
    void whatItCannotTrainFailsWithTheReason() {
        Dataset<Row> data = assembler().transform(iris(spark));
        TrainingException single = assertThrows(TrainingException.class, () -> classifier().fit(
                data.where(col("species").equalTo("setosa"))));
        assertEquals("label column 'species' has a single class (setosa) in the training rows; a classifier needs at "
                + "least two", single.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> classifier()
                .setLabelCol("kind").fit(data));
        assertEquals("there is no label column 'kind'; the columns are sepal_length, sepal_width, petal_length, "
                + "petal_width, species, features", missing.getMessage());
        IllegalArgumentException notVector = assertThrows(IllegalArgumentException.class, () -> classifier()
                .setFeaturesCol("sepal_length").fit(data));
        assertTrue(notVector.getMessage().startsWith("features column 'sepal_length' has type double; expected an ML "
                + "vector"), notVector.getMessage());
        IllegalArgumentException badActivation = assertThrows(IllegalArgumentException.class, () -> classifier()
                .setActivation("softplus"));
        assertTrue(badActivation.getMessage().contains("activation given invalid value softplus"),
                badActivation.getMessage());
        MlpClassificationModel model = classifier().setEpochs(1).fit(data);
        IllegalArgumentException exists = assertThrows(IllegalArgumentException.class, () -> model.transform(
                data.withColumn("probability", functions.lit(1))));
        assertTrue(exists.getMessage().startsWith("output column 'probability' already exists"), exists.getMessage());
    }

    @Test
    void geluAndDropoutTrainAndTheModelScoresWithoutDropout(@TempDir Path dir) throws Exception {
        Dataset<Row> data = assembler().transform(iris(spark));
        MlpClassificationModel model = classifier().setActivation("gelu").setDropout(0.2).setHiddenLayers(32)
                .setEpochs(60).fit(data);
        // [Standardize, Linear, GELU, Dropout, Linear]: the last Linear is module 4
        assertArrayEquals(new int[] {3, 32}, model.content().state().get("4.weight").shape());
        List<Row> first = model.transform(data).select("probability").collectAsList();
        assertEquals(first, model.transform(data).select("probability").collectAsList(), "eval mode: no dropout");
        double acc = accuracy(model.transform(data), "species");
        assertTrue(acc >= 0.9, "accuracy " + acc);
        model.write().save(dir.resolve("m").toString());
        MlpClassificationModel loaded = MlpClassificationModel.load(dir.resolve("m").toString());
        assertEquals("gelu", loaded.getActivation());
        assertEquals(0.2, loaded.getDropout());
        assertEquals(first, loaded.transform(data).select("probability").collectAsList());
    }

    @Test
    void invalidRowsFailNamingTheRowOrAreDroppedAndCounted() {
        Dataset<Row> data = assembler().setHandleInvalid("keep").transform(iris(spark).withColumn("sepal_width",
                functions.when(col("sepal_length").equalTo(5.0), functions.lit(Double.NaN))
                        .otherwise(col("sepal_width"))));
        long bad = data.where(col("sepal_length").equalTo(5.0)).count();
        assertTrue(bad > 0);
        TrainingException e = assertThrows(TrainingException.class, () -> classifier().setEpochs(1).fit(data));
        assertTrue(e.getMessage().contains("feature 1 is NaN"), e.getMessage());
        MlpClassificationModel model = classifier().setEpochs(1).setDropInvalid(true).fit(data);
        assertEquals(bad, model.summary().droppedRows());
        assertEquals(150 - bad, model.summary().training().rows());
        // an executor's error arrives as Spark's job failure, with the reason in it
        Exception scoring = assertThrows(org.apache.spark.SparkException.class, () -> model.transform(data).collectAsList());
        assertTrue(scoring.getMessage().contains("row ") && scoring.getMessage().contains("features column 'features' has NaN at index 1"), scoring.getMessage());
    }

    @Test
    void theFileHoldsWhatTheModelNeeds() throws Exception {
        MlpClassificationModel model = classifier().setEpochs(1).fit(assembler().transform(iris(spark)));
        MlpModelContent content = MlpModelContent.fromBytes(model.content().toBytes(), "test");
        assertEquals(model.featureNames(), content.featureNames());
        assertArrayEquals(model.content().labels().labels(), content.labels().labels());
        for (Map.Entry<String, org.sparkgrad.engine.Tensor> t : model.content().state().entrySet()) {
            assertArrayEquals(t.getValue().toFloatArray(), content.state().get(t.getKey()).toFloatArray(), 0f, t.getKey());
        }
        java.io.IOException notOurs = assertThrows(java.io.IOException.class, () -> {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            SafeTensors.write(Map.of("w", org.sparkgrad.engine.Tensor.ones(2)), Map.of(), out);
            MlpModelContent.read(new java.io.ByteArrayInputStream(out.toByteArray()), out.size(), "plain.safetensors");
        });
        assertEquals("plain.safetensors is not a sparkgrad MLP model: its metadata has format 'null', expected "
                + "'sparkgrad-mlp-1'", notOurs.getMessage());
    }
}
