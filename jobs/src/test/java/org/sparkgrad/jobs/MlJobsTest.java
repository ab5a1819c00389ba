package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.spark.ml.MlpMetrics;

/**
 * The train, predict and evaluate programs on one local[2] Spark session, on scikit-learn's iris and wine data (the
 * copies in spark-trainer's test resources). The acceptance check: on the seeded validation split of
 * {@code --validation 0.3 --seed 7}, train's accuracy is at least scikit-learn's MLPClassifier's on the same split
 * (recorded by record_sklearn.py, same network and training settings) minus {@link #MARGIN}.
 */
class MlJobsTest {
    static final Path DATASETS = Path.of("..", "spark-trainer", "src", "test", "resources", "datasets");
    static final Path IRIS = DATASETS.resolve("iris.csv");
    static final Path WINE = DATASETS.resolve("wine.csv");
    /** How far below scikit-learn's validation accuracy ours may be: 0.03, one row of iris's 36 (wine has 48). */
    static final double MARGIN = 0.03;
    private static SparkJobSupport.Session session;
    private static Properties sklearn;

    @BeforeAll
    static void start() throws IOException {
        session = SparkJobSupport.open("local[2]", "sparkgrad ml jobs test");
        session.sc().setLogLevel("ERROR");
        sklearn = new Properties();
        try (Reader r = Files.newBufferedReader(DATASETS.resolve("sklearn-mlp.properties"))) {
            sklearn.load(r);
        }
    }

    @AfterAll
    static void stop() {
        session.spark().stop();
    }

    /**
     * train with the network and optimizer settings record_sklearn.py gives scikit-learn (32 relu units, adam, lr 0.01,
     * batch 16, standardized), for 50 epochs where scikit-learn runs 200: each of our epochs ends with a Spark job over
     * the validation rows, and 50 reach its accuracy.
     */
    private static Train.Result trainLikeSklearn(Path data, String label, Path out) {
        return Train.run(Train.Settings.parse("--data", data.toString(), "--label", label, "--hidden", "32",
                "--activation", "relu", "--optimizer", "adam", "--lr", "0.01", "--batch", "16", "--epochs", "50",
                "--validation", "0.3", "--seed", "7", "--standardize", "--out", out.toString()), false);
    }

    private static void assertReachesSklearn(String name, Train.Result r) {
        double theirs = Double.parseDouble(sklearn.getProperty(name + ".sklearn_accuracy"));
        double ours = r.metrics().accuracy();
        System.out.printf("%s validation accuracy: sparkgrad %.4f, scikit-learn MLPClassifier %.4f (margin %.2f); "
                + "log loss %.4f%n", name, ours, theirs, MARGIN, r.metrics().logLoss());
        assertTrue(r.onValidation());
        assertEquals(Long.parseLong(sklearn.getProperty(name + ".validation_rows")), r.validationRows(),
                "the same split as record_sklearn.py's");
        assertEquals(Long.parseLong(sklearn.getProperty(name + ".rows")), r.trainingRows() + r.validationRows());
        assertTrue(ours >= theirs - MARGIN, name + ": accuracy " + ours + " < scikit-learn's " + theirs + " - " + MARGIN);
    }

