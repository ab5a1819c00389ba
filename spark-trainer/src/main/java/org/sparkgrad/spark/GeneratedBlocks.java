package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;

/**
 * Makes partition p's rows of a synthetic source on the executor: partition p of P holds global rows
 * {@code [start(p), start(p + 1))} with {@code start(p) = floor(N * p / P)}, generated straight into
 * dense blocks.
 */
final class GeneratedBlocks implements Function2<Integer, Iterator<Integer>, Iterator<DataBlock>> {
    private static final long serialVersionUID = 1L;

    private final RowGenerator generator;
    private final long rows;
    private final int partitions;
    private final long seed;
    private final int maxBlockRows;
    private final int classes;

    GeneratedBlocks(RowGenerator generator, long rows, int partitions, long seed, int maxBlockRows, int classes) {
        this.classes = classes;
        this.generator = generator;
        this.rows = rows;
        this.partitions = partitions;
        this.seed = seed;
        this.maxBlockRows = maxBlockRows;
    }

    /** The first global row of partition p: floor(rows * p / partitions), without overflow. */
    static long start(long rows, int partitions, int p) {
        return rows / partitions * p + rows % partitions * p / partitions;
    }

    @Override
    public Iterator<DataBlock> call(Integer partition, Iterator<Integer> ignored) {
        int fd = generator.featureDim();
        int ld = generator.labelDim();
        long first = start(rows, partitions, partition);
        long count = start(rows, partitions, partition + 1) - first;
        List<DataBlock> blocks = new ArrayList<>();
        long done = 0;
        do {
            int n = (int) Math.min(maxBlockRows, count - done);
            float[] features;
            float[] labels;
            try {
                features = new float[n * fd];
                labels = new float[n * ld];
            } catch (OutOfMemoryError e) {
                throw TrainingException.outOfMemory("executor out of memory generating partition " + partition + " (" + count
                        + " rows of " + fd + " features): use more partitions or raise spark.executor.memory", e);
            }
            generator.generate(seed, partition, first + done, n, features, labels);
            check(features, fd, first + done, "feature");
            check(labels, ld, first + done, "label");
            for (int i = 0; i < n && classes > 0; i++) {
                String problem = RowPacker.checkClass(labels[i], classes);
                if (problem != null) {
                    throw new TrainingException(generator + " made row " + (first + done + i) + ": " + problem);
                }
            }
            blocks.add(new DataBlock(partition, done, n, fd, ld, features, labels, 0));
            done += n;
        } while (done < count);
        return blocks.iterator();
    }

    private void check(float[] values, int dim, long firstRow, String what) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new TrainingException(generator + " made " + what + " " + (i % dim) + " of row " + (firstRow + i / dim)
                        + " " + values[i] + "; generated values must be finite");
            }
        }
    }
}
