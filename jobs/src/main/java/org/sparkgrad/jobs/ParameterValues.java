package org.sparkgrad.jobs;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.spark.SerializableSupplier;

/**
 * Named float32 parameter values that travel in a Spark closure (tensors do not): a trained model's, to
 * evaluate it on the executors, or a safetensors file's, to start training from ({@code --init-weights}).
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

    /** The tensors of a safetensors file (any floating dtype, as float32), by name. */
    static ParameterValues load(Path file) {
        try {
            return new ParameterValues(SafeTensors.load(file));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the initial weights " + file + ": " + e.getMessage(), e);
        }
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

    /**
     * Loads the safetensors file into model as its initial weights and returns the file's values. A file that
     * does not fit stops with a message that names it and, as PyTorch's load_state_dict does, the missing,
     * unexpected and mis-shaped keys.
     */
    static ParameterValues initialWeights(Path file, Module model) {
        ParameterValues v = load(file);
        try {
            v.loadInto(model);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--init-weights " + file + " does not fit the model: " + e.getMessage(), e);
        }
        return v;
    }

    /**
     * The factory's models, starting from the safetensors file's values; the file is checked here, on the
     * driver, against one model the factory builds ({@link #initialWeights(Path, Module)}), so a file that does
     * not fit stops the job before Spark starts.
     */
    static SerializableSupplier<Module> initialWeights(Path file, SerializableSupplier<Module> factory) {
        ParameterValues v = initialWeights(file, factory.get());
        return () -> v.loadInto(factory.get());
    }
}
