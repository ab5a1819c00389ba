package org.sparkgrad.jobs;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Module;

/**
 * Named float32 parameter values that travel in a Spark closure (tensors do not): a trained model's, to
 * evaluate it on the executors.
 */
final class ParameterValues implements Serializable {
    private static final long serialVersionUID = 1L;

    private final LinkedHashMap<String, float[]> values = new LinkedHashMap<>();
    private final LinkedHashMap<String, int[]> shapes = new LinkedHashMap<>();

    private ParameterValues(Map<String, Tensor> tensors) {
        tensors.forEach((k, v) -> {
            values.put(k, v.detach().toFloatArray());
            shapes.put(k, v.shape());
        });
    }

    /** The values of the module's parameters, by name. */
    static ParameterValues of(Module m) {
        return new ParameterValues(new LinkedHashMap<>(m.namedParameters()));
    }

    /** The values as float32 tensors, by name. */
    Map<String, Tensor> tensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, Tensor.tensor(v, shapes.get(k))));
        return out;
    }

    /** Loads the values into m: every parameter needs one of its shape, and every value a parameter (strict). */
    <M extends Module> M loadInto(M m) {
        m.loadStateDict(tensors(), true);
        return m;
    }
}
