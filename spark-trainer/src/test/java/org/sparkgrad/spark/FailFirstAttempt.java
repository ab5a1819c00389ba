package org.sparkgrad.spark;

import org.apache.spark.TaskContext;

/**
 * A test's {@link StepDecorator}: in one step (1-based, as in the log) the first attempt of one partition's task
 * throws "injected failure" before it computes anything, so Spark retries the task.
 */
final class FailFirstAttempt implements StepDecorator {
    private final long step1;
    private final int partition;

    FailFirstAttempt(long step1, int partition) {
        this.step1 = step1;
        this.partition = partition;
    }

    @Override
    public StepFunction decorate(long step, StepFunction seqOp) {
        return step + 1 != step1 ? seqOp : new Failing(seqOp, step1, partition);
    }

    private record Failing(StepFunction seqOp, long step1, int partition) implements StepFunction {
        @Override
        public GradientSum call(GradientSum sum, DataBlock block) {
            TaskContext tc = TaskContext.get();
            if (tc != null && tc.partitionId() == partition && tc.attemptNumber() == 0) {
                throw new IllegalStateException("injected failure: first attempt of partition " + partition + " in step "
                        + step1);
            }
            return seqOp.call(sum, block);
        }
    }
}
