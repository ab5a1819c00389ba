package org.sparkgrad.spark;

import java.util.concurrent.CountDownLatch;
import org.apache.spark.TaskContext;

/**
 * A test's {@link StepDecorator}: in one step (1-based) the task of one partition stops answering (it waits on a latch
 * nobody opens) until Spark interrupts it, as a stuck task would.
 */
final class StallTask implements StepDecorator {
    private static final long serialVersionUID = 1L;

    private final long step1;
    private final int partition;

    StallTask(long step1, int partition) {
        this.step1 = step1;
        this.partition = partition;
    }

    @Override
    public StepFunction decorate(long step, StepFunction seqOp) {
        return step + 1 != step1 ? seqOp : new Stalling(seqOp, partition);
    }

    private record Stalling(StepFunction seqOp, int partition) implements StepFunction {
        @Override
        public GradientSum call(GradientSum sum, DataBlock block) {
            TaskContext tc = TaskContext.get();
            if (tc != null && block.partition == partition) {
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("the stalled task of partition " + partition + " was interrupted", e);
                }
            }
            return seqOp.call(sum, block);
        }
    }
}
