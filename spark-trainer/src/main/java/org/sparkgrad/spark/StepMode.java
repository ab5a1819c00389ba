package org.sparkgrad.spark;

import java.util.Locale;

/** How fit runs its steps on Spark (see {@link DataParallelTrainer#stepMode(String)}). */
enum StepMode {
    /** Barrier stages when the cluster can run one now, else one Spark job per step (saying why). */
    AUTO,
    /** Barrier stages, failing when the cluster cannot run one. */
    BARRIER,
    /** One Spark job per step. */
    JOBS;

    static StepMode parse(String mode) {
        if (mode != null) {
            for (StepMode m : values()) {
                if (m.name().toLowerCase(Locale.ROOT).equals(mode)) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException("stepMode must be \"auto\", \"barrier\" or \"jobs\", got " + (mode == null
                ? "null" : "\"" + mode + "\""));
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
