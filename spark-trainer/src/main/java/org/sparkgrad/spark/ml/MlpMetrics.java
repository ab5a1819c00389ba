package org.sparkgrad.spark.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.when;

import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.sparkgrad.spark.TrainingException;

/**
 * A model's metrics on labelled rows, computed on the executors in one aggregation: for classification the accuracy
 * and the log loss (mean of -ln p(true class), p clipped at 1e-15 as scikit-learn does), for regression the RMSE and
 * R² (1 - residual sum of squares / total sum of squares). The other task's fields are NaN.
 *
 * @param rows the rows evaluated
 * @param accuracy the share of rows whose predicted class is the label (classification)
 * @param logLoss the mean negative log probability of the label (classification)
 * @param rmse the root mean squared error (regression)
 * @param r2 the coefficient of determination (regression)
 */
public record MlpMetrics(long rows, double accuracy, double logLoss, double rmse, double r2) {
    /** Whether these are classification metrics. */
    public boolean isClassification() {
        return !Double.isNaN(accuracy);
    }

    /** The CSV header of {@link #csvValues()}: {@code accuracy,log_loss} or {@code rmse,r2}. */
    public String csvHeader() {
        return isClassification() ? "accuracy,log_loss" : "rmse,r2";
    }

    /** The two metrics as CSV values. */
    public String csvValues() {
        return isClassification() ? String.format(Locale.ROOT, "%.6f,%.6f", accuracy, logLoss)
                : String.format(Locale.ROOT, "%.6f,%.6f", rmse, r2);
    }

    @Override
    public String toString() {
        return isClassification() ? String.format(Locale.ROOT, "accuracy %.4f, log loss %.4f on %d rows", accuracy,
                logLoss, rows) : String.format(Locale.ROOT, "RMSE %.6g, R² %.4f on %d rows", rmse, r2, rows);
    }

    /** Classification metrics of scored rows (the model's prediction and probability columns beside the label). */
    static MlpMetrics classification(Dataset<Row> scored, String labelCol, String predictionCol, String probabilityCol,
            LabelMapping labels) {
        Column label = col(labelCol);
        Column index = labels.indexOf(label);
        Column probability = element_at(org.apache.spark.ml.functions.vector_to_array(col(probabilityCol), "float64"),
                index.plus(1));
        double[] r = sums(scored.where(label.isNotNull()).select(
                when(col(predictionCol).equalTo(label.try_cast(labels.type())), 1.0).otherwise(0.0),
                log(greatest(probability, lit(1e-15))).multiply(-1), when(index.isNull(), 1.0).otherwise(0.0)));
        long n = (long) r[3];
        if (r[2] > 0) {
            Row sample = scored.where(label.isNotNull().and(index.isNull())).select(label.cast(DataTypes.StringType))
                    .first();
            throw new TrainingException("label column '" + labelCol + "' holds " + (long) r[2] + " row(s) with labels "
                    + "the model has no class for, e.g. '" + sample.get(0) + "'; its classes are "
                    + String.join(", ", labels.labels()));
        }
        return new MlpMetrics(n, r[0] / n, r[1] / n, Double.NaN, Double.NaN);
    }

    /** Regression metrics of scored rows (the prediction column beside the label). */
    static MlpMetrics regression(Dataset<Row> scored, String labelCol, String predictionCol) {
        Column y = col(labelCol).try_cast(DataTypes.DoubleType);
        Dataset<Row> rows = scored.where(y.isNotNull());
        double[] r = sums(rows.select(pow(col(predictionCol).minus(y), 2), y));
        long n = (long) r[2];
        double ssRes = r[0];
        double ssTot = sums(rows.select(pow(y.minus(lit(r[1] / n)), 2)))[0];
        return new MlpMetrics(n, Double.NaN, Double.NaN, Math.sqrt(ssRes / n), 1 - ssRes / ssTot);
    }

    /**
     * The sums of rows' double columns (nulls as 0) and, last, the row count: added per partition, then in partition
     * order, so the same rows give the same metrics to the last bit, whichever order the tasks finish in (Spark SQL's
     * avg and sum add the partial sums in the order they arrive).
     */
    private static double[] sums(Dataset<Row> columns) {
        int k = columns.columns().length;
        List<double[]> parts = columns.javaRDD().mapPartitions((FlatMapFunction<Iterator<Row>, double[]>) it -> {
            double[] s = new double[k + 1];
            while (it.hasNext()) {
                Row row = it.next();
                for (int j = 0; j < k; j++) {
                    if (!row.isNullAt(j)) {
                        s[j] += ((Number) row.get(j)).doubleValue();
                    }
                }
                s[k]++;
            }
            return List.of(s).iterator();
        }).collect();
        double[] total = new double[k + 1];
        for (double[] part : parts) {
            for (int j = 0; j <= k; j++) {
                total[j] += part[j];
            }
        }
        return total;
    }
}
