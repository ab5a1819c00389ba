package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** The progress lines: which steps get one, and their epoch, loss, samples/s and ETA, on a clock the test sets. */
class ProgressLogTest {
    /** The messages a logger of its own receives. */
    private static List<String> capture(Logger log) {
        List<String> lines = new ArrayList<>();
        log.setUseParentHandlers(false);
        log.setLevel(Level.ALL);
        log.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        return lines;
    }

    @Test
    void linesForTheFirstEveryNthAndLastStep() {
        Logger log = Logger.getAnonymousLogger();
        List<String> lines = capture(log);
        long[] now = {5_000_000_000L};
        // linear-regression's run: 300 steps of 10 rows, 100 per epoch, a line every 100 steps; 0.1 s a step.
        ProgressLog p = new ProgressLog(log, 100, 0, 300, 100, () -> now[0]);
        for (int step = 1; step <= 300; step++) {
            now[0] += 100_000_000L;
            p.stepDone(step, 1.0 / step, 10);
        }
        assertEquals(List.of(
                "step 1/300  epoch 1/3  loss 1.00000  100 samples/s  ETA 0:00:30",
                "step 100/300  epoch 1/3  loss 0.0100000  100 samples/s  ETA 0:00:20",
                "step 200/300  epoch 2/3  loss 0.00500000  100 samples/s  ETA 0:00:10",
                "step 300/300  epoch 3/3  loss 0.00333333  100 samples/s  ETA 0:00:00"), lines);
    }

    @Test
    void afterAResumeTheRateAndEtaCountOnlyThisRunsSteps() {
        Logger log = Logger.getAnonymousLogger();
        List<String> lines = capture(log);
        long[] now = {0};
        // Resumed after step 150 of 300; a partial last epoch (250 rows, batch 100: 3 steps per epoch).
        ProgressLog p = new ProgressLog(log, 100, 150, 300, 3, () -> now[0]);
        for (int step = 151; step <= 300; step++) {
            now[0] += step <= 200 ? 2_000_000_000L : 500_000_000L;
            p.stepDone(step, 0.000165448, step % 3 == 0 ? 50 : 100);
        }
        assertEquals(3, lines.size(), lines.toString());
        // Step 151 is the first of epoch 51 (steps 151 to 153); 2 s for 100 rows; 149 steps left at 2 s each.
        assertEquals("step 151/300  epoch 51/100  loss 0.000165448  50 samples/s  ETA 0:04:58", lines.get(0));
        // Steps 152 to 200 took 2 s each: 49 steps, 33 of 100 rows and 16 of 50, over 98 s.
        assertEquals("step 200/300  epoch 67/100  loss 0.000165448  42 samples/s  ETA 0:03:20", lines.get(1));
        assertEquals("step 300/300  epoch 100/100  loss 0.000165448  166 samples/s  ETA 0:00:00", lines.get(2));
    }

    @Test
    void everyZeroLogsNothing() {
        Logger log = Logger.getAnonymousLogger();
        List<String> lines = capture(log);
        ProgressLog p = new ProgressLog(log, 0, 0, 3, 3, () -> 0L);
        for (int step = 1; step <= 3; step++) {
            p.stepDone(step, 1, 1);
        }
        assertEquals(List.of(), lines);
    }
}
