package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.spark.SparkgradKryoRegistrator;

/**
 * Ordinary Spark SQL and ML next to the trainer, under conf/spark-defaults.conf's Kryo settings
 * (registrationRequired with our registrator): the CSV, Parquet, JSON and LibSVM readers and writers,
 * VectorAssembler, StandardScaler and a Pipeline, on scikit-learn's iris data.
 */
class SparkSqlUnderKryoTest {
    private static final Path CONF = Path.of("..", "conf", "spark-defaults.conf");
    /** scikit-learn's iris with named columns, committed with the ml tests (see that folder's README). */
    private static final Path IRIS = MlJobsTest.IRIS;
    private static SparkSession spark;

    @BeforeAll
    static void start() throws IOException {
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("sparkgrad sql under kryo")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.sql.shuffle.partitions", "3");
        int kryoSettings = 0;
        for (String line : Files.readAllLines(CONF)) {
            String[] kv = line.trim().split("\\s+", 2);
            if (kv.length == 2 && (kv[0].equals("spark.serializer") || kv[0].startsWith("spark.kryo"))) {
                conf.set(kv[0], kv[1]);
                kryoSettings++;
            }
        }
        assertEquals(3, kryoSettings, "serializer, registrator and registrationRequired from " + CONF);
        assertEquals("true", conf.get("spark.kryo.registrationRequired"));
        spark = SparkSession.builder().config(conf).getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** iris.csv as read with an inferred schema (four double columns and the species name). */
    private static Dataset<Row> rawIris() {
        return spark.read().option("header", "true").option("inferSchema", "true").csv(IRIS.toString());
    }

    /** iris with the species as scikit-learn's class index 0, 1, 2 in a column label. */
    private static Dataset<Row> iris() {
        Column species = functions.col("species");
        return rawIris().withColumn("label", functions.when(species.equalTo("setosa"), 0)
                .when(species.equalTo("versicolor"), 1).when(species.equalTo("virginica"), 2)).drop("species");
    }

    private static VectorAssembler assembler() {
        return new VectorAssembler().setInputCols(new String[] {"sepal_length", "sepal_width", "petal_length",
            "petal_width"}).setOutputCol("features");
    }

    @Test
    void csvWithInferredSchemaAndAShuffle() {
        assertEquals("double", rawIris().schema().apply("sepal_length").dataType().typeName());
        assertEquals("string", rawIris().schema().apply("species").dataType().typeName());
        Dataset<Row> iris = iris();
        assertEquals(150, iris.count());
        Row first = iris.first();
        assertEquals(5.1, first.getDouble(0), 0);
        assertEquals(0.2, first.getDouble(3), 0);
        List<Row> perClass = iris.groupBy("label").agg(functions.count("*"), functions.avg("petal_length"))
                .orderBy("label").collectAsList();
        assertEquals(3, perClass.size());
        for (Row r : perClass) {
            assertEquals(50L, r.getLong(1), "rows of class " + r.get(0));
        }
        // scikit-learn's iris: mean petal length 1.462 (setosa), 4.26 (versicolor), 5.552 (virginica).
        assertEquals(1.462, perClass.get(0).getDouble(2), 1e-9);
        assertEquals(4.26, perClass.get(1).getDouble(2), 1e-9);
        assertEquals(5.552, perClass.get(2).getDouble(2), 1e-9);
    }

    @Test
    void pipelineOfVectorAssemblerAndStandardScaler() {
        Dataset<Row> iris = iris();
        StandardScaler scaler = new StandardScaler().setInputCol("features").setOutputCol("scaled").setWithMean(true)
                .setWithStd(true);
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {assembler(), scaler}).fit(iris);
        List<Row> rows = model.transform(iris).select("scaled").collectAsList();
        assertEquals(150, rows.size());
        double[] sum = new double[4];
        double[] sumSq = new double[4];
        for (Row r : rows) {
            double[] v = ((Vector) r.get(0)).toArray();
            for (int j = 0; j < 4; j++) {
                sum[j] += v[j];
                sumSq[j] += v[j] * v[j];
            }
        }
        for (int j = 0; j < 4; j++) {
            assertEquals(0, sum[j] / 150, 1e-12, "mean of scaled feature " + j);
            // StandardScaler divides by the sample standard deviation (n - 1).
            assertEquals(1, sumSq[j] / 149, 1e-12, "variance of scaled feature " + j);
        }
    }

