package org.sparkgrad.engine.opinfo;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/**
 * The records of {@code opinfo/corpus.jsonl}, written by {@code src/test/python/gen_opinfo_corpus.py} from
 * torch 1.13's OpInfo sample and error inputs (the script's docstring describes the format and how to
 * regenerate it).
 */
final class OpInfoCorpus {
    static final String RESOURCE = "/opinfo/corpus.jsonl";

    private OpInfoCorpus() {
    }

    /** One sample or error input, with the values it decodes to built fresh on each {@link #decode}. */
    record Entry(boolean error, String op, String variant, int index, JsonNode json) {
        /** The OpInfo's name, with its variant after a dot: {@code div.floor_rounding}. */
        String key() {
            return variant.isEmpty() ? op : op + "." + variant;
        }

        /** The mapping's arguments: fresh tensors (requiring grad where torch's did). */
        OpInfoCall decode() {
            Object input = value(json.get("input"));
            List<Object> args = new ArrayList<>();
            for (JsonNode a : json.get("args")) {
                args.add(value(a));
            }
            Map<String, Object> kwargs = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = json.get("kwargs").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                kwargs.put(e.getKey(), value(e.getValue()));
            }
            return new OpInfoCall(input, args, kwargs);
        }

        List<Expected> outputs() {
            List<Expected> out = new ArrayList<>();
            for (JsonNode t : json.get("outputs")) {
                out.add(expected(t));
            }
            return out;
        }

        List<String> gradFns() {
            List<String> out = new ArrayList<>();
            for (JsonNode n : json.get("grad_fns")) {
                out.add(n.isNull() ? null : n.asText());
            }
            return out;
        }

        /** The expected input gradients (null entries for unused inputs), or null where torch's backward failed. */
        List<Expected> grads() {
            JsonNode g = json.get("grads");
            if (g == null || g.isNull()) {
                return null;
            }
            List<Expected> out = new ArrayList<>();
            for (JsonNode t : g) {
                out.add(t.isNull() ? null : expected(t));
            }
            return out;
        }

        String errorType() {
            return json.get("error_type").asText();
        }

        String errorRegex() {
            return json.get("error_regex").asText();
        }

        @Override
        public String toString() {
            return (error ? "error " : "sample ") + key() + "#" + index;
        }
    }

    /** An expected tensor: torch's dtype name, shape and row-major values. */
    record Expected(String dtype, int[] shape, double[] data) {
    }

    /** A Python dtype name that has no sparkgrad type (int32, complex64, ...). */
    record ForeignDType(String name) {
    }

    /** A Python value with no Java counterpart here (a memory_format, ...). */
    record ForeignValue(String type) {
    }

    /** A tensor of a dtype sparkgrad does not have. */
    record ForeignTensor(String dtype, int[] shape) {
    }

    static List<Entry> load() {
        ObjectMapper mapper = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
        List<Entry> entries = new ArrayList<>();
        try (InputStream in = OpInfoCorpus.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the test class path");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                JsonNode n = mapper.readTree(line);
                entries.add(new Entry("error".equals(n.get("kind").asText()), n.get("op").asText(),
                        n.get("variant").asText(), n.get("i").asInt(), n));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    static DType dtype(String name) {
        return switch (name) {
            case "float64" -> DType.FLOAT64;
            case "float32" -> DType.FLOAT32;
            case "int64" -> DType.INT64;
            case "bool" -> DType.BOOL;
            default -> null;
        };
    }

    private static Expected expected(JsonNode t) {
        return new Expected(t.get("tensor").asText(), shape(t), data(t));
    }

    private static int[] shape(JsonNode t) {
        JsonNode s = t.get("shape");
        int[] shape = new int[s.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = s.get(i).asInt();
        }
        return shape;
    }

    private static double[] data(JsonNode t) {
        JsonNode d = t.get("data");
        double[] v = new double[d.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode x = d.get(i);
            v[i] = x.isBoolean() ? (x.asBoolean() ? 1 : 0) : x.asDouble();
        }
        return v;
    }

    /** A JSON value as the Java object the mappings read: Tensor, Long, Double, Boolean, String, List, null. */
    static Object value(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.has("tensor")) {
            DType t = dtype(n.get("tensor").asText());
            if (t == null) {
                return new ForeignTensor(n.get("tensor").asText(), shape(n));
            }
            Tensor x = Tensor.tensor(data(n), t, shape(n));
            return n.get("grad").asBoolean() ? x.requiresGrad_() : x;
        }
        if (n.has("int")) {
            return n.get("int").asLong();
        }
        if (n.has("float")) {
            return n.get("float").asDouble();
        }
        if (n.has("bool")) {
            return n.get("bool").asBoolean();
        }
        if (n.has("str")) {
            return n.get("str").asText();
        }
        if (n.has("dtype")) {
            DType t = dtype(n.get("dtype").asText());
            return t == null ? new ForeignDType(n.get("dtype").asText()) : t;
        }
        if (n.has("list")) {
            List<Object> out = new ArrayList<>();
            for (JsonNode x : n.get("list")) {
                out.add(value(x));
            }
            return out;
        }
        return new ForeignValue(n.path("unknown").asText("?"));
    }
}
