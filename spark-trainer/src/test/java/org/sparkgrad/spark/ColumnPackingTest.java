package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Tensor;

/** {@link TrainingData#fromColumns}: rows packed by a {@link BatchSpec}, the batches they become, and packing errors. */
class ColumnPackingTest {
    private static SparkSession spark;

    private static final StructType SCHEMA = new StructType()
            .add("pixels", DataTypes.createArrayType(DataTypes.DoubleType))
            .add("w", DataTypes.DoubleType)
            .add("ids", DataTypes.createArrayType(DataTypes.LongType))
            .add("digit", DataTypes.IntegerType);

    private static final BatchSpec SPEC = new BatchSpec().floats("image", "pixels", 1, 2, 2).floats("weight", "w")
            .longs("tokens", "ids", 3).classes("label", "digit", 3);

    @BeforeAll
    static void start() {
        spark = SparkTestSupport.session("local[3]");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static Row row(List<Double> pixels, Double w, List<Long> ids, Integer digit) {
        return RowFactory.create(pixels, w, ids, digit);
    }

    private static Row good(int i) {
        return row(List.of(i + 0.5, i + 1.0, -i - 0.25, 2.0 * i), 0.5 * i, List.of((long) i, 16_777_216L, -7L), i % 3);
    }

    private static Dataset<Row> frame(List<Row> rows, StructType schema, int partitions) {
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }

    /** The message of packing rows (good ones, then bad at position 2) with spec. */
    private static String packingError(Row bad, BatchSpec spec) {
        List<Row> rows = new ArrayList<>(List.of(good(0), good(1), bad));
        try (TrainingData data = TrainingData.fromColumns(spark.createDataFrame(rows, SCHEMA).coalesce(1), spec)) {
            return assertThrows(TrainingException.class, data::rows).getMessage();
        }
    }

    @Test
    void rowsBecomeNamedTensorsWithTheBatchDimensionFirst() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            rows.add(good(i));
        }
        try (TrainingData data = TrainingData.fromColumns(frame(rows, SCHEMA, 2), SPEC)) {
            assertEquals(7, data.rows());
            assertEquals(4 + 1 + 3 + 1, data.featureDim());
            assertEquals(0, data.labelDim());
            assertEquals(List.of("image", "weight", "tokens", "label"), SPEC.names());
            int seen = 0;
            for (DataBlock b : data.packed().blocks().collect()) {
                if (b.rows == 0) {
                    continue;
                }
                int[] order = new int[b.rows];
                for (int r = 0; r < b.rows; r++) {
                    order[r] = b.rows - 1 - r; // any order: the batch follows it
                }
                TensorBatch batch = SPEC.slice(b.features, b.labels, order, 0, b.rows, Device.CPU);
                assertEquals(b.rows, batch.size());
                assertArrayEquals(new int[] {b.rows, 1, 2, 2}, batch.get("image").shape());
                assertEquals(DType.FLOAT32, batch.get("image").dtype());
                assertArrayEquals(new int[] {b.rows}, batch.get("weight").shape());
                assertArrayEquals(new int[] {b.rows, 3}, batch.get("tokens").shape());
                assertEquals(DType.INT64, batch.get("tokens").dtype());
                assertArrayEquals(new int[] {b.rows}, batch.get("label").shape());
                assertEquals(DType.INT64, batch.get("label").dtype());
                float[] image = batch.get("image").toFloatArray();
                float[] weight = batch.get("weight").toFloatArray();
                long[] tokens = batch.get("tokens").toLongArray();
                long[] label = batch.get("label").toLongArray();
                for (int k = 0; k < b.rows; k++) {
                    int i = (int) tokens[3 * k]; // the row's original index
                    assertArrayEquals(new float[] {i + 0.5f, i + 1f, -i - 0.25f, 2f * i},
                            Arrays.copyOfRange(image, 4 * k, 4 * k + 4), "image of row " + i);
                    assertEquals(0.5f * i, weight[k]);
                    assertArrayEquals(new long[] {i, 16_777_216L, -7}, Arrays.copyOfRange(tokens, 3 * k, 3 * k + 3));
                    assertEquals(i % 3, label[k]);
                    seen++;
                }
            }
            assertEquals(7, seen);
        }
    }

    @Test
    void aRowWithTheWrongNumberOfValuesNamesTheRowColumnInputAndBothCounts() {
        String m = packingError(row(List.of(1.0, 2.0, 3.0), 1.0, List.of(1L, 2L, 3L), 0), SPEC);
        assertTrue(m.contains("malformed input row 2 of partition 0: column 'pixels' (input 'image', per-row shape"
                + " [1, 2, 2]) has 3 values, not 4 (expected image float32[1, 2, 2] from column 'pixels'; weight"
                + " float32[] from column 'w'; tokens int64[3] from column 'ids'; label int64[] from column 'digit', a class"
                + " index in [0, 3); set dropMalformed to count and drop such rows)"), m);
    }

    @Test
    void badValuesAreNamedWithWhatCameAndWhatWasExpected() {
        List<Double> px = List.of(1.0, 2.0, 3.0, 4.0);
        assertTrue(packingError(row(List.of(1.0, Double.NaN, 3.0, 4.0), 1.0, List.of(1L, 2L, 3L), 0), SPEC)
                .contains("row 2 of partition 0: column 'pixels' (input 'image', per-row shape [1, 2, 2]) value 1 is NaN,"
                        + " not a finite float32"));
        assertTrue(packingError(row(px, 1e39, List.of(1L, 2L, 3L), 0), SPEC)
                .contains("column 'w' (input 'weight', per-row shape []) is 1.0E39, not a finite float32"));
        assertTrue(packingError(row(px, 1.0, List.of(1L, 2L, 16_777_217L), 0), SPEC)
                .contains("column 'ids' (input 'tokens', per-row shape [3]) value 2 is 16777217, beyond the magnitude"
                        + " 16777216 (2^24) up to which the packed float32 rows hold integers exactly"));
        assertTrue(packingError(row(px, 1.0, List.of(1L, 2L, 3L), 3), SPEC)
                .contains("column 'digit' (input 'label', per-row shape []) is 3, not a class index in [0, 3)"));
        assertTrue(packingError(row(px, 1.0, List.of(1L, 2L, 3L), -1), SPEC)
                .contains("column 'digit' (input 'label', per-row shape []) is -1, not a class index in [0, 3)"));
        assertTrue(packingError(row(px, null, List.of(1L, 2L, 3L), 0), SPEC)
                .contains("row 2 of partition 0: column 'w' (input 'weight', per-row shape []) is null"));
        // an int64 input read from a double column must hold integers: good(1) has w = 0.5
        assertTrue(packingError(good(2), new BatchSpec().longs("n", "w"))
                .contains("malformed input row 1 of partition 0: column 'w' (input 'n', per-row shape []) is 0.5, not an"
                        + " integer (expected n int64[] from column 'w'; set dropMalformed"));
    }

    @Test
    void malformedRowsAreCountedAndDroppedWhenAsked() {
        List<Row> rows = new ArrayList<>(List.of(good(0), good(1), good(2)));
        rows.add(row(List.of(1.0), 1.0, List.of(1L, 2L, 3L), 0));
        rows.add(row(List.of(1.0, 2.0, 3.0, 4.0), 1.0, List.of(1L, 2L, 3L), 9));
        try (TrainingData data = TrainingData.fromColumns(frame(rows, SCHEMA, 2), SPEC).dropMalformed(true)) {
            assertEquals(3, data.rows());
            assertEquals(2, data.droppedRows());
        }
    }

    @Test
    void declarationsThatCannotFitTheSchemaFailBeforePacking() {
        Dataset<Row> df = spark.createDataFrame(List.of(good(0)), SCHEMA);
        TrainingException missing = assertThrows(TrainingException.class,
                () -> TrainingData.fromColumns(df, new BatchSpec().floats("image", "pixel", 4)));
        assertEquals("input 'image' reads column 'pixel', which the Dataset does not have; its columns are [pixels, w,"
                + " ids, digit]", missing.getMessage());
        TrainingException scalar = assertThrows(TrainingException.class,
                () -> TrainingData.fromColumns(df, new BatchSpec().floats("weight", "w", 2)));
        assertEquals("input 'weight' declares per-row shape [2] (2 values), but column 'w' holds one double per row",
                scalar.getMessage());
        StructType nested = new StructType().add("m", DataTypes.createArrayType(DataTypes.createArrayType(
                DataTypes.FloatType)));
        Dataset<Row> nestedDf = spark.createDataFrame(List.of(RowFactory.create(List.of(List.of(1f)))), nested);
        TrainingException type = assertThrows(TrainingException.class,
                () -> TrainingData.fromColumns(nestedDf, new BatchSpec().floats("m", "m", 1, 1)));
        assertEquals("column 'm' has type array<array<float>>; expected a vector, an array of numbers or a number",
                type.getMessage());
        assertEquals("the BatchSpec declares no inputs; add them with floats, longs or classes",
                assertThrows(IllegalArgumentException.class, () -> TrainingData.fromColumns(df, new BatchSpec()))
                        .getMessage());
        assertEquals("input 'image' is declared twice", assertThrows(IllegalArgumentException.class,
                () -> new BatchSpec().floats("image", "pixels", 4).longs("image", "ids", 3)).getMessage());
        assertEquals("input 'image' has per-row shape [1, 0, 2]; every dimension must be at least 1",
                assertThrows(IllegalArgumentException.class, () -> new BatchSpec().floats("image", "pixels", 1, 0, 2))
                        .getMessage());
    }

    @Test
    void aBatchNamesTheInputsItHasWhenAskedForAnother() {
        TensorBatch b = new TensorBatch(java.util.Map.of("x", Tensor.zeros(2, 3)), 2);
        assertEquals("the batch has no input 'y'; it has [x]",
                assertThrows(IllegalArgumentException.class, () -> b.get("y")).getMessage());
        assertEquals("input 'x' has shape [3, 3]; a batch of 2 rows needs the batch dimension 2 first",
                assertThrows(IllegalArgumentException.class,
                        () -> new TensorBatch(java.util.Map.of("x", Tensor.zeros(3, 3)), 2)).getMessage());
    }
}
