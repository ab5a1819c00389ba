package org.sparkgrad.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.engine.optim.OptimizerState;

/**
 * How a {@link TrainingState} becomes the tensors and metadata of one {@code .safetensors} file and back,
 * with the checks that decide whether a file is a valid checkpoint. The file opens with any safetensors
 * reader (e.g. {@code safetensors.numpy.load_file} and {@code safe_open(...).metadata()} in Python):
 *
 * <pre>
 * tensors   param.&lt;name&gt;     each model tensor, by its module name
 *           optim.&lt;key&gt;      each optimizer buffer, e.g. optim.state.fc.weight.exp_avg
 *           loss_history       F64 [steps], the loss of every step so far
 * metadata  format             "sparkgrad.checkpoint"
 *           format_version     "1"
 *           step, epoch, data_seed         decimal integers
 *           parameters         JSON array of the model's tensor names, in the module's order
 *           optimizer.params   JSON array of the optimizer's parameter names, in its order
 *           optimizer.state    JSON array of the optimizer's buffer keys (optim.&lt;key&gt; without the prefix), in its order
 *           optimizer.hyper.&lt;key&gt;        each hyper-parameter as a decimal (Java's Double.toString,
 *                                         which Python's float() reads exactly), in the optimizer's order
 *           run.&lt;key&gt;       the run's identity ({@link RunIdentity}: run.model, run.data, run.seed, ...),
 *                              absent in checkpoints written without one
 *           checksum           "sha256:" + 64 hex digits
 * </pre>
 *
 * The checksum is the SHA-256 of the file this format writes for the same tensors and the same metadata
 * without the {@code checksum} entry (the last one). It covers every tensor byte, every name, shape and
 * dtype, and every metadata value, so a flipped bit anywhere in the file is caught: by the safetensors
 * checks when it breaks the structure, by the checksum otherwise. Python checks it with:
 *
 * <pre>
 * b = open(path, "rb").read(); n = struct.unpack("&lt;Q", b[:8])[0]; h = json.loads(b[8:8 + n])
 * stored = h["__metadata__"].pop("checksum")
 * hdr = json.dumps(h, separators=(",", ":"), ensure_ascii=False).encode(); hdr += b" " * (-len(hdr) % 8)
 * assert stored == "sha256:" + hashlib.sha256(struct.pack("&lt;Q", len(hdr)) + hdr + b[8 + n:]).hexdigest()
 * </pre>
 */
final class CheckpointFormat {
    static final String FORMAT = "sparkgrad.checkpoint";
    static final int VERSION = 1;

    static final String KEY_FORMAT = "format";
    static final String KEY_VERSION = "format_version";
    static final String KEY_STEP = "step";
    static final String KEY_EPOCH = "epoch";
    static final String KEY_DATA_SEED = "data_seed";
    static final String KEY_PARAMETERS = "parameters";
    static final String KEY_OPTIMIZER_PARAMS = "optimizer.params";
    static final String KEY_OPTIMIZER_STATE = "optimizer.state";
    static final String HYPER_PREFIX = "optimizer.hyper.";
    static final String KEY_CHECKSUM = "checksum";
    static final String RUN_PREFIX = "run.";

    static final String PARAM_PREFIX = "param.";
    static final String OPTIM_PREFIX = "optim.";
    static final String LOSS_HISTORY = "loss_history";

