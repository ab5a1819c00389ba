package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;

/**
 * A model's mean loss over every row of a validation set, computed on the executors where its packed blocks are
 * cached: the driver broadcasts the parameters, each block returns its loss sum (forward only, in micro-batches, with
 * the model in eval mode, on the executor's CPU), and the driver adds the sums in partition order and divides by the
 * number of rows, so the value does not depend on task timing.
 */
final class ValidationLoss {
    private final JavaSparkContext sc;
    private final TrainingData.Packed packed;
    private final TrainerSettings settings;
    private final ParameterLayout layout;

    /** For validation data whose columns must match the training data's. */
    ValidationLoss(TrainingData validation, TrainingData training, TrainerSettings settings, ParameterLayout layout) {
        if (validation == training) {
            throw new IllegalArgumentException("the validation data is the training data; give held-out rows");
        }
        if (validation.featureDim() != training.featureDim() || validation.labelDim() != training.labelDim()) {
            throw new IllegalArgumentException("the validation rows have " + validation.featureDim() + " features and "
                    + validation.labelDim() + " label value(s), the training rows " + training.featureDim() + " and "
                    + training.labelDim());
        }
        this.sc = validation.sparkContext();
        this.packed = validation.packed();
        if (packed.rows() == 0) {
            throw new IllegalArgumentException("the validation data has no rows");
        }
        this.settings = settings;
        this.layout = layout;
    }

    /** The mean loss over all validation rows with the parameters params. */
    double mean(List<Parameter> params) {
        Broadcast<float[]> values = sc.broadcast(layout.flatten(params));
        String previous = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription("validation loss over " + packed.rows() + " rows");
        try {
            List<double[]> sums = packed.blocks().map(new BlockLoss(settings.modelFactory(), settings.lossFactory(), layout,
                    values, settings.microBatchSize(), settings.classLabels())).collect();
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
        private final SerializableSupplier<Module> modelFactory;
        private final SerializableSupplier<Loss> lossFactory;
        private final ParameterLayout layout;
        private final Broadcast<float[]> values;
        private final int microBatch;
        private final boolean classLabels;

        BlockLoss(SerializableSupplier<Module> modelFactory, SerializableSupplier<Loss> lossFactory, ParameterLayout layout,
                Broadcast<float[]> values, int microBatch, boolean classLabels) {
            this.modelFactory = modelFactory;
            this.lossFactory = lossFactory;
            this.layout = layout;
            this.values = values;
            this.microBatch = microBatch;
            this.classLabels = classLabels;
        }

        @Override
        public double[] call(DataBlock block) {
            if (block.rows == 0) {
                return new double[] {0, 0};
            }
            Module model = modelFactory.get();
            String mismatch = layout.mismatch(ParameterLayout.of(model.namedParameters()));
            if (mismatch != null) {
                throw new TrainingException(mismatch);
            }
            layout.load(new ArrayList<>(model.namedParameters().values()), values.value());
            model.eval();
            Loss loss = lossFactory.get();
            double sum = 0;
            int fd = block.featureDim;
            int ld = block.labelDim;
            try (GradMode.Scope noGrad = GradMode.noGrad()) {
                for (int start = 0; start < block.rows; start += microBatch) {
                    int m = Math.min(microBatch, block.rows - start);
                    float[] x = java.util.Arrays.copyOfRange(block.features, start * fd, (start + m) * fd);
                    float[] y = java.util.Arrays.copyOfRange(block.labels, start * ld, (start + m) * ld);
                    Tensor target = classLabels ? ModelReplica.classIndices(y, ld) : Tensor.tensor(y, m, ld);
                    sum += loss.forward(model.call(Tensor.tensor(x, m, fd)), target).item();
                }
            }
            return new double[] {sum, block.rows};
        }
    }
}