    @Test
    void parquetJsonAndLibsvmRoundTripsOfAVectorColumn(@TempDir Path dir) {
        Dataset<Row> assembled = assembler().transform(iris()).select(functions.col("label").cast("double")
                .as("label"), functions.col("features"));
        List<Row> expected = assembled.orderBy("label", "features").collectAsList();
        assembled.write().parquet(dir.resolve("iris.parquet").toString());
        assembled.write().json(dir.resolve("iris.json").toString());
        assembled.write().format("libsvm").save(dir.resolve("iris.libsvm").toString());

        Dataset<Row> parquet = spark.read().parquet(dir.resolve("iris.parquet").toString());
        assertEquals("vector", parquet.schema().apply("features").dataType().typeName());
        assertRows(expected, parquet.orderBy("label", "features").collectAsList());

        Dataset<Row> libsvm = spark.read().format("libsvm").option("numFeatures", "4")
                .load(dir.resolve("iris.libsvm").toString());
        assertRows(expected, libsvm.select("label", "features").orderBy("label", "features").collectAsList());

        // JSON has no vector type: a vector comes back as its struct (type 1 = dense, values).
        Dataset<Row> json = spark.read().json(dir.resolve("iris.json").toString());
        assertEquals(150, json.count());
        List<Row> firstSetosa = json.where("label = 0").select("features.type", "features.values").limit(1)
                .collectAsList();
        assertEquals(1L, firstSetosa.get(0).getLong(0));
        assertEquals(4, firstSetosa.get(0).getList(1).size());
    }

    private static void assertRows(List<Row> expected, List<Row> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).getDouble(0), actual.get(i).getDouble(0), 0, "label of row " + i);
            assertArrayEquals(((Vector) expected.get(i).get(1)).toArray(), ((Vector) actual.get(i).get(1)).toArray(),
                    0, "features of row " + i);
        }
    }

    /** A class no registrator knows. */
    record Unregistered(int value) implements Serializable {
    }

    @Test
    void aTableOfMoreFoldersThanSparkListsOnTheDriverIsListedByAJob(@TempDir Path dir) {
        // Above spark.sql.sources.parallelPartitionDiscovery.threshold (32) paths, Spark lists the folders in a
        // Spark job, which ships Hadoop Path[] and Spark's serializable file statuses through Kryo.
        String table = dir.resolve("by_row").toString();
        iris().withColumn("part", functions.monotonically_increasing_id().mod(40)).write().partitionBy("part")
                .parquet(table);
        Dataset<Row> back = spark.read().parquet(table);
        assertEquals(40, back.select("part").distinct().count());
        assertEquals(150, back.count());
        assertEquals(876.5, back.agg(functions.sum("sepal_length")).first().getDouble(0), 1e-9);
    }

    @Test
    void anUnregisteredClassFailsWithTheSettingToChange() {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Exception e = assertThrows(Exception.class,
                () -> sc.parallelize(List.of(1, 2, 3), 2).map(Unregistered::new).collect());
        RuntimeException explained = SparkgradKryoRegistrator.explain(e);
        String name = Unregistered.class.getName();
        assertTrue(explained.getMessage().startsWith("Kryo could not serialize " + name
                + ": spark.kryo.registrationRequired is true and " + name + " is not registered."), explained.getMessage());
        assertTrue(explained.getMessage().contains("spark.kryo.classesToRegister=" + name), explained.getMessage());
        assertTrue(explained.getMessage().contains("spark.kryo.registrationRequired=false"), explained.getMessage());
        assertEquals(e, explained.getCause());
        IllegalStateException other = new IllegalStateException("something else");
        assertEquals(other, SparkgradKryoRegistrator.explain(other));
    }
}
