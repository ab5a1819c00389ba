package org.sparkgrad.spark;

import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/** One progress line every N steps (and for the first and last): step, epoch, loss, samples/s, ETA. */
final class ProgressLog {
    private final Logger log;
    private final int every;
    private final long totalSteps;
    private final long stepsPerEpoch;
    private final long firstStep;
    private final LongSupplier nanoTime;
    private final long startNanos;
    private long windowNanos;
    private long windowSamples;

    ProgressLog(Logger log, int every, long firstStep, long totalSteps, long stepsPerEpoch) {
        this(log, every, firstStep, totalSteps, stepsPerEpoch, System::nanoTime);
    }

    /** A log whose times come from nanoTime (tests give it a clock they advance). */
    ProgressLog(Logger log, int every, long firstStep, long totalSteps, long stepsPerEpoch, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.startNanos = nanoTime.getAsLong();
        this.windowNanos = startNanos;
        this.log = log;
        this.every = every;
        this.firstStep = firstStep;
        this.totalSteps = totalSteps;
        this.stepsPerEpoch = stepsPerEpoch;
    }

    /** Records a finished step (1-based) of the given samples; logs when due. */
    void stepDone(long step, double loss, long samples) {
        windowSamples += samples;
        if (every <= 0 || !(step % every == 0 || step == firstStep + 1 || step == totalSteps)) {
            return;
        }
        long now = nanoTime.getAsLong();
        double windowSeconds = Math.max(1e-9, (now - windowNanos) / 1e9);
        double perStep = (now - startNanos) / 1e9 / (step - firstStep);
        long eta = Math.round(perStep * (totalSteps - step));
        long epochs = (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch;
        log.info(String.format(Locale.ROOT, "step %d/%d  epoch %d/%d  loss %.6g  %.0f samples/s  ETA %d:%02d:%02d", step,
                totalSteps, (step - 1) / stepsPerEpoch + 1, epochs, loss, windowSamples / windowSeconds, eta / 3600,
                eta / 60 % 60, eta % 60));
        windowNanos = now;
        windowSamples = 0;
    }
}
