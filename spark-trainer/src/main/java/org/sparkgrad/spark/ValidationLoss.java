package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.Reduction;

/**
 * A model's mean loss over every row of a validation set, computed on the executors where its packed blocks are
 * cached: the driver broadcasts the parameters, each block returns its loss sum (the run's training step, forward
 * only, in micro-batches, with the model in eval mode, on the executor's CPU; a MEAN step's loss weighted by its
 * micro-batch rows, as in training), and the driver adds the sums in partition order and divides by the number of
 * rows, so the value does not depend on task timing.
 */
final class ValidationLoss {
    private final JavaSparkContext sc;
    private final TrainingData.Packed packed;
    private final StepSpec spec;

    /** For validation data whose rows must hold what the training data's hold; spec is the run's. */
    ValidationLoss(TrainingData validation, TrainingData training, StepSpec spec) {
        if (validation == training) {
            throw new IllegalArgumentException("the validation data is the training data; give held-out rows");
        }
        if (!validation.rowContent().equals(training.rowContent())) {
            throw new IllegalArgumentException(validation.columns() == null && training.columns() == null
                    ? "the validation rows have " + validation.featureDim() + " features and " + validation.labelDim()
                            + " label value(s), the training rows " + training.featureDim() + " and " + training.labelDim()
                    : "the validation rows hold " + validation.rowContent() + ", the training rows "
                            + training.rowContent());
        }
        this.sc = validation.sparkContext();
        this.packed = validation.packed();
        if (packed.rows() == 0) {
            throw new IllegalArgumentException("the validation data has no rows");
        }
        this.spec = spec;
    }

    /**
     * The mean loss over all validation rows with the parameters params and the buffer values buffers
     * ({@link ModelBuffers#flatten}: batch norm's running statistics, which eval mode normalises with).
     */
    double mean(List<Parameter> params, double[] buffers) {
        Broadcast<float[]> values = sc.broadcast(spec.layout.flatten(params));
        String previous = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription("validation loss over " + packed.rows() + " rows");
        try {
            List<double[]> sums = packed.blocks().map(new BlockLoss(spec, values, buffers)).collect();
            double loss = 0;
            long count = 0;
            for (double[] s : sums) {
                loss += s[0];
                count += (long) s[1];
            }
            if (count != packed.rows()) {
                throw new TrainingException("the validation loss covered " + count + " rows, the validation data has "
                        + packed.rows() + ": the cached data changed");
            }
            return loss / count;
        } catch (TrainingException e) {
            throw e;
        } catch (Exception e) {
            throw TrainingException.unwrap(e, "computing the validation loss failed: ");
        } finally {
            values.destroy();
            sc.setJobDescription(previous);
        }
    }

    /** One block's loss sum and row count. */
    static final class BlockLoss implements Function<DataBlock, double[]> {
        private static final long serialVersionUID = 1L;
        private final StepSpec spec;
        private final Broadcast<float[]> values;
        private final double[] buffers;

        BlockLoss(StepSpec spec, Broadcast<float[]> values, double[] buffers) {
            this.spec = spec;
            this.values = values;
            this.buffers = buffers;
        }

        @Override
        public double[] call(DataBlock block) {
            if (block.rows == 0) {
                return new double[] {0, 0};
            }
            Module model = spec.modelFactory.get();
            String mismatch = spec.layout.mismatch(ParameterLayout.of(model.namedParameters()));
            if (mismatch != null) {
                throw new TrainingException(mismatch);
            }
            spec.layout.load(new ArrayList<>(model.namedParameters().values()), values.value());
            ModelBuffers.load(model, buffers);
            model.eval();
            int[] order = new int[block.rows];
            for (int r = 0; r < order.length; r++) {
                order[r] = r;
            }
            double sum = 0;
            try (GradMode.Scope noGrad = GradMode.noGrad()) {
                for (int start = 0; start < block.rows; start += spec.microBatch) {
                    int m = Math.min(spec.microBatch, block.rows - start);
                    TensorBatch batch = spec.batches.slice(block.features, block.labels, order, start, m, Device.CPU);
                    double l = spec.step.loss(model, batch).item();
                    sum += spec.reduction == Reduction.MEAN ? l * m : l;
                }
            }
            return new double[] {sum, block.rows};
        }
    }
}
