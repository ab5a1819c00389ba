package org.sparkgrad.jobs;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.spark.RowGenerator;
import org.sparkgrad.spark.SerializableSupplier;

/**
 * A model's mean loss over all rows of a {@link RowGenerator}'s data, computed on the executors (the rows are
 * made there again, partition by partition, exactly as {@code TrainingData.synthetic} makes them): what the
 * seeds print after each epoch, {@code loss(net(features), labels)}, for data that never reaches the driver.
 */
final class GeneratedRowsLoss {
    /** Rows generated and evaluated at a time. */
    private static final int CHUNK = 4096;

    private final JavaRDD<Integer> partitions;
    private final RowGenerator generator;
    private final long rows;
    private final int numPartitions;
    private final long seed;
    private final SerializableSupplier<Module> model;
    private final SerializableSupplier<Loss> sumLoss;

    /**
     * For the data {@code TrainingData.synthetic(sc, generator, rows, partitions, seed)} makes, a model of the
     * factory's architecture, and a loss with {@code Reduction.SUM} (the trainer's).
     */
    GeneratedRowsLoss(JavaSparkContext sc, RowGenerator generator, long rows, int partitions, long seed,
            SerializableSupplier<Module> model, SerializableSupplier<Loss> sumLoss) {
        List<Integer> ids = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            ids.add(p);
        }
        this.partitions = sc.parallelize(ids, partitions);
        this.generator = generator;
        this.rows = rows;
        this.numPartitions = partitions;
        this.seed = seed;
        this.model = model;
        this.sumLoss = sumLoss;
    }

    /** The first global row of partition p, floor(rows * p / partitions) as the synthetic data has it. */
    static long start(long rows, int partitions, int p) {
        return rows / partitions * p + rows % partitions * p / partitions;
    }

    /** The loss summed over all rows, divided by the number of rows, with the parameters of trained. */
    double mean(Module trained) {
        ParameterValues values = ParameterValues.of(trained);
        RowGenerator g = generator;
        long n = rows;
        int parts = numPartitions;
        long s = seed;
        SerializableSupplier<Module> factory = model;
        SerializableSupplier<Loss> loss = sumLoss;
        double[] total = partitions.mapPartitionsWithIndex((Integer p, Iterator<Integer> it) -> {
            Module m = values.loadInto(factory.get());
            Loss l = loss.get();
            long first = start(n, parts, p);
            long end = start(n, parts, p + 1);
            double sum = 0;
            try (GradMode.Scope noGrad = GradMode.noGrad()) {
                for (long r = first; r < end; r += CHUNK) {
                    int count = (int) Math.min(CHUNK, end - r);
                    float[] x = new float[count * g.featureDim()];
                    float[] y = new float[count * g.labelDim()];
                    g.generate(s, p, r, count, x, y);
                    sum += l.forward(m.forward(Tensor.tensor(x, count, g.featureDim())),
                            Tensor.tensor(y, count, g.labelDim())).item();
                }
            }
            return List.of(new double[] {sum}).iterator();
        }, true).fold(new double[] {0}, (a, b) -> new double[] {a[0] + b[0]});
        return total[0] / rows;
    }
}