    private static final String SHA256 = "sha256:";
    /** Thread-safe once configured; trailing text after the JSON value is an error, as in Python's json.loads. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The tensors and metadata of one checkpoint file. */
    record Encoded(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    private CheckpointFormat() {
    }

    /** The file contents of a state, checksum included. */
    static Encoded encode(TrainingState s) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : s.parameters().entrySet()) {
            tensors.put(PARAM_PREFIX + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Tensor> e : s.optimizer().tensors().entrySet()) {
            tensors.put(OPTIM_PREFIX + e.getKey(), e.getValue());
        }
        double[] losses = new double[s.lossHistory().size()];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = s.lossHistory().get(i);
        }
        tensors.put(LOSS_HISTORY, Tensor.tensor(losses, DType.FLOAT64, losses.length));

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(KEY_FORMAT, FORMAT);
        meta.put(KEY_VERSION, Integer.toString(VERSION));
        meta.put(KEY_STEP, Long.toString(s.step()));
        meta.put(KEY_EPOCH, Long.toString(s.epoch()));
        meta.put(KEY_DATA_SEED, Long.toString(s.dataSeed()));
        meta.put(KEY_PARAMETERS, stringArray(s.parameters().keySet()));
        meta.put(KEY_OPTIMIZER_PARAMS, stringArray(s.optimizer().params()));
        meta.put(KEY_OPTIMIZER_STATE, stringArray(s.optimizer().tensors().keySet()));
        for (Map.Entry<String, Double> e : s.optimizer().hyper().entrySet()) {
            meta.put(HYPER_PREFIX + e.getKey(), Double.toString(e.getValue()));
        }
        s.run().forEach((k, v) -> meta.put(RUN_PREFIX + k, v));
        meta.put(KEY_CHECKSUM, checksum(tensors, meta));
        return new Encoded(tensors, meta);
    }

    /**
     * The state in a file's contents, after checking format, version, checksum and structure.
     *
     * @param expectedStep the step the file's name gives, which the contents must agree with
     * @throws IOException saying why the contents are not a valid checkpoint
     */
    static TrainingState decode(SafeTensors.Contents contents, long expectedStep) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(contents.metadata());
        String format = meta.get(KEY_FORMAT);
        if (!FORMAT.equals(format)) {
            throw invalid("not a sparkgrad checkpoint: metadata \"" + KEY_FORMAT + "\" is "
                    + (format == null ? "missing" : "\"" + format + "\"") + ", expected \"" + FORMAT + "\"");
        }
        String version = require(meta, KEY_VERSION);
        if (!version.equals(Integer.toString(VERSION))) {
            throw invalid("checkpoint format version " + version + " is not supported (this reader knows version "
                    + VERSION + ")");
        }
        String stored = meta.remove(KEY_CHECKSUM);
        if (stored == null) {
            throw invalid("the checkpoint has no \"" + KEY_CHECKSUM + "\" in its metadata");
        }
        String actual = checksum(contents.tensors(), meta);
        if (!stored.equals(actual)) {
            throw invalid("checksum mismatch: the file says " + stored + " but its contents hash to " + actual
                    + " (corrupted or modified)");
        }

        long step = longValue(meta, KEY_STEP);
        if (step != expectedStep) {
            throw invalid("the file name says step " + expectedStep + " but the checkpoint holds step " + step);
        }
        long epoch = longValue(meta, KEY_EPOCH);
        long dataSeed = longValue(meta, KEY_DATA_SEED);
        List<String> paramNames = stringArray(meta, KEY_PARAMETERS);
        List<String> optimizerParams = stringArray(meta, KEY_OPTIMIZER_PARAMS);
        List<String> optimizerKeys = stringArray(meta, KEY_OPTIMIZER_STATE);
        Map<String, Double> hyper = new LinkedHashMap<>();
        Map<String, String> run = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : meta.entrySet()) {
            if (e.getKey().startsWith(RUN_PREFIX)) {
                run.put(e.getKey().substring(RUN_PREFIX.length()), e.getValue());
            } else if (e.getKey().startsWith(HYPER_PREFIX)) {
                try {
                    hyper.put(e.getKey().substring(HYPER_PREFIX.length()), Double.parseDouble(e.getValue()));
                } catch (NumberFormatException ex) {
                    throw invalid("metadata \"" + e.getKey() + "\" is \"" + e.getValue() + "\", not a number");
                }
            }
        }

        Map<String, Tensor> byName = contents.tensors();
        Map<String, Tensor> params = listed(byName, paramNames, PARAM_PREFIX, KEY_PARAMETERS);
        Map<String, Tensor> optimizerTensors = listed(byName, optimizerKeys, OPTIM_PREFIX, KEY_OPTIMIZER_STATE);
        Tensor losses = null;
        for (Map.Entry<String, Tensor> e : byName.entrySet()) {
            String name = e.getKey();
            if (name.startsWith(PARAM_PREFIX)) {
                unlisted(params, name, PARAM_PREFIX, KEY_PARAMETERS);
            } else if (name.startsWith(OPTIM_PREFIX)) {
                unlisted(optimizerTensors, name, OPTIM_PREFIX, KEY_OPTIMIZER_STATE);
            } else if (name.equals(LOSS_HISTORY)) {
                losses = e.getValue();
            } else {
                throw invalid("unexpected tensor \"" + name + "\" (expected " + PARAM_PREFIX + "*, " + OPTIM_PREFIX
                        + "* and " + LOSS_HISTORY + ")");
            }
        }
        if (losses == null) {
            throw invalid("there is no tensor \"" + LOSS_HISTORY + "\"");
        }
        if (losses.dtype() != DType.FLOAT64 || losses.shape().length != 1) {
            throw invalid("tensor \"" + LOSS_HISTORY + "\" must be FLOAT64 of one dimension, got " + losses.dtype() + " "
                    + Arrays.toString(losses.shape()));
        }
        List<Double> lossHistory = new ArrayList<>();
        for (double v : losses.toArray()) {
            lossHistory.add(v);
        }
        try {
            return new TrainingState(step, epoch, dataSeed, params,
                    new OptimizerState(optimizerParams, hyper, optimizerTensors), lossHistory, run);
        } catch (IllegalArgumentException ex) {
            throw invalid(ex.getMessage());
        }
    }

    /** The tensors {@code prefix + name} for the names a metadata list gives, in its order. */
    private static Map<String, Tensor> listed(Map<String, Tensor> byName, List<String> names, String prefix, String key)
            throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : names) {
            Tensor t = byName.get(prefix + name);
            if (t == null) {
                throw invalid("metadata \"" + key + "\" lists \"" + name + "\" but there is no tensor \"" + prefix + name
                        + "\"");
            }
            if (out.put(name, t) != null) {
                throw invalid("metadata \"" + key + "\" lists \"" + name + "\" twice");
            }
        }
        return out;
    }

    private static void unlisted(Map<String, Tensor> listed, String tensorName, String prefix, String key)
            throws IOException {
        if (!listed.containsKey(tensorName.substring(prefix.length()))) {
            throw invalid("tensor \"" + tensorName + "\" is not listed in metadata \"" + key + "\"");
        }
    }

    /** {@code sha256:<hex>} of the safetensors bytes of these tensors and metadata. */
    static String checksum(Map<String, Tensor> tensors, Map<String, String> metadata) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("every Java platform has SHA-256", ex);
        }
        try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
            SafeTensors.write(tensors, metadata, out);
        } catch (IOException ex) {
            throw new UncheckedIOException("writing to a digest can't fail", ex);
        }
        return SHA256 + HexFormat.of().formatHex(digest.digest());
    }

    private static String require(Map<String, String> meta, String key) throws IOException {
        String v = meta.get(key);
        if (v == null) {
            throw invalid("metadata \"" + key + "\" is missing");
        }
        return v;
    }

    private static long longValue(Map<String, String> meta, String key) throws IOException {
        String v = require(meta, key);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException ex) {
            throw invalid("metadata \"" + key + "\" is \"" + v + "\", not an integer");
        }
    }

    private static List<String> stringArray(Map<String, String> meta, String key) throws IOException {
        try {
            return parseStringArray(require(meta, key));
        } catch (IllegalArgumentException ex) {
            throw invalid("metadata \"" + key + "\" is " + ex.getMessage());
        }
    }

    /** The strings as a compact JSON array, e.g. {@code ["fc.weight","fc.bias"]}. */
    static String stringArray(Collection<String> values) {
        try {
            return JSON.writeValueAsString(values);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("a list of strings always has a JSON form", ex);
        }
    }

    /**
     * The strings of a JSON array of strings (whitespace between tokens allowed).
     *
     * @throws IllegalArgumentException saying where the text stops being such an array
     */
    static List<String> parseStringArray(String text) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException ex) {
            String where = ex.getLocation() == null ? "" : " at character " + ex.getLocation().getCharOffset();
            throw notAStringArray(text, ex.getOriginalMessage() + where);
        }
        if (node == null || !node.isArray()) {
            throw notAStringArray(text, "expected an array, got " + (node == null || node.isMissingNode() ? "nothing"
                    : node.getNodeType().name().toLowerCase(Locale.ROOT)));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            if (!item.isTextual()) {
                throw notAStringArray(text, "element " + i + " is " + item.getNodeType().name().toLowerCase(Locale.ROOT)
                        + ", not a string");
            }
            out.add(item.textValue());
        }
        return out;
    }

    private static IllegalArgumentException notAStringArray(String text, String why) {
        return new IllegalArgumentException("not a JSON array of strings (" + why + "): "
                + (text.length() > 60 ? text.substring(0, 60) + "..." : text));
    }

    private static IOException invalid(String why) {
        return new IOException(why);
    }
}
