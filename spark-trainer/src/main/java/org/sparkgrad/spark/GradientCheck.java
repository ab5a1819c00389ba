package org.sparkgrad.spark;

import java.util.List;
import java.util.logging.Logger;

/**
 * The trainer's verify-gradients check: recomputes a step's mean gradient on the driver over the same
 * global batch (its rows collected from the partitions) and compares it with the distributed one.
 *
 * <p>The relative difference of element i is {@code |d_i - r_i| / max(|r_i|, 1e-3 * max_j |r_j|, 1e-12)},
 * with r the driver's gradient, d the distributed one and j over the same parameter: the floor keeps
 * elements that are nearly zero (where float sums in another order legitimately differ) from reading as
 * large relative errors.
 */
final class GradientCheck {
    private static final Logger LOG = Logger.getLogger(DataParallelTrainer.class.getName());

    private GradientCheck() {
    }

    static void verify(TrainingRun run, String stepName, long step, long epoch, long from, long to, float[] distributed) {
        TrainerSettings settings = run.settings();
        List<BatchRows> parts;
        try {
            parts = run.packed().blocks().map(new CollectBatch(run.spec(), epoch, from, to)).collect();
        } catch (Exception e) {
            throw TrainingException.unwrap(e, "verify-gradients at " + stepName + ": ");
        }
        int rows = 0;
        for (BatchRows b : parts) {
            rows += b.rows;
        }
        TrainingData.Packed packed = run.packed();
        StepSpec spec = run.spec();
        int fd = spec.batches.width(false);
        int ld = spec.batches.width(true);
        float[] features = new float[rows * fd];
        float[] labels = new float[rows * ld];
        long[] keys = new long[rows];
        int at = 0;
        for (BatchRows b : parts) {
            System.arraycopy(b.features, 0, features, at * fd, b.rows * fd);
            System.arraycopy(b.labels, 0, labels, at * ld, b.rows * ld);
            System.arraycopy(b.keys, 0, keys, at, b.rows);
            at += b.rows;
        }
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        GradientSum reference = new GradientSum();
        // one process over the whole batch: batch norm's local statistics are the global ones; its running
        // statistics, which this forward updates, are put back
        double[] buffers = ModelBuffers.flatten(run.model());
        ModelReplica.wrap(run.model(), spec).accumulate(features, labels, order, keys, 0, rows, step,
                spec.collectives ? Math.max(1, rows) : settings.microBatchSize(), StatsReducers.LOCAL, reference);
        ModelBuffers.load(run.model(), buffers);
        if (reference.count != to - from) {
            throw new TrainingException("verify-gradients at " + stepName + " collected " + reference.count
                    + " rows, expected " + (to - from) + " (of " + packed.rows() + ")");
        }
        ParameterLayout layout = run.layout();
        double worst = 0;
        int worstAt = 0;
        for (int p = 0; p < layout.names.length; p++) {
            int off = layout.offsets[p];
            int n = layout.size(p);
            double scale = 0;
            for (int i = 0; i < n; i++) {
                scale = Math.max(scale, Math.abs(reference.grad[off + i] / (double) reference.count));
            }
            double floor = Math.max(1e-3 * scale, 1e-12);
            for (int i = 0; i < n; i++) {
                double r = reference.grad[off + i] / (double) reference.count;
                double rel = Math.abs(distributed[off + i] - r) / Math.max(Math.abs(r), floor);
                if (rel > worst || Double.isNaN(rel)) {
                    worst = Double.isNaN(rel) ? Double.POSITIVE_INFINITY : rel;
                    worstAt = off + i;
                }
            }
        }
        String line = "verify-gradients at " + stepName + ": largest relative difference " + TrainingRun.format(worst)
                + " (at " + layout.element(worstAt) + ") between the distributed gradient and the driver's over the same "
                + rows + " rows; tolerance " + TrainingRun.format(settings.gradientTolerance());
        if (worst > settings.gradientTolerance()) {
            throw new TrainingException(line);
        }
        LOG.info(line);
    }
}
