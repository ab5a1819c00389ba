package org.sparkgrad.jobs;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkgrad.spark.TrainingException;
import org.sparkgrad.spark.ml.MlpClassificationModel;

/**
 * {@code bin/run predict}: scores a table with a model written by train and writes its rows (in their order) with the
 * prediction and, for a classifier, one {@code probability_<class>} column per class, as Parquet or CSV (written
 * under a temporary name and renamed).
 */
final class Predict {
    private Predict() {
    }

    /** predict's settings. */
    record Settings(String model, String data, String format, String out, String outputFormat, boolean dropInvalid,
            String master) {
        static final Settings DEFAULTS = new Settings("", "", "csv", "", "parquet", false, "auto");
        static final Options.Spec OPTIONS = new Options.Spec("bin/run predict")
                .text("model", DEFAULTS.model(), "the model folder (train's --out; required)")
                .text("data", DEFAULTS.data(), "the table to score (required)")
                .choice("format", DEFAULTS.format(), "its format (csv: with a header line)", TableInput.FORMATS)
                .text("out", DEFAULTS.out(), "where the scored rows go (a folder, as Spark writes; required)")
                .choice("output-format", DEFAULTS.outputFormat(), "the output's format", "parquet", "csv")
                .flag("drop-invalid", "drop rows with empty, NaN or infinite values instead of stopping")
                .text("master", DEFAULTS.master(), "Spark master; auto: spark-submit's, else local[*]");

        static Settings from(Options o) {
            return new Settings(o.text("model"), o.text("data"), o.text("format"), o.text("out"),
                    o.text("output-format"), o.flag("drop-invalid"), o.text("master"));
        }

        static Settings parse(String... args) {
            return from(OPTIONS.parse(args));
        }
    }

    /** Scores and writes; returns the number of rows written. */
    static long run(Settings s, boolean print) {
        Train.require(s.model(), "model");
        Train.require(s.data(), "data");
        Train.require(s.out(), "out");
        try (SparkJobSupport.Session session = SparkJobSupport.open(s.master(), "sparkgrad predict")) {
            ModelInput in = ModelInput.prepare(session.spark(), s.model(), s.data(), s.format(), null, s.dropInvalid());
            Dataset<Row> scored = in.model().transform(in.assembled().rows());
            List<Column> out = new ArrayList<>();
            for (String c : in.input().columns()) {
                out.add(col(c));
            }
            out.add(col(in.model().getPredictionCol()));
            if (in.model() instanceof MlpClassificationModel m) {
                Column p = org.apache.spark.ml.functions.vector_to_array(col(m.getProbabilityCol()), "float64");
                List<String> classes = m.classes();
                for (int k = 0; k < classes.size(); k++) {
                    out.add(p.getItem(k).as("probability_" + classes.get(k)));
                }
            }
            // No shuffle from the read to the write: each partition is written in order, so the rows keep the input's order.
            Dataset<Row> rows = scored.select(out.toArray(new Column[0])).cache();
            String tmp = SparkJobSupport.temporarySibling(s.out());
            try {
                rows.write().format(s.outputFormat()).option("header", "true").save(tmp);
            } catch (RuntimeException e) {
                TrainingException te = findTrainingException(e);
                throw te != null ? new InputError(s.data() + ": " + te.getMessage()) : e;
            }
            SparkJobSupport.replaceFolder(session.spark(), tmp, s.out());
            long n = rows.count();
            rows.unpersist(false);
            if (print) {
                System.out.println("predict: " + n + " rows of " + s.data() + " scored by " + in.model() + ", written to "
                        + s.out() + " (" + s.outputFormat() + ")");
            }
            return n;
        }
    }

    /** The TrainingException (an executor's scoring error) in a Spark failure's causes, or null. */
    static TrainingException findTrainingException(Throwable t) {
        for (Throwable c = t; c != null && c.getCause() != c; c = c.getCause()) {
            if (c instanceof TrainingException te) {
                return te;
            }
        }
        return null;
    }

    static void main(String[] args) {
        run(Settings.parse(args), true);
    }
}
