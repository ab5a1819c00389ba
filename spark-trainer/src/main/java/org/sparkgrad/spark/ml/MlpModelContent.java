package org.sparkgrad.spark.ml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.engine.nn.Module;

/**
 * What a fitted MLP model is, apart from its Spark params: the task, the architecture, the weights (the module's state
 * dict) and what the inputs and outputs mean (feature names; the classes). As a file it is one safetensors file whose
 * header metadata holds everything but the tensors ({@code format, task, layers, activation, dropout, standardize,
 * featureNames, labels, labelType}), so it also opens in Python's safetensors.
 *
 * @param task "classification" or "regression"
 * @param architecture the network's shape
 * @param state the module's state dict (weights, biases, the standardization buffers)
 * @param featureNames the names of the input features, in vector order
 * @param labels the classes (classification), else null
 */
record MlpModelContent(String task, MlpArchitecture architecture, Map<String, Tensor> state, List<String> featureNames,
        LabelMapping labels) {
    /** The value of the metadata key "format". */
    static final String FORMAT = "sparkgrad-mlp-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A fitted module's content (its state dict copied). */
    static MlpModelContent of(String task, MlpArchitecture architecture, Module trained, List<String> featureNames,
            LabelMapping labels) {
        Map<String, Tensor> state = new LinkedHashMap<>();
        try (GradMode.Scope g = GradMode.noGrad()) {
            trained.stateDict().forEach((k, v) -> state.put(k, Tensor.tensor(v.toFloatArray(), v.shape())));
        }
        return new MlpModelContent(task, architecture, state, List.copyOf(featureNames), labels);
    }

    /** The module with these weights, in eval mode. */
    Module module() {
        Module m = architecture.build(0);
        m.loadStateDict(state);
        m.eval();
        return m;
    }

    /** The safetensors header metadata. */
    Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("task", task);
        m.putAll(architecture.metadata());
        try {
            m.put("featureNames", JSON.writeValueAsString(featureNames));
            if (labels != null) {
                m.put("labels", JSON.writeValueAsString(labels.labels()));
                m.put("labelType", labels.numeric() ? "numeric" : "string");
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not encode the model metadata: " + e, e);
        }
        return m;
    }

    /** The safetensors bytes. */
    byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            SafeTensors.write(state, metadata(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Decodes {@link #toBytes()}. */
    static MlpModelContent fromBytes(byte[] bytes, String source) {
        try {
            return read(new ByteArrayInputStream(bytes), bytes.length, source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a model file (every check of {@link SafeTensors#read(InputStream, long, String)}, then the metadata).
     *
     * @throws IOException naming the source and what is missing or wrong
     */
    static MlpModelContent read(InputStream in, long length, String source) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(in, length, source);
        Map<String, String> m = c.metadata();
        if (!FORMAT.equals(m.get("format"))) {
            throw new IOException(source + " is not a sparkgrad MLP model: its metadata has format '" + m.get("format")
                    + "', expected '" + FORMAT + "'");
        }
        try {
            int[] layers = Arrays.stream(required(m, "layers", source).split(",")).mapToInt(Integer::parseInt).toArray();
            float[] mean = null;
            float[] std = null;
            if (Boolean.parseBoolean(required(m, "standardize", source))) {
                mean = tensor(c.tensors(), "0.mean", source).toFloatArray();
                std = tensor(c.tensors(), "0.std", source).toFloatArray();
            }
            MlpArchitecture arch = new MlpArchitecture(layers, required(m, "activation", source),
                    Double.parseDouble(required(m, "dropout", source)), mean, std);
            List<String> names = JSON.readValue(required(m, "featureNames", source), new TypeReference<List<String>>() { });
            LabelMapping labels = null;
            if (m.containsKey("labels")) {
                String[] l = JSON.readValue(m.get("labels"), String[].class);
                labels = new LabelMapping(l, "numeric".equals(required(m, "labelType", source)));
            }
            return new MlpModelContent(required(m, "task", source), arch, c.tensors(), names, labels);
        } catch (IllegalArgumentException | JsonProcessingException e) {
            throw new IOException(source + " has unreadable model metadata: " + e.getMessage(), e);
        }
    }

    private static String required(Map<String, String> m, String key, String source) throws IOException {
        String v = m.get(key);
        if (v == null) {
            throw new IOException(source + " lacks the model metadata key '" + key + "'; it has " + m.keySet());
        }
        return v;
    }

    private static Tensor tensor(Map<String, Tensor> t, String name, String source) throws IOException {
        Tensor v = t.get(name);
        if (v == null) {
            throw new IOException(source + " says standardize=true but has no tensor '" + name + "'");
        }
        return v;
    }
}
