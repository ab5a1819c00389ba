package org.sparkgrad.spark;

import java.io.Serializable;
import org.apache.spark.TaskContext;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;

/**
 * A step's task function for {@code SparkContext.runJob}: folds a partition's blocks into a new {@link GradientSum}
 * with the step's {@link StepFunction}. A plain class rather than a lambda, so Spark's closure cleaner takes it as
 * it is; it reads the bytecode of every lambda's defining class, which made up about a third of a small step when
 * treeAggregate's lambdas (defined in the big RDD class) were cleaned several times per step.
 */
final class PartitionGradient extends AbstractFunction2<TaskContext, Iterator<DataBlock>, GradientSum>
        implements Serializable {
    private static final long serialVersionUID = 1L;

    private final StepFunction seqOp;

    PartitionGradient(StepFunction seqOp) {
        this.seqOp = seqOp;
    }

    @Override
    public GradientSum apply(TaskContext context, Iterator<DataBlock> blocks) {
        GradientSum sum = new GradientSum();
        while (blocks.hasNext()) {
            sum = seqOp.call(sum, blocks.next());
        }
        return sum;
    }
}
