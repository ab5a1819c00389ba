package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Class labels are checked when the data is packed (issue 15): an integer in [0, classes), the row named, or dropped
 * with dropMalformed; for RDD rows, Dataset rows and generated rows. Real local Spark.
 */
class ClassLabelPackingTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[2]");
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** Eight rows of 2 features in one partition, with these labels. */
    private static List<float[]> rows(float... labels) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            out.add(new float[] {i, -i, labels[i]});
        }
        return out;
    }

    @Test
    void theRuleIsAnIntegerFromZeroBelowTheNumberOfClasses() {
        for (float ok : new float[] {0f, 3f, 9f}) {
            assertNull(RowPacker.checkClass(ok, 10), "label " + ok);
        }
        assertEquals("label 10.0 is not a class index (an integer in [0, 10))", RowPacker.checkClass(10f, 10));
        assertEquals("label -1.0 is not a class index (an integer in [0, 10))", RowPacker.checkClass(-1f, 10));
        assertEquals("label 2.5 is not a class index (an integer in [0, 10))", RowPacker.checkClass(2.5f, 10));
        assertNull(RowPacker.checkClass(2.5f, 0), "no classes declared: any finite target");
    }

    @Test
    void badLabelsOfRddRowsAreNamedWhenPackingOrDropped() {
        List<float[]> rows = rows(0, 9, 3, 10, 1, -1, 2.5f, 4);
        TrainingException e = assertThrows(TrainingException.class,
                () -> TrainingData.fromRdd(sc.parallelize(rows, 1), 2, 1).classLabels(10).rows());
        assertTrue(e.getMessage().contains("malformed input row 3 of partition 0: label 10.0 is not a class index (an"
                + " integer in [0, 10)) (expected 2 finite feature values and a class index in [0, 10); set dropMalformed"
                + " to count and drop such rows)"), e.getMessage());
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(rows, 1), 2, 1).classLabels(10).dropMalformed(true)) {
            assertEquals(5, data.rows());
            assertEquals(3, data.droppedRows());
        }
        try (TrainingData data = TrainingData.fromRdd(sc.parallelize(rows, 1), 2, 1)) {
            assertEquals(8, data.rows(), "without declared classes every finite label is a target");
        }
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> TrainingData.fromRdd(sc.parallelize(rows, 1), 1, 2).classLabels(10));
        assertEquals("class labels are one value per row, but the rows have labelDim=2", wide.getMessage());
    }

    @Test
    void aBadLabelOfADatasetRowIsNamedWhenPacking() {
        StructType schema = new StructType()
                .add("features", DataTypes.createArrayType(DataTypes.DoubleType))
                .add("label", DataTypes.DoubleType);
        List<Row> list = List.of(RowFactory.create(List.of(1.0, 2.0), 1.0), RowFactory.create(List.of(3.0, 4.0), 2.5),
                RowFactory.create(List.of(5.0, 6.0), 0.0));
        Dataset<Row> df = spark.createDataFrame(list, schema).repartition(1);
        TrainingException e = assertThrows(TrainingException.class,
                () -> TrainingData.fromDataset(df, "features", "label").classLabels(3).rows());
        assertTrue(e.getMessage().contains("malformed input row 1 of partition 0: label 2.5 is not a class index (an"
                + " integer in [0, 3))"), e.getMessage());
        try (TrainingData data = TrainingData.fromDataset(df, "features", "label").classLabels(3).dropMalformed(true)) {
            assertEquals(2, data.rows());
        }
    }

    /** Row i has label i: beyond the classes from row `classes` on. */
    private static final class CountingLabels implements RowGenerator {
        private static final long serialVersionUID = 1L;

        @Override
        public int featureDim() {
            return 1;
        }

        @Override
        public int labelDim() {
            return 1;
        }

        @Override
        public void generate(long seed, int partition, long firstRow, int count, float[] features, float[] labels) {
            for (int i = 0; i < count; i++) {
                features[i] = firstRow + i;
                labels[i] = firstRow + i;
            }
        }

        @Override
        public String toString() {
            return "CountingLabels";
        }
    }

    @Test
    void aGeneratorThatMakesABadLabelIsNamedWithTheRow() {
        TrainingException e = assertThrows(TrainingException.class,
                () -> TrainingData.synthetic(sc, new CountingLabels(), 12, 2, 0).classLabels(7).rows());
        assertTrue(e.getMessage().contains("CountingLabels made row 7: label 7.0 is not a class index (an integer in"
                + " [0, 7))"), e.getMessage());
        try (TrainingData data = TrainingData.synthetic(sc, new CountingLabels(), 12, 2, 0).classLabels(12)) {
            assertEquals(12, data.rows());
        }
    }
}
