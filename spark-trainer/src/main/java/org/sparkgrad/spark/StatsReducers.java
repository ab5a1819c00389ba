package org.sparkgrad.spark;

import org.sparkgrad.engine.nn.BatchContext.StatsReducer;

/**
 * The {@link StatsReducer}s a replica's {@link org.sparkgrad.engine.nn.BatchContext} scope gets: a barrier task's
 * round trip through the driver (which adds every task's statistics in partition order and sends the sum back, so
 * every replica gets bitwise the same sum), the identity of one process over the whole batch (gradient verification),
 * and a refusal for runs that found no batch norm in the model (so an unexpected all-reduce fails instead of
 * quietly using one partition's statistics).
 */
final class StatsReducers {
    private StatsReducers() {
    }

    /** One process over the whole global batch: the local sums are the global ones. */
    static final StatsReducer LOCAL = local -> local;

    /** For models without batch norm, whose replicas run without a statistics exchange. */
    static final StatsReducer REFUSE = local -> {
        throw new TrainingException("the model all-reduces batch statistics (BatchContext.StatsReducer), but the trainer"
                + " found no BatchNorm layer in it and runs its partitions without the statistics exchange; build the"
                + " batch norm from BatchNorm1d/BatchNorm2d (the trainer looks for BatchNormBase modules)");
    };

    /** A barrier task's reducer for step: each call sends a STATS frame to the driver and returns its answer. */
    static StatsReducer viaDriver(FrameChannel driver, long step) {
        return local -> {
            driver.write(StepFrame.doubles(StepFrame.Kind.STATS, step, local), "sending the batch statistics of step "
                    + (step + 1));
            StepFrame f = driver.expect(StepFrame.Kind.STATS, "the summed batch statistics of step " + (step + 1));
            double[] total = f.doubleValues();
            if (f.step() != step || total.length != local.length) {
                throw new TrainingException("expected " + local.length + " summed batch statistics of step " + (step + 1)
                        + " from the driver, got " + total.length + " of step " + (f.step() + 1));
            }
            return total;
        };
    }
}
