package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.backend.DeviceOutOfMemoryError;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.Reduction;

/**
 * A model and its loss on one executor thread and device (or the driver model, for gradient verification): loads
 * the flat parameter vector and adds the per-sample gradient sum, loss sum and sample count of chosen
 * rows to a {@link GradientSum}, running forward/backward in micro-batches.
 */
final class ModelReplica {
    private final Module model;
    private final Loss loss;
    private final List<Parameter> params;
    private final ParameterLayout layout;
    private final Device device;
    private long loadedBroadcast = -1;

    private ModelReplica(Module model, Loss loss, ParameterLayout layout, Device device) {
        this.model = model;
        this.device = device;
        this.loss = loss;
        this.params = new ArrayList<>(model.namedParameters().values());
        this.layout = layout;
        requireSum(loss);
    }

    /**
     * Builds a replica with the factories on a device, checking that its parameters have the driver's layout.
     * Only the parameters (in) and the gradient sums (out) cross between host and device.
     */
    static ModelReplica build(SerializableSupplier<Module> modelFactory, SerializableSupplier<Loss> lossFactory,
            ParameterLayout driver, Device device) {
        Module m = modelFactory.get();
        String mismatch = driver.mismatch(ParameterLayout.of(m.namedParameters()));
        if (mismatch != null) {
            throw new TrainingException(mismatch);
        }
        m.to(device);
        return new ModelReplica(m, lossFactory.get(), driver, device);
    }

    /** Wraps a model that already holds the parameters (the driver's). */
    static ModelReplica wrap(Module model, Loss loss, ParameterLayout layout) {
        return new ModelReplica(model, loss, layout, Device.CPU);
    }

    /** Fails unless the loss sums over samples. */
    static void requireSum(Loss loss) {
        if (loss.reduction() != Reduction.SUM) {
            throw new TrainingException("the loss must use Reduction.SUM (the trainer adds per-sample losses and gradients"
                    + " over partitions and divides by the global batch size), got " + loss + " with reduction "
                    + loss.reduction() + "; e.g. new MSELoss(Reduction.SUM)");
        }
    }

    /** Loads the broadcast parameters, unless this replica holds broadcast {@code id} already. */
    void load(long id, float[] flat) {
        if (id != loadedBroadcast) {
            layout.load(params, flat);
            loadedBroadcast = id;
        }
    }

    /**
     * Adds the rows {@code order[lo..hi)} of (features, labels) to sum: forward and backward in
     * micro-batches of at most {@code microBatch} rows. With classLabels, labels (labelDim 1) are class
     * indices given to the loss as int64 [m]; else they are float32 [m, labelDim].
     */
    void accumulate(float[] features, float[] labels, int featureDim, int labelDim, int[] order, int lo, int hi,
            int microBatch, boolean classLabels, GradientSum sum) {
        model.zeroGrad();
        double lossSum = 0;
        for (int start = lo; start < hi; start += microBatch) {
            int m = Math.min(microBatch, hi - start);
            float[] x;
            float[] y;
            try {
                x = new float[m * featureDim];
                y = new float[m * labelDim];
            } catch (OutOfMemoryError e) {
                throw outOfMemory(m, featureDim, e);
            }
            for (int i = 0; i < m; i++) {
                int r = order[start + i];
                System.arraycopy(features, r * featureDim, x, i * featureDim, featureDim);
                System.arraycopy(labels, r * labelDim, y, i * labelDim, labelDim);
            }
            try {
                Tensor out = model.call(Tensor.tensor(x, m, featureDim).to(device));   // with its hooks, as model(x)
                Tensor target = classLabels ? classIndices(y, labelDim) : Tensor.tensor(y, m, labelDim);
                Tensor l = loss.forward(out, target.to(device));
                if (l.numel() != 1) {
                    throw new TrainingException("the loss must reduce to one number (Reduction.SUM), got shape "
                            + Arrays.toString(l.shape()));
                }
                lossSum += l.item();
                l.backward();
            } catch (OutOfMemoryError e) {
                throw outOfMemory(m, featureDim, e);
            } catch (DeviceOutOfMemoryError e) {
                model.zeroGrad(); // gives the gradients' device memory back for the next task
                throw new TrainingException("out of " + device + " memory " + microBatch(m, featureDim) + ". "
                        + e.getMessage(), e);
            }
        }
        sum.loss += lossSum;
        sum.count += hi - lo;
        for (int i = 0; i < params.size(); i++) {
            Tensor g = params.get(i).grad();
            if (g != null) {
                sum.addGradient(layout.total, layout.offsets[i], g.toFloatArray());
            }
        }
        sum.ensureGradient(layout.total);
        model.zeroGrad();
    }

    private TrainingException outOfMemory(int m, int featureDim, OutOfMemoryError e) {
        return TrainingException.outOfMemory("out of memory " + microBatch(m, featureDim)
                + " or raise spark.executor.memory", e);
    }

    /** The part of an out-of-memory message that names the micro-batch and the first remedy. */
    private String microBatch(int m, int featureDim) {
        return "in a micro-batch of " + m + " rows x " + featureDim + " features (model of " + layout.total
                + " parameters): lower the trainer's microBatchSize (now " + m + " or less)";
    }

    static Tensor classIndices(float[] y, int labelDim) {
        if (labelDim != 1) {
            throw new TrainingException("class labels need one label value per row, got labelDim=" + labelDim);
        }
        double[] idx = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            if (y[i] != Math.rint(y[i]) || y[i] < 0) {
                throw new TrainingException("class label " + y[i] + " is not a class index (an integer >= 0)");
            }
            idx[i] = y[i];
        }
        return Tensor.tensor(idx, DType.INT64, y.length);
    }
}
