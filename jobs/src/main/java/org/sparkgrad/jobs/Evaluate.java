package org.sparkgrad.jobs;

import org.sparkgrad.spark.TrainingException;
import org.sparkgrad.spark.ml.MlpMetrics;

/**
 * {@code bin/run evaluate}: a model's metrics on a labelled table, computed on the executors: accuracy and log loss
 * for a classifier, RMSE and R² for a regressor.
 */
final class Evaluate {
    private Evaluate() {
    }

    /** evaluate's settings; an empty label means the column the model was trained on. */
    record Settings(String model, String data, String format, String label, boolean dropInvalid, String master) {
        static final Settings DEFAULTS = new Settings("", "", "csv", "", false, "auto");
        static final Options.Spec OPTIONS = new Options.Spec("bin/run evaluate")
                .text("model", DEFAULTS.model(), "the model folder (train's --out; required)")
                .text("data", DEFAULTS.data(), "the labelled table (required)")
                .choice("format", DEFAULTS.format(), "its format (csv: with a header line)", TableInput.FORMATS)
                .text("label", DEFAULTS.label(), "the label column (default: the one the model was trained on)")
                .flag("drop-invalid", "drop rows with empty, NaN or infinite values instead of stopping")
                .text("master", DEFAULTS.master(), "Spark master; auto: spark-submit's, else local[*]");

        static Settings from(Options o) {
            return new Settings(o.text("model"), o.text("data"), o.text("format"), o.text("label"),
                    o.flag("drop-invalid"), o.text("master"));
        }

        static Settings parse(String... args) {
            return from(OPTIONS.parse(args));
        }
    }

    static MlpMetrics run(Settings s, boolean print) {
        Train.require(s.model(), "model");
        Train.require(s.data(), "data");
        try (SparkJobSupport.Session session = SparkJobSupport.open(s.master(), "sparkgrad evaluate")) {
            String label = s.label().isEmpty() ? ModelInput.load(session.spark(), s.model()).getLabelCol() : s.label();
            ModelInput in = ModelInput.prepare(session.spark(), s.model(), s.data(), s.format(), label, s.dropInvalid());
            in.model().set(in.model().labelCol(), label);
            MlpMetrics m;
            try {
                m = in.model().evaluate(in.assembled().rows());
            } catch (TrainingException e) {
                throw new InputError(s.data() + ": " + e.getMessage());
            }
            if (print) {
                System.out.println("evaluate: " + s.data() + " with " + in.model() + ": " + m);
            }
            return m;
        }
    }

    static void main(String[] args) {
        run(Settings.parse(args), true);
    }
}
