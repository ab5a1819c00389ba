package org.sparkgrad.spark;

import java.lang.reflect.Method;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.UserDefinedType;

/**
 * How a Dataset column holds a row's numbers: an ML vector (Spark's {@code VectorUDT}), an array of
 * numbers (or of numeric strings), or one number (or numeric string). Reads values into a float buffer.
 */
enum ColumnKind {
    /** {@code org.apache.spark.ml.linalg.Vector} (or mllib's): read through its {@code toArray()}. */
    VECTOR,
    /** {@code array<float/double/int/.../string>}. */
    ARRAY,
    /** One number or numeric string. */
    SCALAR;

    private static final ClassValue<Method> TO_ARRAY = new ClassValue<>() {
        @Override
        protected Method computeValue(Class<?> type) {
            try {
                Method m = type.getMethod("toArray");
                return m.getReturnType() == double[].class ? m : null;
            } catch (NoSuchMethodException e) {
                return null;
            }
        }
    };

    /** The kind of a column from its schema, or a TrainingException naming the column and its type. */
    static ColumnKind of(StructField field) {
        DataType t = field.dataType();
        if (t instanceof ArrayType a) {
            DataType e = a.elementType();
            if (e instanceof NumericType || e instanceof StringType) {
                return ARRAY;
            }
        } else if (t instanceof NumericType || t instanceof StringType) {
            return SCALAR;
        } else if (t instanceof UserDefinedType<?> u && u.userClass() != null
                && u.userClass().getName().endsWith(".linalg.Vector")) {
            return VECTOR;
        }
        throw new TrainingException("column '" + field.name() + "' has type " + t.simpleString()
                + "; expected a vector, an array of numbers or a number");
    }

    /** The number of values column i of row holds, or -1 when it is null (used to infer dimensions). */
    int length(Row row, int i) {
        if (row.isNullAt(i)) {
            return -1;
        }
        return switch (this) {
            case SCALAR -> 1;
            case ARRAY -> row.getList(i).size();
            case VECTOR -> toArray(row.get(i)).length;
        };
    }

    /**
     * Reads column i of row into out (exactly out.length values); returns null, or what is wrong, naming
     * the column as {@code what}.
     */
    String read(Row row, int i, float[] out, String what) {
        double[] values = new double[out.length];
        String p = read(row, i, values, what);
        if (p == null) {
            for (int j = 0; j < out.length; j++) {
                out[j] = (float) values[j];
            }
        }
        return p;
    }

    /** {@link #read(Row, int, float[], String)} into doubles (so int64 columns are read exactly). */
    String read(Row row, int i, double[] out, String what) {
        if (row.isNullAt(i)) {
            return what + " is null";
        }
        switch (this) {
            case SCALAR -> {
                if (out.length != 1) {
                    return what + " has 1 value, not " + out.length;
                }
                return store(row.get(i), out, 0, what);
            }
            case ARRAY -> {
                List<Object> values = row.getList(i);
                if (values.size() != out.length) {
                    return what + " has " + values.size() + " values, not " + out.length;
                }
                for (int j = 0; j < out.length; j++) {
                    String p = store(values.get(j), out, j, what + " value " + j);
                    if (p != null) {
                        return p;
                    }
                }
                return null;
            }
            default -> {
                double[] values = toArray(row.get(i));
                if (values.length != out.length) {
                    return what + " has " + values.length + " values, not " + out.length;
                }
                System.arraycopy(values, 0, out, 0, out.length);
                return null;
            }
        }
    }

    private static String store(Object v, double[] out, int j, String what) {
        if (v == null) {
            return what + " is null";
        }
        if (v instanceof Number n) {
            out[j] = n.doubleValue();
            return null;
        }
        String s = v.toString().trim();
        try {
            out[j] = Double.parseDouble(s);
            return null;
        } catch (NumberFormatException e) {
            return what + " is not a number: '" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
        }
    }

    private static double[] toArray(Object vector) {
        Method m = TO_ARRAY.get(vector.getClass());
        if (m == null) {
            throw new TrainingException("a vector column holds a " + vector.getClass().getName() + ", which has no toArray()");
        }
        try {
            return (double[]) m.invoke(vector);
        } catch (ReflectiveOperationException e) {
            throw new TrainingException("could not read a " + vector.getClass().getName() + " as an array: " + e, e);
        }
    }
}
