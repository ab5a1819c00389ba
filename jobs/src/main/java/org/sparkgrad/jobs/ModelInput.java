package org.sparkgrad.jobs;

import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.SparkSession;
import org.sparkgrad.spark.ml.MlpModel;

/**
 * What predict and evaluate share: the model folder (train's --out folder, or its model/ folder) and the rows of a
 * table as the model takes them (its features vector column when the table has it, e.g. LibSVM's, else the model's
 * feature columns assembled), with the cells checked.
 *
 * @param model the loaded model, its features column set to the assembled one
 * @param input the table, checked
 * @param assembled the rows with the features vector
 */
record ModelInput(MlpModel<?> model, TableInput input, TableInput.Assembled assembled) {
    /** Loads the model in dir (or dir/model) and prepares data for it; label (may be null) is checked too. */
    static ModelInput prepare(SparkSession spark, String dir, String data, String format, String label, boolean drop) {
        MlpModel<?> model = load(spark, dir);
        TableInput in = TableInput.read(spark, data, format);
        List<String> features = model.getFeaturesCol().equals(TableInput.FEATURES) || !in.columns().contains(
                model.getFeaturesCol()) || !(in.rows().schema().apply(model.getFeaturesCol()).dataType() instanceof VectorUDT)
                ? model.featureNames() : List.of(model.getFeaturesCol());
        for (String f : features) {
            in.requireColumn(f, "feature");
        }
        in.featureColumns(features, label);
        List<String> used = new ArrayList<>(features);
        if (label != null) {
            in.requireColumn(label, "label");
            used.add(label);
        }
        TableInput checked = in.withValidCells(used, drop, true);
        TableInput.Assembled a = checked.assemble(features);
        model.setFeaturesCol(a.featuresCol());
        return new ModelInput(model, checked, a);
    }

    /** The model in dir, or in dir/model (train's --out folder). */
    static MlpModel<?> load(SparkSession spark, String dir) {
        Path p = new Path(dir);
        try {
            var fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (fs.exists(new Path(p, "model/metadata"))) {
                p = new Path(p, "model");
            } else if (!fs.exists(new Path(p, "metadata"))) {
                throw new InputError("--model " + dir + " is not a model folder: it has neither metadata/ nor model/metadata/"
                        + " (give the --out folder of bin/run train)");
            }
        } catch (java.io.IOException e) {
            throw new InputError("--model " + dir + " cannot be read: " + e.getMessage());
        }
        try {
            return MlpModel.load(p.toString());
        } catch (RuntimeException e) {
            throw new InputError("--model " + dir + ": " + e.getMessage());
        }
    }
}
