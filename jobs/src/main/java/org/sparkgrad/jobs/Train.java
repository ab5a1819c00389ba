package org.sparkgrad.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkgrad.spark.TrainingException;
import org.sparkgrad.spark.ml.MlpClassifier;
import org.sparkgrad.spark.ml.MlpEstimator;
import org.sparkgrad.spark.ml.MlpMetrics;
import org.sparkgrad.spark.ml.MlpModel;
import org.sparkgrad.spark.ml.MlpRegressor;
import org.sparkgrad.spark.ml.MlpTrainingSummary;

/**
 * {@code bin/run train}: fits an MLP classifier or regressor ({@link MlpClassifier}, {@link MlpRegressor}) on a
 * table's feature columns, holding out a seeded validation split ({@link ValidationSplit}) that is evaluated after
 * every epoch, and writes into --out: {@code model/} (a Spark ML model folder whose {@code model.safetensors} holds
 * the weights, the standardization, the feature names and the classes), {@code loss.csv}/{@code loss.png} (per step)
 * and {@code validation.csv}/{@code validation.png} (per epoch). Prints the validation metrics: accuracy and log loss,
 * or RMSE and R².
 */
final class Train {
    private Train() {
    }

    /** train's settings; features empty means every numeric column but the label. */
    record Settings(String data, String format, String label, List<String> features, String task, int[] hidden,
            String activation, double dropout, String optimizer, double lr, double weightDecay, int batch, int epochs,
            double validation, long seed, boolean standardize, boolean dropInvalid, Path out, String master,
            String device, String stepMode) {
        /** The program's defaults (data and label have none). */
        static final Settings DEFAULTS = new Settings("", "csv", "", List.of(), "classify", new int[] {64, 64}, "relu",
                0, "adam", 0.001, 0, 32, 100, 0.2, 0, false, false, Path.of("out/train"), "auto", "auto", "auto");
        static final Options.Spec OPTIONS = new Options.Spec("bin/run train")
                .text("data", DEFAULTS.data(), "the table to train on (a file or folder; required)")
                .choice("format", DEFAULTS.format(), "its format (csv: with a header line)", TableInput.FORMATS)
                .text("label", DEFAULTS.label(), "the label column (required; libsvm: label)")
                .text("features", "", "comma-separated feature columns, or one vector column; none: every other "
                        + "numeric column")
                .choice("task", DEFAULTS.task(), "classify (softmax, cross entropy) or regress (MSE)", "classify",
                        "regress")
                .intList("hidden", "64,64", 1, "hidden layer sizes")
                .choice("activation", DEFAULTS.activation(), "the hidden layers' activation", "relu", "tanh",
                        "sigmoid", "gelu")
                .number("dropout", DEFAULTS.dropout(), Options.Range.UNIT_OPEN, "dropout after each hidden activation")
                .choice("optimizer", DEFAULTS.optimizer(), "the optimizer", "sgd", "adam", "adamw")
                .number("lr", DEFAULTS.lr(), Options.Range.POSITIVE, "the learning rate")
                .number("weight-decay", DEFAULTS.weightDecay(), Options.Range.NON_NEGATIVE, "weight decay")
                .intOption("batch", DEFAULTS.batch(), 1, "rows of each global batch")
                .intOption("epochs", DEFAULTS.epochs(), 1, "training epochs")
                .number("validation", DEFAULTS.validation(), Options.Range.UNIT_OPEN, "fraction of the rows held out "
                        + "for validation (seeded by --seed and the row's position; 0: none)")
                .integer("seed", DEFAULTS.seed(), Long.MIN_VALUE, "seed of the split, the initial weights and the batch order")
                .flag("standardize", "standardize the features with the training split's mean and std (kept in the model)")
                .flag("drop-invalid", "drop rows with empty, NaN or infinite values instead of stopping")
                .text("out", DEFAULTS.out().toString(), "folder of the model, the loss and validation CSVs and charts")
                .text("master", DEFAULTS.master(), "Spark master; auto: spark-submit's, else local[*]")
                .device("device", DEFAULTS.device(), true, "where executor tasks compute")
                .choice("step-mode", DEFAULTS.stepMode(), SparkJobSupport.STEP_MODE_HELP, "auto", "barrier", "jobs");

        static Settings from(Options o) {
            String data = o.text("data");
            String format = o.text("format");
            String label = o.given("label") || !format.equals("libsvm") ? o.text("label") : "label";
            List<String> features = o.text("features").isBlank() ? List.of()
                    : Arrays.stream(o.text("features").split(",")).map(String::trim).collect(Collectors.toList());
            return new Settings(data, format, label, features, o.text("task"), o.ints("hidden"), o.text("activation"),
                    o.number("dropout"), o.text("optimizer"), o.number("lr"), o.number("weight-decay"),
                    o.intValue("batch"), o.intValue("epochs"), o.number("validation"), o.integer("seed"),
                    o.flag("standardize"), o.flag("drop-invalid"), Path.of(o.text("out")), o.text("master"),
                    o.text("device"), o.text("step-mode"));
        }

        static Settings parse(String... args) {
            return from(OPTIONS.parse(args));
        }

        boolean classify() {
            return task.equals("classify");
        }
    }

    /** Fails with a {@link Options.BadOption} when a required option was not given. */
    static void require(String value, String option) {
        if (value.isBlank()) {
            throw new Options.BadOption("Option --" + option + " is required");
        }
    }

