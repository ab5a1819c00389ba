package org.sparkgrad.spark;

import org.apache.spark.api.java.function.Function2;

/**
 * A global step's seqOp: adds a block's share of the step to a partition's {@link GradientSum} and returns the sum.
 * {@link StepGradient} is the one training uses; it throws no checked exceptions.
 */
interface StepFunction extends Function2<GradientSum, DataBlock, GradientSum> {
    @Override
    GradientSum call(GradientSum sum, DataBlock block);
}
