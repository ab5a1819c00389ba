package org.sparkgrad.spark.ml;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkgrad.spark.TrainingException;

/**
 * Checks of the estimators' and models' input columns, what the features vector holds, and the conditions of usable
 * values (public: the jobs check their input files with the same conditions).
 */
public final class MlpInput {
    private MlpInput() {
    }

    /** Fails unless the schema has the column, listing the columns there are. */
    static void requireColumn(StructType schema, String column, String role) {
        if (!Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException("there is no " + role + " column '" + column + "'; the columns are "
                    + String.join(", ", schema.fieldNames()));
        }
    }

    /** Fails unless the column exists and is an ML vector (e.g. VectorAssembler's output), naming its type. */
    static void requireVector(StructType schema, String column) {
        requireColumn(schema, column, "features");
        if (!(schema.apply(column).dataType() instanceof VectorUDT)) {
            throw new IllegalArgumentException("features column '" + column + "' has type "
                    + schema.apply(column).dataType().simpleString() + "; expected an ML vector (assemble numeric "
                    + "columns with VectorAssembler)");
        }
    }

    /** The schema with the output fields appended; fails when one of them exists already. */
    static StructType appendColumns(StructType schema, StructField... outputs) {
        List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
        for (StructField f : outputs) {
            if (Arrays.asList(schema.fieldNames()).contains(f.name())) {
                throw new IllegalArgumentException("output column '" + f.name() + "' already exists; the columns are "
                        + String.join(", ", schema.fieldNames()) + " (set another output column name)");
            }
            fields.add(f);
        }
        return new StructType(fields.toArray(new StructField[0]));
    }

    /** The features vector's size and names: from its ML attributes (VectorAssembler sets them), else the first row. */
    record Features(int size, List<String> names) {
    }

    static Features features(Dataset<Row> rows, String column) {
        AttributeGroup group = AttributeGroup.fromStructField(rows.schema().apply(column));
        if (group.attributes().isDefined()) {
            Attribute[] attrs = group.attributes().get();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < attrs.length; i++) {
                names.add(attrs[i].name().isDefined() ? attrs[i].name().get() : "f" + i);
            }
            return new Features(attrs.length, names);
        }
        int size;
        if (group.numAttributes().isDefined()) {
            size = (Integer) group.numAttributes().get();
        } else {
            List<Row> first = rows.select(col(column)).where(col(column).isNotNull()).takeAsList(1);
            if (first.isEmpty()) {
                throw new TrainingException("features column '" + column + "' has no non-null row to train on");
            }
            size = ((Vector) first.get(0).get(0)).size();
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            names.add("f" + i);
        }
        return new Features(size, names);
    }

    /** True where the features vector is not null and all its values are finite. */
    public static Column finiteVector(String column) {
        Column values = org.apache.spark.ml.functions.vector_to_array(col(column), "float64");
        return col(column).isNotNull().and(functions.forall(values, MlpInput::finite));
    }

    /** True where a number is finite (not null, NaN or infinite). */
    public static Column finite(Column x) {
        Column d = x.cast(DataTypes.DoubleType);
        return d.isNotNull().and(not(isnan(d))).and(abs(d).notEqual(lit(Double.POSITIVE_INFINITY)));
    }
}
