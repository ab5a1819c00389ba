package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.BatchNorm2d;
import org.sparkgrad.engine.nn.Conv2d;
import org.sparkgrad.engine.nn.Dropout;
import org.sparkgrad.engine.nn.F;
import org.sparkgrad.engine.nn.Flatten;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MaxPool2d;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.ReLU;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.optim.Adam;

/**
 * A real data set through the general step: scikit-learn's digits (1797 8x8 images of handwritten digits, pixel counts
 * 0..16; src/test/resources/datasets/digits.csv.gz, see digits.LICENSE.txt) as image-shaped rows [1, 8, 8] and class
 * indices, trained data-parallel over 3 partitions by a small CNN (Conv2d, BatchNorm2d, MaxPool2d, Dropout); the held-out fifth is classified on
 * the driver.
 */
class DigitsTrainingTest {
    private static SparkSession spark;

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

    /** The digits: 64 pixels scaled to [0, 1] then the digit, one row per image, in the file's order. */
    static List<float[]> digits() throws IOException {
        List<float[]> rows = new ArrayList<>();
        try (InputStream in = DigitsTrainingTest.class.getResourceAsStream("/datasets/digits.csv.gz");
                BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in),
                        StandardCharsets.US_ASCII))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] f = line.split(",");
                float[] row = new float[65];
                for (int j = 0; j < 64; j++) {
                    row[j] = Float.parseFloat(f[j]) / 16f;
                }
                row[64] = Float.parseFloat(f[64]);
                rows.add(row);
            }
        }
        return rows;
    }

    private static final SerializableSupplier<Module> NET = () -> {
        Generator g = new Generator(4);
        return new Sequential(new Conv2d(1, 8, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1,
                true, g), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2), new Dropout(0.1, g), new Flatten(),
                new Linear(8 * 4 * 4, 10, true, g));
    };

    @Test
    void aSmallCnnWithBatchNormLearnsTheDigitsFromImageShapedRows() throws IOException {
        List<float[]> all = digits();
        assertEquals(1797, all.size());
        List<Row> train = new ArrayList<>();
        List<float[]> test = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            float[] row = all.get(i);
            if (i % 5 == 4) {
                test.add(row);
            } else {
                train.add(RowFactory.create(java.util.Arrays.copyOf(row, 64), (int) row[64]));
            }
        }
        StructType schema = new StructType().add("pixels", DataTypes.createArrayType(DataTypes.FloatType))
                .add("digit", DataTypes.IntegerType);
        Dataset<Row> df = SparkTestSupport.ordered(spark, train, schema, 3);
        BatchSpec spec = new BatchSpec().floats("image", "pixels", 1, 8, 8).classes("label", "digit", 10);
        TrainStep step = (model, b) -> F.crossEntropy(model.call(b.get("image")), b.get("label"));
        TrainingResult r;
        try (TrainingData data = TrainingData.fromColumns(df, spec)) {
            r = DataParallelTrainer.forStep(NET, step, Reduction.MEAN, p -> new Adam(p, 0.01)).batchSize(64).epochs(6)
                    .seed(1).logEvery(0).fit(data);
            assertEquals(1438, data.rows());
        }
        Module model = r.model().eval();
        float[] x = new float[test.size() * 64];
        for (int i = 0; i < test.size(); i++) {
            System.arraycopy(test.get(i), 0, x, i * 64, 64);
        }
        float[] logits;
        try (GradMode.Scope g = GradMode.noGrad()) {
            logits = model.call(Tensor.tensor(x, test.size(), 1, 8, 8)).toFloatArray();
        }
        int correct = 0;
        for (int i = 0; i < test.size(); i++) {
            int best = 0;
            for (int c = 1; c < 10; c++) {
                if (logits[i * 10 + c] > logits[i * 10 + best]) {
                    best = c;
                }
            }
            correct += best == (int) test.get(i)[64] ? 1 : 0;
        }
        double accuracy = correct / (double) test.size();
        java.util.logging.Logger.getLogger(DigitsTrainingTest.class.getName()).info("digits: held-out accuracy "
                + accuracy + " (" + correct + " of " + test.size() + "), losses " + r.lossHistory().get(0) + " -> "
                + r.lossHistory().get(r.lossHistory().size() - 1) + " in " + r.seconds() + " s");
        // 6 epochs of 23 steps: the first epoch's mean loss is near ln(10) = 2.3, the last's far below
        double first = r.lossHistory().subList(0, 23).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = r.lossHistory().subList(115, 138).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < 0.25 * first, "mean loss of the first epoch " + first + ", of the last " + last);
        assertTrue(accuracy >= 0.93, "held-out accuracy " + accuracy + " (" + correct + " of " + test.size() + ")");
        assertEquals(138L, r.buffers().get("1.num_batches_tracked").toLongArray()[0]);
    }
}