    /** What a run gave: the model, the validation (or, without a split, training) metrics and the files written. */
    record Result(MlpModel<?> model, MlpMetrics metrics, boolean onValidation, long trainingRows, long validationRows,
            Path modelDir, List<Path> files) {
    }

    /** The column marking validation rows. */
    static final String HELD_OUT = "sparkgrad_validation";

    static Result run(Settings s, boolean print) {
        require(s.data(), "data");
        require(s.label(), "label");
        SparkJobSupport.checkWritable(s.out());
        try (SparkJobSupport.Session session = SparkJobSupport.open(s.master(), "sparkgrad train")) {
            TableInput in = TableInput.read(session.spark(), s.data(), s.format());
            in.requireColumn(s.label(), "label");
            List<String> features = in.featureColumns(s.features(), s.label());
            List<String> used = new ArrayList<>(features);
            used.add(s.label());
            TableInput.Assembled a = in.withValidCells(used, s.dropInvalid(), print).assemble(features);
            Dataset<Row> rows = a.rows().withColumn(HELD_OUT, s.validation() > 0
                    ? ValidationSplit.isValidation(col(TableInput.ROW), s.seed(), s.validation()) : lit(false)).cache();
            long validationRows = rows.where(col(HELD_OUT)).count();
            long trainingRows = rows.count() - validationRows;
            if (print) {
                System.out.printf(Locale.ROOT, "train: %s %s, label '%s', %d features (%s); %d training and %d validation "
                        + "rows%n", s.classify() ? "classify" : "regress", s.data(), s.label(), features.size(),
                        String.join(", ", features), trainingRows, validationRows);
            }
            MlpEstimator<?, ?> estimator = s.classify() ? new MlpClassifier() : new MlpRegressor();
            estimator.setFeaturesCol(a.featuresCol()).setLabelCol(s.label()).setHiddenLayers(s.hidden())
                    .setActivation(s.activation()).setDropout(s.dropout()).setOptimizer(s.optimizer()).setLr(s.lr())
                    .setWeightDecay(s.weightDecay()).setBatchSize(s.batch()).setEpochs(s.epochs()).setSeed(s.seed())
                    .setStandardize(s.standardize()).setStepMode(s.stepMode()).setDevice(s.device());
            if (validationRows > 0) {
                estimator.setValidationIndicatorCol(HELD_OUT);
            }
            MlpModel<?> model;
            try {
                model = estimator.fit(rows);
            } catch (TrainingException | IllegalArgumentException e) {
                throw new InputError(s.data() + ": " + e.getMessage());
            } finally {
                rows.unpersist(false);
            }
            MlpTrainingSummary summary = model.summary();
            List<MlpMetrics> perEpoch = summary.validation();
            MlpMetrics metrics = validationRows > 0 ? perEpoch.get(perEpoch.size() - 1)
                    : model.evaluate(a.rows());
            Result result = new Result(model, metrics, validationRows > 0, trainingRows, validationRows,
                    s.out().resolve("model"), write(session, model, s.out()));
            if (print) {
                System.out.printf(Locale.ROOT, "%d steps in %.1f s, final training loss %.6f%n", summary.training().steps(),
                        summary.training().seconds(), last(summary.training().lossHistory()));
                SparkJobSupport.printDevices(summary.training());
                System.out.println((validationRows > 0 ? "validation: " : "training rows (no validation split): ")
                        + metrics);
                System.out.println("model written to " + result.modelDir());
                result.files().forEach(f -> System.out.println("written: " + f));
            }
            return result;
        }
    }

    private static double last(List<Double> values) {
        return values.get(values.size() - 1);
    }

    /** Writes the model folder (atomically replaced), the loss CSV and chart, and the validation CSV and chart. */
    private static List<Path> write(SparkJobSupport.Session session, MlpModel<?> model, Path out) {
        String target = out.resolve("model").toAbsolutePath().toString();
        String tmp = SparkJobSupport.temporarySibling(target);
        try {
            model.write().save(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the model to " + tmp + ": " + e.getMessage(), e);
        }
        SparkJobSupport.replaceFolder(session.spark(), tmp, target);
        MlpTrainingSummary summary = model.summary();
        List<Path> files = new ArrayList<>();
        try {
            Path loss = out.resolve("loss.csv");
            SparkJobSupport.writeAtomically(loss, f -> Files.writeString(f, summary.training().lossCsv(),
                    StandardCharsets.UTF_8));
            files.add(loss);
            files.add(Charts.lossCurve(summary.training().lossHistory(), out.resolve("loss.png")));
            if (!summary.validation().isEmpty()) {
                Path csv = out.resolve("validation.csv");
                SparkJobSupport.writeAtomically(csv, f -> Files.writeString(f, summary.validationCsv(),
                        StandardCharsets.UTF_8));
                files.add(csv);
                boolean classes = summary.validation().get(0).isClassification();
                List<Double> metric = summary.validation().stream().map(m -> classes ? m.accuracy() : m.rmse()).toList();
                files.add(Charts.lineChart(metric, "Validation " + (classes ? "accuracy" : "RMSE"), "epoch",
                        classes ? "accuracy" : "RMSE", out.resolve("validation.png")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the results to " + out + ": " + e.getMessage(), e);
        }
        return files;
    }

    /** Runs with the options of {@link Settings#OPTIONS} ({@code bin/run train --help}). */
    static void main(String[] args) {
        run(Settings.parse(args), true);
    }
}
