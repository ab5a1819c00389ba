package org.sparkgrad.jobs;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The train job's seeded validation split: row i (0-based, in the input's order) is a validation row iff
 * {@code u(seed, i) < fraction}, where u is the top 53 bits of SplitMix64's output for {@code seed + (i + 1) *
 * 0x9E3779B97F4A7C15} divided by 2^53. It depends on the seed and the row's position only (not on partitions), so
 * a script can make the same split (spark-trainer's test resources record_sklearn.py does, for scikit-learn).
 */
final class ValidationSplit {
    private ValidationSplit() {
    }

    /** u(seed, index) in [0, 1). */
    static double uniform(long seed, long index) {
        long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }

    /** True for the validation rows, given a column of 0-based row indices. */
    static Column isValidation(Column index, long seed, double fraction) {
        UDF1<Long, Boolean> held = i -> uniform(seed, i) < fraction;
        return functions.udf(held, DataTypes.BooleanType).apply(index);
    }
}
