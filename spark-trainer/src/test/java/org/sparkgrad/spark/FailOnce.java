package org.sparkgrad.spark;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.TaskContext;

/**
 * A test's {@link StepDecorator} for local Spark (tasks in the test's JVM): in one step (1-based) the task of one
 * partition throws "injected failure" the first time it runs, whichever job, stage or task attempt that is: Spark's
 * retry of the task (per-step jobs) and a barrier stage that starts again (a new job, its tasks' attempt numbers 0
 * again) both go through.
 */
final class FailOnce implements StepDecorator {
    private static final long serialVersionUID = 1L;
    private static final Set<String> FAILED = ConcurrentHashMap.newKeySet();

    private final String id = UUID.randomUUID().toString();
    private final long step1;
    private final int partition;

    FailOnce(long step1, int partition) {
        this.step1 = step1;
        this.partition = partition;
    }

    @Override
    public StepFunction decorate(long step, StepFunction seqOp) {
        return step + 1 != step1 ? seqOp : new Failing(seqOp, id, step1, partition);
    }

    private record Failing(StepFunction seqOp, String id, long step1, int partition) implements StepFunction {
        @Override
        public GradientSum call(GradientSum sum, DataBlock block) {
            TaskContext tc = TaskContext.get();
            if (tc != null && block.partition == partition && FAILED.add(id)) {
                throw new IllegalStateException("injected failure: partition " + partition + " in step " + step1);
            }
            return seqOp.call(sum, block);
        }
    }
}
