package org.sparkgrad.spark;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.engine.nn.Module;

/**
 * A model's initial parameters from a {@code .safetensors} file on any Hadoop file system ({@code hdfs://nn/w.safetensors},
 * {@code file:///tmp/w.safetensors}, or a path without a scheme, which is on Hadoop's default file system: the local one
 * unless the configuration's {@code fs.defaultFS} names another), e.g. the {@code model.safetensors} another run wrote. The
 * file must fit the model: a tensor for every parameter, of its shape, and no tensor that is neither a parameter
 * nor a buffer; buffers (BatchNorm's running statistics, as in a saved state dict) are loaded when the file has
 * them, and must then have their shape too; otherwise the error lists every mismatch (name, expected shape, found
 * shape). Floating tensors of another floating dtype (a float64 file) are converted to the model's.
 */
public final class InitialWeights {
    private InitialWeights() {
    }

    /** The tensors of the safetensors file at uri, by name, in the file's order. */
    public static Map<String, Tensor> read(String uri, Configuration conf) {
        Path path = new Path(uri);
        try {
            FileSystem fs = path.getFileSystem(conf);
            FileStatus status = fs.getFileStatus(path);
            try (InputStream in = new BufferedInputStream(fs.open(path), 1 << 16)) {
                return SafeTensors.read(in, status.getLen(), uri).tensors();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the initial weights " + uri + ": " + e.getMessage(), e);
        }
    }

    /**
     * What keeps values from fitting a model whose parameters have the shapes expected (by name), one line per
     * tensor at fault; empty when they fit.
     */
    public static List<String> mismatches(Map<String, int[]> expected, Map<String, Tensor> values) {
        return mismatches(expected, Map.of(), values);
    }

    /**
     * {@link #mismatches(Map, Map)} where the tensors named in optional (the model's buffers) may be absent, but
     * must have their shape when present.
     */
    static List<String> mismatches(Map<String, int[]> expected, Map<String, int[]> optional, Map<String, Tensor> values) {
        List<String> out = new ArrayList<>();
        expected.forEach((name, shape) -> {
            Tensor t = values.get(name);
            if (t == null) {
                out.add(name + ": expected shape " + Arrays.toString(shape) + ", found no tensor of that name");
            } else if (!Arrays.equals(shape, t.shape())) {
                out.add(name + ": expected shape " + Arrays.toString(shape) + ", found " + Arrays.toString(t.shape()));
            }
        });
        values.forEach((name, t) -> {
            int[] buffer = optional.get(name);
            if (buffer != null && !Arrays.equals(buffer, t.shape())) {
                out.add(name + ": expected shape " + Arrays.toString(buffer) + " (a buffer), found " + Arrays.toString(t.shape()));
            } else if (buffer == null && !expected.containsKey(name)) {
                out.add(name + ": found shape " + Arrays.toString(t.shape()) + ", which is not a parameter of the model");
            }
        });
        return out;
    }

    /** The shapes of the module's parameters, by name. */
    static Map<String, int[]> shapes(Module model) {
        return shapes(model.namedParameters());
    }

    private static Map<String, int[]> shapes(Map<String, ? extends Tensor> tensors) {
        Map<String, int[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.shape()));
        return out;
    }

    /**
     * Checks values (read from uri) against expected shapes and returns them; fails naming the file and every
     * mismatch.
     */
    public static Map<String, Tensor> check(String uri, Map<String, int[]> expected, Map<String, Tensor> values) {
        return check(uri, expected, Map.of(), values);
    }

    private static Map<String, Tensor> check(String uri, Map<String, int[]> expected, Map<String, int[]> optional,
                                             Map<String, Tensor> values) {
        List<String> bad = mismatches(expected, optional, values);
        if (!bad.isEmpty()) {
            StringBuilder has = new StringBuilder();
            expected.forEach((k, v) -> has.append(has.length() == 0 ? "" : ", ").append(k).append(' ').append(Arrays.toString(v)));
            throw new IllegalArgumentException("the initial weights " + uri + " do not fit the model (" + has + "): "
                    + String.join("; ", bad));
        }
        return values;
    }

    /**
     * Loads the file at uri into model's parameters (and the buffers it has), after {@link #check}ing it against
     * them; floating tensors are converted to the dtype of the model's.
     */
    public static void loadInto(Module model, String uri, Configuration conf) {
        Map<String, Tensor> own = new LinkedHashMap<>(model.namedParameters());
        own.putAll(model.namedBuffers());
        Map<String, Tensor> values = check(uri, shapes(model), shapes(model.namedBuffers()), read(uri, conf));
        Map<String, Tensor> converted = new LinkedHashMap<>();
        values.forEach((name, t) -> {
            Tensor dst = own.get(name);
            boolean convert = t.dtype() != dst.dtype() && t.dtype().isFloatingPoint() && dst.dtype().isFloatingPoint();
            converted.put(name, convert ? t.to(dst.dtype()) : t);
        });
        model.loadStateDict(converted, false);
    }

    /** {@link #loadInto(Module, String, Configuration)} with Hadoop's default configuration (local paths, file://). */
    public static void loadInto(Module model, String uri) {
        loadInto(model, uri, new Configuration());
    }
}
