package org.sparkgrad.spark;

/**
 * Training stopped for a reason the user can act on: a malformed input row, a non-finite loss or
 * gradient, a model that differs between driver and executors, an executor out of memory, a gradient that
 * failed verification. The message names the step, partition or row and what was expected.
 */
public class TrainingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error with a message that says what happened and what was expected. */
    public TrainingException(String message) {
        super(message);
    }

    /**
     * An error for an OutOfMemoryError caught in a task, which the task then fails with. The error is named in
     * the message but not kept as the cause: Spark searches a failed task's cause chain for fatal errors
     * ({@code spark.executor.killOnFatalError.depth}) and would stop the executor (in local mode, the driver).
     */
    static TrainingException outOfMemory(String message, OutOfMemoryError e) {
        return new TrainingException(message + " (" + e + ")");
    }

    /** An error with a message and its cause. */
    public TrainingException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The TrainingException in t's cause chain (an executor's error arrives wrapped in Spark's job
     * failure), or null when there is none.
     */
    static TrainingException find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TrainingException te) {
                return te;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }

    /**
     * A Spark job failure as a TrainingException whose message is context followed by the message of the
     * TrainingException inside it (an executor's error), or of the failure itself (with the setting to change
     * when it is Kryo's unregistered class, {@link SparkgradKryoRegistrator#explain}); the job failure is the
     * cause.
     */
    static TrainingException unwrap(Exception sparkFailure, String context) {
        TrainingException te = find(sparkFailure);
        String why = te != null ? te.getMessage() : SparkgradKryoRegistrator.explain(sparkFailure).getMessage();
        return new TrainingException(context + why, sparkFailure);
    }
}