    @Test
    void trainOnIrisReachesScikitLearnsAccuracyAndPredictAndEvaluateUseTheModel(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("iris");
        Train.Result r = trainLikeSklearn(IRIS, "species", out);
        assertReachesSklearn("iris", r);
        // the files
        assertTrue(Files.isDirectory(out.resolve("model").resolve("metadata")));
        SafeTensors.Contents file = SafeTensors.read(out.resolve("model").resolve("model.safetensors"));
        assertEquals("[\"sepal_length\",\"sepal_width\",\"petal_length\",\"petal_width\"]",
                file.metadata().get("featureNames"));
        assertEquals("[\"setosa\",\"versicolor\",\"virginica\"]", file.metadata().get("labels"));
        assertEquals("true", file.metadata().get("standardize"));
        List<String> loss = Files.readAllLines(out.resolve("loss.csv"));
        assertEquals(50 * ((r.trainingRows() + 15) / 16) + 1, loss.size());
        List<String> validation = Files.readAllLines(out.resolve("validation.csv"));
        assertEquals("epoch,accuracy,log_loss", validation.get(0));
        assertEquals(51, validation.size());
        assertEquals("50," + r.metrics().csvValues(), validation.get(50));
        for (String png : List.of("loss.png", "validation.png")) {
            byte[] b = Files.readAllBytes(out.resolve(png));
            assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', png);
        }

        // predict writes every row with the prediction and one probability column per class; Spark reads it back
        Path csv = dir.resolve("predictions-csv");
        assertEquals(150, Predict.run(Predict.Settings.parse("--model", out.toString(), "--data", IRIS.toString(),
                "--out", csv.toString(), "--output-format", "csv"), false));
        Dataset<Row> back = session.spark().read().option("header", "true").option("inferSchema", "true")
                .csv(csv.toString());
        assertEquals(150, back.count());
        assertEquals(List.of("sepal_length", "sepal_width", "petal_length", "petal_width", "species", "prediction",
                "probability_setosa", "probability_versicolor", "probability_virginica"), List.of(back.columns()));
        double right = back.where("prediction = species").count() / 150.0;
        Path parquet = dir.resolve("predictions-parquet");
        Predict.run(Predict.Settings.parse("--model", out.resolve("model").toString(), "--data", IRIS.toString(),
                "--out", parquet.toString()), false);
        Dataset<Row> p = session.spark().read().parquet(parquet.toString());
        assertEquals(150, p.count());
        assertEquals(9, p.columns().length);
        for (Row row : p.select("probability_setosa", "probability_versicolor", "probability_virginica").collectAsList()) {
            assertEquals(1.0, row.getDouble(0) + row.getDouble(1) + row.getDouble(2), 1e-5);
        }
        // the rows are in the input's order
        assertEquals(session.spark().read().option("header", "true").csv(IRIS.toString()).select("species")
                .collectAsList(), p.select("species").collectAsList());

        // evaluate: the same accuracy on all 150 rows as the predictions give
        MlpMetrics all = Evaluate.run(Evaluate.Settings.parse("--model", out.toString(), "--data", IRIS.toString()), false);
        assertEquals(150, all.rows());
        assertEquals(right, all.accuracy(), 1e-12);
        assertTrue(all.accuracy() > 0.95, all.toString());
    }

    @Test
    void trainOnWineReachesScikitLearnsAccuracy(@TempDir Path dir) {
        assertReachesSklearn("wine", trainLikeSklearn(WINE, "class", dir));
    }

    @Test
    void regressionOnIrisPrintsRmseAndR2(@TempDir Path dir) {
        Train.Result r = Train.run(Train.Settings.parse("--data", IRIS.toString(), "--task", "regress", "--label",
                "petal_width", "--features", "sepal_length,sepal_width,petal_length", "--hidden", "16", "--lr", "0.01",
                "--batch", "16", "--epochs", "30", "--standardize", "--out", dir.toString()), false);
        assertTrue(!r.metrics().isClassification() && r.metrics().r2() > 0.85, r.metrics().toString());
        assertEquals("epoch,rmse,r2", Files.exists(dir.resolve("validation.csv")) ? readFirst(dir.resolve("validation.csv"))
                : "missing");
        MlpMetrics m = Evaluate.run(Evaluate.Settings.parse("--model", dir.toString(), "--data", IRIS.toString()), false);
        assertEquals(150, m.rows());
        assertTrue(m.rmse() < 0.3, m.toString());
    }

