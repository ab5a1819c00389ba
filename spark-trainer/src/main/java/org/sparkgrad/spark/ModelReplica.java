package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.backend.DeviceOutOfMemoryError;
import org.sparkgrad.engine.nn.BatchContext;
import org.sparkgrad.engine.nn.BatchContext.StatsReducer;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.Reduction;

/**
 * A model and its training step on one executor thread and device (or the driver model, for gradient verification):
 * loads the flat parameter vector and adds the gradient sum, loss sum and sample count of chosen rows to a
 * {@link GradientSum}, running forward/backward in micro-batches. A micro-batch's loss is the step's loss of its m
 * rows; with {@link Reduction#MEAN} it is weighted by m (backward from m times the loss, m times the loss added to
 * the loss sum), so that the driver's division by the global batch size gives the mean over the global batch.
 */
final class ModelReplica {
    private final Module model;
    private final TrainStep step;
    private final Reduction reduction;
    private final BatchSpec batches;
    private final List<Parameter> params;
    private final ParameterLayout layout;
    private final Device device;
    private long loadedBroadcast = -1;

    private ModelReplica(Module model, TrainStep step, Reduction reduction, BatchSpec batches, ParameterLayout layout,
            Device device) {
        this.model = model;
        this.device = device;
        this.step = step;
        this.reduction = requireReduction(reduction);
        this.batches = batches;
        this.params = new ArrayList<>(model.namedParameters().values());
        this.layout = layout;
    }

    /**
     * Builds a replica of the run's model with its factory on a device, checking that its parameters have the
     * driver's layout. Only the parameters (in) and the gradient sums (out) cross between host and device.
     */
    static ModelReplica build(StepSpec spec, Device device) {
        Module m = spec.modelFactory.get();
        String mismatch = spec.layout.mismatch(ParameterLayout.of(m.namedParameters()));
        if (mismatch != null) {
            throw new TrainingException(mismatch);
        }
        m.to(device);
        return new ModelReplica(m, spec.step, spec.reduction, spec.batches, spec.layout, device);
    }

    /** Wraps a model that already holds the parameters (the driver's). */
    static ModelReplica wrap(Module model, StepSpec spec) {
        return new ModelReplica(model, spec.step, spec.reduction, spec.batches, spec.layout, Device.CPU);
    }

    /** The reduction, unless it is not one the trainer can weight (NONE, null). */
    static Reduction requireReduction(Reduction r) {
        if (r != Reduction.SUM && r != Reduction.MEAN) {
            throw new TrainingException("the loss must reduce each micro-batch to one number with Reduction.MEAN or"
                    + " Reduction.SUM (the trainer weights micro-batch means by their rows and divides the sums by the"
                    + " global batch size), got " + r + "; e.g. new MSELoss(Reduction.MEAN)");
        }
        return r;
    }

    /**
     * Loads the broadcast parameters, unless this replica holds broadcast {@code id} already: on the CPU as views of
     * flat (no copy), which a broadcast's value and a barrier task's step vector stay, unchanged, until every task
     * that may borrow this replica for that id is done with it.
     */
    void load(long id, float[] flat) {
        if (id != loadedBroadcast) {
            layout.share(params, flat);
            loadedBroadcast = id;
        }
    }

    /** Loads buffer values ({@link ModelBuffers#flatten}) into the replica's buffers. */
    void loadBuffers(double[] flat) {
        ModelBuffers.load(model, flat);
    }

    /** The replica's buffer values. */
    double[] buffers() {
        return ModelBuffers.flatten(model);
    }

    /**
     * Adds the rows {@code order[lo..hi)} of the packed arrays (rows laid out by the run's {@link BatchSpec}) to sum:
     * forward and backward in micro-batches of at most {@code microBatch} rows, each inside a {@link BatchContext}
     * scope of the global step (0-based), the micro-batch rows' global indices as sample keys ({@code keys[i]} is that
     * of row {@code order[lo + i]}) and reducer, so dropout masks do not depend on the partitioning and batch norm
     * sums its statistics over the replicas.
     */
    void accumulate(float[] features, float[] labels, int[] order, long[] keys, int lo, int hi, long step,
            int microBatch, StatsReducer reducer, GradientSum sum) {
        model.zeroGrad();
        double lossSum = 0;
        int width = batches.width(false);
        for (int start = lo; start < hi; start += microBatch) {
            int m = Math.min(microBatch, hi - start);
            long[] batchKeys = Arrays.copyOfRange(keys, start - lo, start - lo + m);
            try (BatchContext.Scope scope = BatchContext.open(step, batchKeys, reducer)) {
                TensorBatch batch = batches.slice(features, labels, order, start, m, device);
                Tensor l = this.step.loss(model, batch);
                if (l == null || l.numel() != 1) {
                    throw new TrainingException("the loss must reduce to one number (Reduction." + reduction + "), got "
                            + (l == null ? "null" : "shape " + Arrays.toString(l.shape())));
                }
                if (reduction == Reduction.MEAN) {
                    lossSum += l.item() * m;
                    l.mul((double) m).backward();
                } else {
                    lossSum += l.item();
                    l.backward();
                }
            } catch (OutOfMemoryError e) {
                throw outOfMemory(m, width, e);
            } catch (DeviceOutOfMemoryError e) {
                model.zeroGrad(); // gives the gradients' device memory back for the next task
                throw new TrainingException("out of " + device + " memory " + microBatch(m, width) + ". "
                        + e.getMessage(), e);
            }
        }
        sum.loss += lossSum;
        sum.count += hi - lo;
        boolean copy = sum.grad == null;
        for (int i = 0; i < params.size(); i++) {
            Tensor g = params.get(i).grad();
            copy &= g != null && cpuFloat(g);
        }
        if (copy) {
            // every part is written: the sum's first gradient is the replica's, copied without zeroing first
            sum.grad = sum.takeGradient(layout.total);
            try (org.sparkgrad.engine.GradMode.Scope s = org.sparkgrad.engine.GradMode.noGrad()) {
                for (int i = 0; i < params.size(); i++) {
                    layout.part(sum.grad, i).copy_(params.get(i).grad());
                }
            }
        } else {
            for (int i = 0; i < params.size(); i++) {
                Tensor g = params.get(i).grad();
                if (g != null) {
                    addGradient(sum, i, g);
                }
            }
        }
        sum.ensureGradient(layout.total);
        model.zeroGrad();
    }

    /**
     * Adds parameter i's gradient into the flat sum: a float32 CPU gradient straight into the sum's part (the same
     * float additions as element by element), any other through a host copy.
     */
    private void addGradient(GradientSum sum, int i, Tensor g) {
        if (cpuFloat(g)) {
            sum.ensureGradient(layout.total);
            try (org.sparkgrad.engine.GradMode.Scope s = org.sparkgrad.engine.GradMode.noGrad()) {
                layout.part(sum.grad, i).add_(g);
            }
        } else {
            sum.addGradient(layout.total, layout.offsets[i], g.toFloatArray());
        }
    }

    private static boolean cpuFloat(Tensor g) {
        return g.device().equals(org.sparkgrad.engine.Device.CPU) && g.dtype() == org.sparkgrad.engine.DType.FLOAT32;
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
}
