package org.sparkgrad.spark.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.spark.SparkTestSupport;

/**
 * MlpRegressor on y = 2 a - 3 b + 1 (+ small noise): a linear network (no hidden layer) finds the coefficients with
 * SGD, a hidden layer reaches a low RMSE; RMSE and R² are checked against a direct computation; save and load keep
 * the predictions.
 */
class MlpRegressorTest {
    private static SparkSession spark;
    private static Dataset<Row> rows;
    private static double[] labels;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[2]");
        spark.sparkContext().setLogLevel("ERROR");
        Random r = new Random(1);
        List<Row> list = new ArrayList<>();
        labels = new double[400];
        for (int i = 0; i < 400; i++) {
            double a = r.nextGaussian();
            double b = r.nextGaussian();
            labels[i] = 2 * a - 3 * b + 1 + 0.01 * r.nextGaussian();
            list.add(RowFactory.create(Vectors.dense(a, b), labels[i]));
        }
        StructType schema = new StructType(new StructField[] {
            new StructField("features", new VectorUDT(), false, Metadata.empty()),
            new StructField("y", DataTypes.DoubleType, false, Metadata.empty())});
        rows = spark.createDataFrame(list, schema).repartition(2).cache();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void aLinearNetworkFindsTheCoefficientsAndTheMetricsAreTheDirectOnes(@TempDir Path dir) throws Exception {
        MlpRegressionModel model = new MlpRegressor().setLabelCol("y").setHiddenLayers().setOptimizer("sgd").setLr(0.1)
                .setBatchSize(20).setEpochs(20).fit(rows);
        assertArrayEquals(new int[] {2, 1}, model.layerSizes());
        float[] w = model.content().state().get("0.weight").toFloatArray();
        float b = model.content().state().get("0.bias").toFloatArray()[0];
        assertArrayEquals(new float[] {2f, -3f}, w, 0.01f);
        assertEquals(1f, b, 0.01f);
        Dataset<Row> scored = model.transform(rows);
        List<Row> out = scored.select("y", "prediction").collectAsList();
        double ss = 0;
        double mean = 0;
        for (Row r : out) {
            mean += r.getDouble(0) / out.size();
        }
        double tot = 0;
        for (Row r : out) {
            ss += Math.pow(r.getDouble(1) - r.getDouble(0), 2);
            tot += Math.pow(r.getDouble(0) - mean, 2);
        }
        MlpMetrics m = model.evaluate(rows);
        assertEquals(400, m.rows());
        assertEquals(Math.sqrt(ss / 400), m.rmse(), 1e-9);
        assertEquals(1 - ss / tot, m.r2(), 1e-9);
        assertTrue(m.rmse() < 0.05, m.toString());
        assertEquals("rmse,r2", m.csvHeader());

        model.write().save(dir.resolve("m").toString());
        MlpRegressionModel loaded = MlpRegressionModel.load(dir.resolve("m").toString());
        assertEquals(out, loaded.transform(rows).select("y", "prediction").collectAsList());
        assertEquals(List.of("f0", "f1"), loaded.featureNames());
    }

    @Test
    void aHiddenLayerWithStandardizationAndAdamWFitsToo() {
        MlpRegressionModel model = new MlpRegressor().setLabelCol("y").setHiddenLayers(16).setActivation("tanh")
                .setOptimizer("adamw").setWeightDecay(1e-4).setLr(0.01).setBatchSize(32).setEpochs(40)
                .setStandardize(true).fit(rows);
        MlpMetrics m = model.evaluate(rows);
        assertTrue(m.r2() > 0.99, m.toString());
    }

    @Test
    void aRegressorNeedsANumericLabel() {
        Dataset<Row> text = rows.withColumn("y", rows.col("y").cast(DataTypes.StringType));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MlpRegressor()
                .setLabelCol("y").fit(text));
        assertEquals("label column 'y' has type string; a regressor's label is a number", e.getMessage());
    }
}