    private static String readFirst(Path file) {
        try {
            return Files.readAllLines(file).get(0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String trainError(Path data, Path out, String... more) {
        String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("--data", data.toString(), "--epochs",
                "1", "--out", out.toString()), java.util.Arrays.stream(more)).toArray(String[]::new);
        return assertThrows(InputError.class, () -> Train.run(Train.Settings.parse(args), false)).getMessage();
    }

    @Test
    void badInputStopsWithTheFileTheRowAndTheColumn(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        assertEquals(IRIS + " has no label column 'kind'; its columns are sepal_length, sepal_width, petal_length, "
                + "petal_width, species", trainError(IRIS, out, "--label", "kind"));
        assertEquals(IRIS + ": feature column 'species' has type string, e.g. row 1 (line 2) holds 'setosa'; features "
                + "must be numeric columns or one vector column", trainError(IRIS, out, "--label", "petal_width",
                        "--task", "regress", "--features", "sepal_length,species"));
        Path holes = dir.resolve("holes.csv");
        Files.writeString(holes, "a,b,y\n1,2,x\n3,4,z\n5,,x\n7,NaN,z\n9,10,x\n");
        assertEquals(holes + ": row 3 (line 4), column 'b' is empty (2 row(s) have empty, NaN or infinite values in a, b, "
                + "y; pass --drop-invalid to drop them)", trainError(holes, out, "--label", "y"));
        Train.Result dropped = Train.run(Train.Settings.parse("--data", holes.toString(), "--label", "y", "--epochs", "1",
                "--validation", "0", "--drop-invalid", "--out", out.toString()), false);
        assertEquals(3, dropped.trainingRows());
        Path one = dir.resolve("one-class.csv");
        Files.writeString(one, "a,y\n1,x\n2,x\n");
        assertEquals(one + ": label column 'y' has a single class (x) in the training rows; a classifier needs at least "
                + "two", trainError(one, out, "--label", "y", "--validation", "0"));
        assertEquals("--data " + dir.resolve("nothing.csv") + " does not exist", trainError(dir.resolve("nothing.csv"),
                out, "--label", "y"));
        Options.BadOption noData = assertThrows(Options.BadOption.class, () -> Train.run(Train.Settings.parse("--label",
                "y"), false));
        assertEquals("Option --data is required", noData.getMessage());
        Options.BadOption badTask = assertThrows(Options.BadOption.class, () -> Train.Settings.parse("--task", "cluster"));
        assertEquals("Option --task expects one of classify|regress, got 'cluster'", badTask.getMessage());
    }

    @Test
    void predictNamesTheColumnsTheModelNeeds(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("m");
        Train.run(Train.Settings.parse("--data", IRIS.toString(), "--label", "species", "--epochs", "1", "--out",
                out.toString()), false);
        Path fewer = dir.resolve("fewer.csv");
        Files.writeString(fewer, "sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n");
        InputError e = assertThrows(InputError.class, () -> Predict.run(Predict.Settings.parse("--model", out.toString(),
                "--data", fewer.toString(), "--out", dir.resolve("p").toString()), false));
        assertEquals(fewer + " has no feature column 'petal_width'; its columns are sepal_length, sepal_width, "
                + "petal_length", e.getMessage());
        InputError notModel = assertThrows(InputError.class, () -> Predict.run(Predict.Settings.parse("--model",
                dir.toString(), "--data", IRIS.toString(), "--out", dir.resolve("p").toString()), false));
        assertTrue(notModel.getMessage().startsWith("--model " + dir + " is not a model folder"), notModel.getMessage());
    }

    @Test
    void theProgramsAreListedAndTrainHelpListsItsOptions() {
        String help = MainTest.mainOutput("train", "--help");
        for (String option : List.of("--data", "--format", "--label", "--features", "--task", "--hidden", "--activation",
                "--dropout", "--optimizer", "--lr", "--weight-decay", "--batch", "--epochs", "--validation",
                "--standardize", "--out", "--drop-invalid")) {
            assertTrue(help.contains("  " + option + " "), option + " in:\n" + help);
        }
        assertTrue(Main.PROGRAMS.keySet().containsAll(List.of("train", "predict", "evaluate")));
    }
}
