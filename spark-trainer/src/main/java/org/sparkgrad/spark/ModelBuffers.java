package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.BatchNormBase;
import org.sparkgrad.engine.nn.Module;

/**
 * A model's buffers (BatchNorm's running statistics and batch count) as one flat vector of doubles, in
 * namedBuffers() order, which holds float32 and int64 values exactly; and which of its layers make it need the
 * barrier stages' statistics exchange.
 */
final class ModelBuffers {
    private ModelBuffers() {
    }

    /** The names of the model's batch-norm layers, whose training forward and backward all-reduce statistics. */
    static List<String> batchNormLayers(Module model) {
        List<String> out = new ArrayList<>();
        collect(model, "", out);
        return out;
    }

    private static void collect(Module m, String name, List<String> out) {
        if (m instanceof BatchNormBase) {
            out.add(name.isEmpty() ? m.getClass().getSimpleName() : name);
        }
        m.namedChildren().forEach((k, c) -> collect(c, name.isEmpty() ? k : name + "." + k, out));
    }

    /** The buffers' values, flat. */
    static double[] flatten(Module model) {
        Map<String, Tensor> buffers = model.namedBuffers();
        int n = 0;
        for (Tensor t : buffers.values()) {
            n += t.numel();
        }
        double[] flat = new double[n];
        int at = 0;
        for (Tensor t : buffers.values()) {
            if (t.dtype() == DType.INT64) {
                for (long v : t.toLongArray()) {
                    flat[at++] = v;
                }
            } else {
                for (float v : t.to(DType.FLOAT32).toFloatArray()) {
                    flat[at++] = v;
                }
            }
        }
        return flat;
    }

    /** Copies flat values (from {@link #flatten}) into the model's buffers, in place. */
    static void load(Module model, double[] flat) {
        Map<String, Tensor> buffers = model.namedBuffers();
        int at = 0;
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
                Tensor t = e.getValue();
                if (at + t.numel() > flat.length) {
                    throw new TrainingException("the buffer values end at " + flat.length + " before buffer " + e.getKey()
                            + " of " + t.numel() + " values: the model differs between the driver and the executors");
                }
                double[] v = java.util.Arrays.copyOfRange(flat, at, at + t.numel());
                at += t.numel();
                t.copy_(Tensor.tensor(v, t.dtype(), t.shape()).to(t.device()));
            }
        }
        if (at != flat.length) {
            throw new TrainingException(flat.length + " buffer values for buffers of " + at
                    + ": the model differs between the driver and the executors");
        }
    }
}
