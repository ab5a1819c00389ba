package org.sparkgrad.jobs;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkgrad.spark.ml.MlpInput;

/**
 * A table the train, predict and evaluate jobs read: a file or folder in CSV (with a header; types inferred),
 * Parquet, JSON or LibSVM, with each row's 0-based position in the input kept in {@link #ROW} so that errors name
 * rows (1-based) and the validation split is seeded by position. Checks the columns (present, numeric or one vector
 * column) and the cells (no empty, NaN or infinite value, unless dropped), and assembles the feature columns into one
 * vector column.
 *
 * @param spark the session
 * @param path the --data path
 * @param format csv, parquet, json or libsvm
 * @param rows the rows with {@link #ROW}
 */
record TableInput(SparkSession spark, String path, String format, Dataset<Row> rows) {
    /** The column of each row's 0-based position in the input. */
    static final String ROW = "sparkgrad_row";
    /** The assembled features vector column. */
    static final String FEATURES = "sparkgrad_features";
    /** The formats --format accepts. */
    static final String[] FORMATS = {"csv", "parquet", "json", "libsvm"};

    /** Reads path; a missing path is an {@link InputError}. */
    static TableInput read(SparkSession spark, String path, String format) {
        Path p = new Path(path);
        try {
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(p)) {
                throw new InputError("--data " + path + " does not exist");
            }
        } catch (IOException e) {
            throw new InputError("--data " + path + " cannot be read: " + e.getMessage());
        }
        var reader = spark.read().format(format);
        if (format.equals("csv")) {
            reader = reader.option("header", "true").option("inferSchema", "true");
        }
        Dataset<Row> df = reader.load(path);
        StructType schema = df.schema().add(ROW, DataTypes.LongType, false);
        Dataset<Row> numbered = spark.createDataFrame(df.javaRDD().zipWithIndex().map(t -> {
            Object[] values = new Object[t._1().size() + 1];
            for (int i = 0; i < t._1().size(); i++) {
                values[i] = t._1().get(i);
            }
            values[values.length - 1] = t._2();
            return RowFactory.create(values);
        }), schema);
        return new TableInput(spark, path, format, numbered);
    }

    /** The columns of the input (without {@link #ROW}). */
    List<String> columns() {
        return Arrays.stream(rows.schema().fieldNames()).filter(c -> !c.equals(ROW)).collect(Collectors.toList());
    }

    /** Fails unless the input has the column, listing the columns it has. */
    void requireColumn(String column, String role) {
        if (!columns().contains(column)) {
            throw new InputError(path + " has no " + role + " column '" + column + "'; its columns are "
                    + String.join(", ", columns()));
        }
    }

    /**
     * The feature columns: those given, or every numeric column but the label. Each must be numeric, or be the one
     * vector column.
     */
    List<String> featureColumns(List<String> given, String label) {
        List<String> features = new ArrayList<>();
        if (given.isEmpty()) {
            for (StructField f : rows.schema().fields()) {
                if (!f.name().equals(ROW) && !f.name().equals(label) && (f.dataType() instanceof NumericType
                        || f.dataType() instanceof VectorUDT)) {
                    features.add(f.name());
                }
            }
            if (features.isEmpty()) {
                throw new InputError(path + " has no numeric column besides the label '" + label + "'; its columns are "
                        + describeColumns());
            }
        } else {
            features.addAll(given);
        }
        for (String f : features) {
            requireColumn(f, "feature");
            DataType t = rows.schema().apply(f).dataType();
            if (t instanceof VectorUDT && features.size() == 1) {
                continue;
            }
            if (!(t instanceof NumericType)) {
                throw new InputError(path + ": feature column '" + f + "' has type " + t.simpleString()
                        + (t instanceof VectorUDT ? " (a vector column must be the only feature)" : sample(f))
                        + "; features must be numeric columns or one vector column");
            }
        }
        return features;
    }

    private String sample(String column) {
        Column c = col(column);
        List<Row> r = rows.where(c.isNotNull().and(c.try_cast(DataTypes.DoubleType).isNull())).orderBy(ROW)
                .select(col(ROW), c.cast(DataTypes.StringType)).limit(1).collectAsList();
        return r.isEmpty() ? "" : ", e.g. " + where(r.get(0).getLong(0)) + " holds '" + r.get(0).getString(1) + "'";
    }

    private String describeColumns() {
        return Arrays.stream(rows.schema().fields()).filter(f -> !f.name().equals(ROW))
                .map(f -> f.name() + " (" + f.dataType().simpleString() + ")").collect(Collectors.joining(", "));
    }

    /**
     * The rows whose values in columns are all usable: no null (an empty cell), NaN or infinite number, no null label.
     * Otherwise an {@link InputError} naming the first bad row and column and how many rows are bad, or, with drop,
     * the rows without them (the count dropped printed when print).
     */
    TableInput withValidCells(List<String> columns, boolean drop, boolean print) {
        List<Column> okEach = new ArrayList<>();
        for (String c : columns) {
            DataType t = rows.schema().apply(c).dataType();
            okEach.add(t instanceof VectorUDT ? MlpInput.finiteVector(c) : t instanceof NumericType ? MlpInput.finite(col(c))
                    : col(c).isNotNull());
        }
        Column ok = okEach.stream().reduce(Column::and).orElse(functions.lit(true));
        Dataset<Row> invalid = rows.where(functions.not(ok));
        long bad = invalid.count();
        if (bad == 0) {
            return this;
        }
        if (drop) {
            if (print) {
                System.out.println("dropped " + bad + " row(s) of " + path + " with empty, NaN or infinite values (--drop-invalid)");
            }
            return new TableInput(spark, path, format, rows.where(ok));
        }
        Row first = invalid.orderBy(ROW).first();
        int i = 0;
        while (i < columns.size() && first.<Object>getAs(columns.get(i)) != null && isFinite(first.getAs(columns.get(i)))) {
            i++;
        }
        String column = columns.get(Math.min(i, columns.size() - 1));
        Object v = first.getAs(column);
        throw new InputError(path + ": " + where(first.<Long>getAs(ROW)) + ", column '" + column + "' is "
                + (v == null ? "empty" : v.toString()) + " (" + bad + " row(s) have empty, NaN or infinite values in "
                + String.join(", ", columns) + "; pass --drop-invalid to drop them)");
    }

    private static boolean isFinite(Object v) {
        if (v instanceof Number n) {
            return Double.isFinite(n.doubleValue());
        }
        if (v instanceof org.apache.spark.ml.linalg.Vector vec) {
            return Arrays.stream(vec.toArray()).allMatch(Double::isFinite);
        }
        return true;
    }

    /** "row N" (1-based) and, for a single CSV file, its line. */
    String where(long row) {
        boolean oneCsvFile = format.equals("csv") && !path.endsWith("/") && new java.io.File(path).isFile();
        return "row " + (row + 1) + (oneCsvFile ? " (line " + (row + 2) + ")" : "");
    }

    /**
     * The rows with the features in one vector column: the vector column itself when it is the one feature, else
     * {@link #FEATURES} assembled from the numeric columns (whose names become the vector's attribute names).
     *
     * @return the vector column's name and the rows
     */
    Assembled assemble(List<String> features) {
        if (features.size() == 1 && rows.schema().apply(features.get(0)).dataType() instanceof VectorUDT) {
            return new Assembled(features.get(0), rows);
        }
        VectorAssembler a = new VectorAssembler().setInputCols(features.toArray(new String[0])).setOutputCol(FEATURES);
        return new Assembled(FEATURES, a.transform(rows));
    }

    /** The rows with their features vector column. */
    record Assembled(String featuresCol, Dataset<Row> rows) {
    }
}
