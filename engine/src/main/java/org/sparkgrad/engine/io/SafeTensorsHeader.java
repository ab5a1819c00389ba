package org.sparkgrad.engine.io;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/**
 * The JSON header of a safetensors file: writing it (padded with spaces to a multiple of 8 bytes) and
 * reading it back with every check the format implies, so that a header that passes {@link #decode}
 * describes tensors that tile the data section exactly.
 */
final class SafeTensorsHeader {
    /** The key of the optional string-to-string map in the header. */
    static final String METADATA_KEY = "__metadata__";

    /** Headers above this size are refused before reading them, as the reference implementation does. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The most tensors one file may list (a large model's shard has a few thousand). */
    static final int MAX_TENSORS = 100_000;

    /** The most dimensions of a shape (NumPy 2's limit). */
    static final int MAX_DIMS = 64;

    /** The longest Java array the JVM allocates (longer requests fail with "Requested array size exceeds VM limit"). */
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    /** One tensor's entry: name, type, shape and byte range [begin, end) in the data section. */
    record Entry(String name, DType dtype, int[] shape, long begin, long end) {
        long byteLength() {
            return end - begin;
        }

        int numel() {
            int n = 1;
            for (int s : shape) {
                n *= s;
            }
            return n;
        }

        /** The bytes its CPU storage takes: floats for FLOAT32, doubles for every other dtype (see CpuStorage). */
        long heapBytes() {
            return (long) numel() * (dtype == DType.FLOAT32 ? Float.BYTES : Double.BYTES);
        }
    }

    /** A decoded header: entries in header order, and the metadata (empty when absent). */
    record Decoded(List<Entry> entries, Map<String, String> metadata) {
    }

    /**
     * The reference implementation's layout order: dtypes of larger alignment first (I64, F64, F32, BOOL),
     * then names in UTF-8 byte order.
     */
    static final Comparator<Map.Entry<String, ? extends Tensor>> LAYOUT_ORDER =
            Comparator.<Map.Entry<String, ? extends Tensor>>comparingInt(e -> layoutRank(e.getValue().dtype()))
                    .thenComparing((a, b) -> Arrays.compareUnsigned(a.getKey().getBytes(StandardCharsets.UTF_8),
                            b.getKey().getBytes(StandardCharsets.UTF_8)));

    private SafeTensorsHeader() {
    }

    private static int layoutRank(DType t) {
        return switch (t) {
            case INT64 -> 0;
            case FLOAT64 -> 1;
            case FLOAT32 -> 2;
            case BOOL -> 3;
        };
    }

