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
 * file must fit the model exactly: a tensor for every parameter, of its shape, and no tensor that is not a
 * parameter; otherwise the error lists every mismatch (name, expected shape, found shape). Floating dtypes other
 * than float32 are converted as loading a state dict does.
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
            if (!expected.containsKey(name)) {
                out.add(name + ": found shape " + Arrays.toString(t.shape()) + ", which is not a parameter of the model");
            }
        });
        return out;
    }

    /** The shapes of the module's parameters, by name. */
    static Map<String, int[]> shapes(Module model) {
        Map<String, int[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((k, v) -> out.put(k, v.shape()));
        return out;
    }

    /**
     * Checks values (read from uri) against expected shapes and returns them; fails naming the file and every
     * mismatch.
     */
    public static Map<String, Tensor> check(String uri, Map<String, int[]> expected, Map<String, Tensor> values) {
        List<String> bad = mismatches(expected, values);
        if (!bad.isEmpty()) {
            StringBuilder has = new StringBuilder();
            expected.forEach((k, v) -> has.append(has.length() == 0 ? "" : ", ").append(k).append(' ').append(Arrays.toString(v)));
            throw new IllegalArgumentException("the initial weights " + uri + " do not fit the model (" + has + "): "
                    + String.join("; ", bad));
        }
        return values;
    }

    /** Loads the file at uri into model's parameters, after {@link #check}ing it against them. */
    public static void loadInto(Module model, String uri, Configuration conf) {
        model.loadStateDict(check(uri, shapes(model), read(uri, conf)), true);
    }

    /** {@link #loadInto(Module, String, Configuration)} with Hadoop's default configuration (local paths, file://). */
    public static void loadInto(Module model, String uri) {
        loadInto(model, uri, new Configuration());
    }
}
