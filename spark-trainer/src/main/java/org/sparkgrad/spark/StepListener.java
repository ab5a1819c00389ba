package org.sparkgrad.spark;

import org.sparkgrad.engine.nn.Module;

/**
 * Called on the driver after every optimizer step (e.g. to record parameters step by step, or to stop a
 * run by throwing). In barrier stages it runs between steps of a stage that may hold every slot, so a Spark job
 * started from it should run at an epoch's end, where stages end while the trainer has a listener that
 * {@link #startsSparkJobs() may start Spark jobs}.
 */
@FunctionalInterface
public interface StepListener {
    /**
     * @param step optimizer steps done so far (1 after the first)
     * @param epoch the 0-based epoch the step belonged to
     * @param loss the step's mean loss over its global batch
     * @param model the driver's model, holding the parameters after the step (do not modify)
     */
    void afterStep(long step, long epoch, double loss, Module model);

    /**
     * Whether this listener may start Spark jobs (default true): barrier stages then end at every epoch end, so its
     * jobs there find free slots. A listener that starts none (it prints or records) may say false, through
     * {@link #withoutSparkJobs(StepListener)}, and a stage then covers many epochs (up to the next checkpoint,
     * verify-gradients step or validation), which saves a Spark job and the tasks' start per epoch: most of a step
     * when an epoch is one step (full-batch training).
     */
    default boolean startsSparkJobs() {
        return true;
    }

    /** The listener l, declared to start no Spark jobs (see {@link #startsSparkJobs()}). */
    static StepListener withoutSparkJobs(StepListener l) {
        return new StepListener() {
            @Override
            public void afterStep(long step, long epoch, double loss, Module model) {
                l.afterStep(step, epoch, loss, model);
            }

            @Override
            public boolean startsSparkJobs() {
                return false;
            }
        };
    }
}
