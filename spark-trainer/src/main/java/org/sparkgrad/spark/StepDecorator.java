package org.sparkgrad.spark;

/**
 * Wraps a global step's {@link StepFunction} before it ships to the tasks (in a barrier stage, where the tasks make
 * each step's function, the decorator ships in the stage's closure and wraps it there). Training uses {@link #NONE};
 * tests supply decorators, e.g. one that fails a task's first attempt to check that retries give the same parameters.
 */
@FunctionalInterface
interface StepDecorator extends java.io.Serializable {
    /** Ships the step function as it is. */
    StepDecorator NONE = (step, seqOp) -> seqOp;

    /** The function the tasks of step (0-based) run in place of seqOp; it must be serializable. */
    StepFunction decorate(long step, StepFunction seqOp);
}
