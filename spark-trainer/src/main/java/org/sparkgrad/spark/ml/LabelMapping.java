package org.sparkgrad.spark.ml;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.sparkgrad.spark.TrainingException;

/**
 * A classifier's classes: class index i is {@code labels[i]}, sorted (by value for numeric labels, as text for
 * string labels). Numeric labels are kept as doubles and predicted as doubles, string labels as strings.
 *
 * @param labels the classes' labels in index order (numeric ones as {@link Double#toString})
 * @param numeric whether the label column was numeric
 */
record LabelMapping(String[] labels, boolean numeric) implements Serializable {
    /** The classes of labelCol over the rows (nulls and NaN are not classes); fails when there are fewer than two. */
    static LabelMapping of(Dataset<Row> rows, String labelCol) {
        boolean numeric = rows.schema().apply(labelCol).dataType() instanceof NumericType;
        Column label = numeric ? functions.col(labelCol).cast(DataTypes.DoubleType) : functions.col(labelCol).cast(
                DataTypes.StringType);
        Column valid = numeric ? label.isNotNull().and(functions.not(functions.isnan(label))) : label.isNotNull();
        List<Row> distinct = rows.select(label.as("l")).where(valid).distinct().collectAsList();
        List<String> out = new ArrayList<>();
        if (numeric) {
            distinct.stream().map(r -> r.getDouble(0)).sorted().forEach(d -> out.add(Double.toString(d)));
        } else {
            distinct.stream().map(r -> r.getString(0)).sorted(Comparator.naturalOrder()).forEach(out::add);
        }
        if (out.size() < 2) {
            throw new TrainingException("label column '" + labelCol + "' has " + (out.isEmpty() ? "no class"
                    : "a single class (" + out.get(0) + ")") + " in the training rows; a classifier needs at least two");
        }
        return new LabelMapping(out.toArray(new String[0]), numeric);
    }

    /** The number of classes. */
    int size() {
        return labels.length;
    }

    /** The class index of a label column value (an int column), null for a label that is not a class. */
    Column indexOf(Column label) {
        Column[] values = Arrays.stream(labels).map(l -> numeric ? functions.lit(Double.parseDouble(l))
                : functions.lit(l)).toArray(Column[]::new);
        Column position = functions.array_position(functions.array(values), label.try_cast(type())).minus(1).cast(
                DataTypes.IntegerType);
        return functions.when(position.geq(0), position);
    }

    /** The label of class index i, as the prediction column holds it. */
    Object value(int i) {
        return numeric ? (Object) Double.parseDouble(labels[i]) : labels[i];
    }

    /** The prediction column's type: double for numeric labels, string for string labels. */
    DataType type() {
        return numeric ? DataTypes.DoubleType : DataTypes.StringType;
    }
}
