package org.sparkgrad.spark;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.sparkgrad.engine.DType;

/**
 * Packs Dataset rows selected as (one column per {@link BatchSpec} input[, source file]) into rows of the spec's
 * float layout, checking each value against its input's declaration: the number of values against the per-row
 * shape, float32 values finite, int64 values integers that float32 holds exactly, class indices in range.
 */
final class ColumnPacker extends RowPacker<Row> {
    private static final long serialVersionUID = 1L;

    private final BatchSpec spec;
    private final ColumnKind[] kinds;

    ColumnPacker(BatchSpec spec, ColumnKind[] kinds, boolean dropMalformed, int maxBlockRows) {
        super(spec.width(false), 0, dropMalformed, maxBlockRows, 0);
        this.spec = spec;
        this.kinds = kinds.clone();
    }

    @Override
    String parse(Row row, float[] features, float[] labels) {
        List<BatchSpec.Input> inputs = spec.inputs();
        for (int i = 0; i < inputs.size(); i++) {
            BatchSpec.Input in = inputs.get(i);
            String what = "column '" + in.column() + "' (input '" + in.name() + "', per-row shape "
                    + Arrays.toString(in.shape()) + ")";
            double[] v = new double[in.numel()];
            String p = kinds[i].read(row, i, v, what);
            if (p != null) {
                return p;
            }
            for (int j = 0; j < v.length; j++) {
                if ((p = check(in, v[j], what, j, v.length)) != null) {
                    return p;
                }
                features[in.offset() + j] = (float) v[j];
            }
        }
        return null;
    }

    /** Null when value j of an input is valid for its type, else the problem. */
    private static String check(BatchSpec.Input in, double x, String what, int j, int n) {
        String value = what + (n == 1 ? "" : " value " + j) + " is " + format(x);
        if (in.dtype() == DType.FLOAT32) {
            return Double.isFinite(x) && Float.isFinite((float) x) ? null : value + ", not a finite float32";
        }
        if (x != Math.rint(x)) {
            return value + ", not an integer";
        }
        if (in.classes() > 0 && (x < 0 || x >= in.classes())) {
            return value + ", not a class index in [0, " + in.classes() + ")";
        }
        if (Math.abs(x) > BatchSpec.MAX_EXACT_INT) {
            return value + ", beyond the magnitude 16777216 (2^24) up to which the packed float32 rows hold integers"
                    + " exactly";
        }
        return null;
    }

    private static String format(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }

    @Override
    String expected() {
        return spec.describe();
    }

    @Override
    String origin(Row row) {
        return SparkRowPacker.fileOf(row, spec.inputs().size());
    }
}
