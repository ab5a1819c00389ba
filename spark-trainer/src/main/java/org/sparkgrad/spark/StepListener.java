package org.sparkgrad.spark;

import org.sparkgrad.engine.nn.Module;

/**
 * Called on the driver after every optimizer step (e.g. to record parameters step by step, or to stop a
 * run by throwing). In barrier stages it runs between steps of a stage that may hold every slot, so a Spark job
 * started from it should run at an epoch's end, where every stage ends.
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
}