    /** The format's name of a dtype, e.g. {@code F32}. */
    static String formatName(DType t) {
        return switch (t) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
            case INT64 -> "I64";
            case BOOL -> "BOOL";
        };
    }

    /** The dtype of a format name, or null when this engine has no such type. */
    static DType dtypeOf(String name) {
        return switch (name) {
            case "F32" -> DType.FLOAT32;
            case "F64" -> DType.FLOAT64;
            case "I64" -> DType.INT64;
            case "BOOL" -> DType.BOOL;
            default -> null;
        };
    }

    /** The header JSON as UTF-8, padded with spaces so that its length is a multiple of 8. */
    static byte[] encode(List<Entry> entries, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        if (!metadata.isEmpty()) {
            sb.append(Json.quote(METADATA_KEY)).append(":{");
            boolean firstKey = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                sb.append(firstKey ? "" : ",").append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
                firstKey = false;
            }
            sb.append('}');
            first = false;
        }
        for (Entry e : entries) {
            sb.append(first ? "" : ",").append(Json.quote(e.name())).append(":{\"dtype\":\"").append(formatName(e.dtype()))
                    .append("\",\"shape\":[");
            for (int i = 0; i < e.shape().length; i++) {
                sb.append(i == 0 ? "" : ",").append(e.shape()[i]);
            }
            sb.append("],\"data_offsets\":[").append(e.begin()).append(',').append(e.end()).append("]}");
            first = false;
        }
        sb.append('}');
        byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /**
     * Parses and validates a header against a data section of {@code dataLength} bytes, in time linear in
     * its length. Limits are checked as the text is read, before what they bound is built: at most
     * {@value #MAX_TENSORS} tensors, {@value #MAX_DIMS} dimensions per shape, numbers of at most
     * {@value Json#MAX_NUMBER_LENGTH} characters and {@value Json#MAX_DEPTH} levels of nesting; each
     * tensor's byte range must lie in the data section and its element count must fit in a Java array.
     *
     * @throws IllegalArgumentException naming the first problem found
     */
    static Decoded decode(String json, long dataLength) {
        if (!json.startsWith("{")) {
            throw new IllegalArgumentException("the header does not start with '{'"
                    + (json.isEmpty() ? " (it is empty)" : ", it starts with " + preview(json)));
        }
        Json p = Json.reader(json);
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        p.readObject(0, (name, depth) -> {
            if (name.equals(METADATA_KEY)) {
                readMetadata(p, depth, metadata);
                return;
            }
            if (entries.size() == MAX_TENSORS) {
                throw new IllegalArgumentException("the header lists more than " + MAX_TENSORS
                        + " tensors, the most a file may hold here");
            }
            entries.add(entry(p, depth, name, dataLength));
        });
        p.end();
        checkLayout(entries, dataLength);
        return new Decoded(entries, Collections.unmodifiableMap(metadata));
    }

    private static void readMetadata(Json p, int depth, Map<String, String> out) {
        if (p.peekValue() != '{') {
            throw new IllegalArgumentException(METADATA_KEY + " must be an object of strings, got " + kindAhead(p, depth));
        }
        p.readObject(depth, (key, d) -> {
            Object v = scalar(p, d);
            if (!(v instanceof String s)) {
                throw new IllegalArgumentException(METADATA_KEY + " must map strings to strings, but key "
                        + Json.quote(key) + " has " + kind(v));
            }
            out.put(key, s);
        });
    }

    private static Entry entry(Json p, int depth, String name, long dataLength) {
        String what = "tensor " + Json.quote(name);
        if (p.peekValue() != '{') {
            throw new IllegalArgumentException(what + ": expected an object with dtype, shape and data_offsets, got "
                    + kindAhead(p, depth));
        }
        Map<String, Object> fields = new HashMap<>();
        p.readObject(depth, (key, d) -> {
            switch (key) {
                case "dtype" -> {
                    Object v = scalar(p, d);
                    if (!(v instanceof String)) {
                        throw new IllegalArgumentException(what + ": dtype must be a string, got " + kind(v));
                    }
                    fields.put(key, v);
                }
                case "shape" -> fields.put(key, integers(p, d, what + ": shape", MAX_DIMS,
                        got -> what + ": shape " + got + " has more than " + MAX_DIMS + " dimensions, the most a tensor here may have"));
                case "data_offsets" -> fields.put(key, integers(p, d, what + ": data_offsets", 2,
                        got -> what + ": data_offsets must be [begin, end], got " + got));
                default -> throw new IllegalArgumentException(what + ": unknown field " + Json.quote(key)
                        + " (expected dtype, shape and data_offsets)");
            }
        });
        String dtName = (String) require(fields, "dtype", what);
        DType dtype = dtypeOf(dtName);
        if (dtype == null) {
            throw new IllegalArgumentException(what + ": unsupported dtype " + Json.quote(dtName)
                    + " (supported: F32, F64, I64, BOOL)");
        }
        @SuppressWarnings("unchecked")
        List<Long> dims = (List<Long>) require(fields, "shape", what);
        int[] shape = new int[dims.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = dims.get(i);
            if (d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + ": shape " + dims + " has a dimension above " + Integer.MAX_VALUE
                        + ", more than a tensor here can hold");
            }
            shape[i] = (int) d;
            if (numel <= Integer.MAX_VALUE) {
                numel *= d; // both factors below 2^31: no overflow
            }
        }
        if (dims.contains(0L)) {
            numel = 0;
        }
        if (numel > MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException(what + ": shape " + dims + " has more than " + MAX_ARRAY_LENGTH
                    + " elements, the most a Java array can hold");
        }
        @SuppressWarnings("unchecked")
        List<Long> offsets = (List<Long>) require(fields, "data_offsets", what);
        if (offsets.size() != 2) {
            throw new IllegalArgumentException(what + ": data_offsets must be [begin, end], got " + offsets);
        }
        long begin = offsets.get(0);
        long end = offsets.get(1);
        if (end < begin) {
            throw new IllegalArgumentException(what + ": data_offsets " + offsets + " end before they begin");
        }
        long expected = numel * dtype.itemSize();
        if (end - begin != expected) {
            throw new IllegalArgumentException(what + " of dtype " + dtName + " and shape " + dims + " needs " + expected
                    + " bytes, but data_offsets " + offsets + " span " + (end - begin));
        }
        if (end > dataLength) {
            throw pastTheEnd(name, begin, end, dataLength);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static IllegalArgumentException pastTheEnd(String name, long begin, long end, long dataLength) {
        return new IllegalArgumentException("tensor " + Json.quote(name) + " has data_offsets [" + begin + ", " + end
                + "] past the end of the data section, which has " + dataLength + " bytes (truncated file?)");
    }

    /** Checks that the entries tile [0, dataLength) exactly: no gap, no overlap, nothing past the end. */
    private static void checkLayout(List<Entry> entries, long dataLength) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.end() > dataLength) {
                throw pastTheEnd(e.name(), e.begin(), e.end(), dataLength);
            }
            if (e.begin() < covered) {
                throw new IllegalArgumentException("tensors " + Json.quote(previous.name()) + " [" + previous.begin() + ", "
                        + previous.end() + ") and " + Json.quote(e.name()) + " [" + e.begin() + ", " + e.end() + ") overlap");
            }
            if (e.begin() > covered) {
                throw new IllegalArgumentException("bytes [" + covered + ", " + e.begin()
                        + ") of the data section belong to no tensor");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != dataLength) {
            throw new IllegalArgumentException("the tensors cover " + covered + " bytes but the data section has " + dataLength
                    + " (bytes [" + covered + ", " + dataLength + ") belong to no tensor)");
        }
    }

    private static Object require(Map<String, Object> m, String key, String what) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException(what + ": missing field " + Json.quote(key));
        }
        return v;
    }

    /** The next value, which must not be an array or an object (so that reading it builds no tree). */
    private static Object scalar(Json p, int depth) {
        char c = p.peekValue();
        return c == '[' ? List.of() : c == '{' ? Map.of() : p.value(depth);
    }

    /** What the next value is, for an error message; arrays and objects are not read. */
    private static String kindAhead(Json p, int depth) {
        return kind(scalar(p, depth));
    }

    /**
     * A JSON array of at most {@code max} non-negative integers that fit in a long, read element by element;
     * {@code tooMany} makes the message for a longer array from the elements read so far.
     */
    private static List<Long> integers(Json p, int depth, String what, int max, Function<String, String> tooMany) {
        if (p.peekValue() != '[') {
            throw new IllegalArgumentException(what + " must be an array of non-negative integers, got " + kindAhead(p, depth));
        }
        List<Object> read = new ArrayList<>();
        List<Long> out = new ArrayList<>();
        p.readArray(depth, (i, d) -> {
            Object o = scalar(p, d);
            read.add(o);
            if (i == max) {
                throw new IllegalArgumentException(tooMany.apply(render(read, p)));
            }
            if (!(o instanceof BigDecimal b) || b.signum() < 0 || b.scale() != 0) {
                throw new IllegalArgumentException(what + " must be an array of non-negative integers, got " + render(read, p));
            }
            try {
                out.add(b.longValueExact());
            } catch (ArithmeticException ex) {
                throw new IllegalArgumentException(what + " has a value too large: " + b);
            }
        });
        return out;
    }

    /** The elements read so far of an array, with "..." when more follow (the reader is at the last one read). */
    private static String render(List<?> list, Json p) {
        List<String> parts = new ArrayList<>();
        for (Object o : list) {
            parts.add(o instanceof String s ? Json.quote(s)
                    : o instanceof Map ? "{...}" : o instanceof List ? "[...]" : String.valueOf(o));
        }
        char next = p.peekValue();
        return "[" + String.join(", ", parts) + (next == ']' ? "]" : ", ...]");
    }

    private static String kind(Object v) {
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List) {
            return "an array";
        }
        if (v instanceof String s) {
            return "the string " + Json.quote(s);
        }
        return String.valueOf(v);
    }

    private static String preview(String s) {
        String p = s.length() > 20 ? s.substring(0, 20) + "..." : s;
        return Json.quote(p);
    }
}
