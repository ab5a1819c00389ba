package org.sparkgrad.spark;

import org.apache.spark.api.java.function.Function;

/** Copies a block's rows of one global step (positions [from, to) of the epoch's order) into a {@link BatchRows}. */
final class CollectBatch implements Function<DataBlock, BatchRows> {
    private static final long serialVersionUID = 1L;

    private final StepSpec spec;
    private final long epoch;
    private final long from;
    private final long to;

    CollectBatch(StepSpec spec, long epoch, long from, long to) {
        this.spec = spec;
        this.epoch = epoch;
        this.from = from;
        this.to = to;
    }

    @Override
    public BatchRows call(DataBlock block) {
        if (block.rows == 0) {
            return new BatchRows(0, new float[0], new float[0], new long[0]);
        }
        BlockSchedule schedule = spec.schedule(block, epoch);
        int lo = schedule.lowerBound(from);
        int hi = schedule.lowerBound(to);
        int[] order = schedule.rows();
        int fd = block.featureDim;
        int ld = block.labelDim;
        float[] f = new float[(hi - lo) * fd];
        float[] l = new float[(hi - lo) * ld];
        for (int i = lo; i < hi; i++) {
            System.arraycopy(block.features, order[i] * fd, f, (i - lo) * fd, fd);
            System.arraycopy(block.labels, order[i] * ld, l, (i - lo) * ld, ld);
        }
        return new BatchRows(hi - lo, f, l, spec.keys(block, order, lo, hi));
    }
}
