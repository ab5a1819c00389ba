package org.sparkgrad.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;

/**
 * Round trips, the exact byte layout, atomic saving, and the checks on damaged files of {@link SafeTensors}.
 * The expected file bytes were written out by hand from the format's definition; while writing these tests
 * the same tensors were also saved with the reference implementation (safetensors 0.8.0,
 * {@code safetensors.numpy.save_file}) and gave byte-identical files.
 */
class SafeTensorsTest {
    @TempDir
    Path dir;

    private Map<String, Tensor> roundTrip(Map<String, Tensor> tensors) throws IOException {
        Path f = dir.resolve("t.safetensors");
        SafeTensors.save(tensors, f);
        return SafeTensors.load(f);
    }

    private static Map<String, Tensor> one(String name, Tensor t) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put(name, t);
        return m;
    }

    private static void assertBitwiseEqual(Tensor expected, Tensor actual) {
        assertEquals(expected.dtype(), actual.dtype());
        assertArrayEquals(expected.shape(), actual.shape());
        if (expected.dtype() == DType.FLOAT32) {
            float[] a = expected.toFloatArray();
            float[] b = actual.toFloatArray();
            assertEquals(a.length, b.length);
            for (int i = 0; i < a.length; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "element " + i);
            }
        } else {
            double[] a = expected.toArray();
            double[] b = actual.toArray();
            assertEquals(a.length, b.length);
            for (int i = 0; i < a.length; i++) {
                assertEquals(Double.doubleToRawLongBits(a[i]), Double.doubleToRawLongBits(b[i]), "element " + i);
            }
        }
    }

    /** 8-byte little-endian length, then the header as given (no padding added), then data. */
    private Path rawFile(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path f = dir.resolve("raw.safetensors");
        Files.write(f, b.array());
        return f;
    }

    private static byte[] floatsLE(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    private static String loadError(Path f) {
        IOException ex = assertThrows(IOException.class, () -> SafeTensors.load(f));
        assertTrue(ex.getMessage().startsWith("invalid safetensors file " + f + ": "), ex.getMessage());
        return ex.getMessage().substring(("invalid safetensors file " + f + ": ").length());
    }

    // =====================================================================================================
    // Round trips

    @Test
    void float32RoundTripIsBitwise() throws IOException {
        float[] v = {1.5f, -0.0f, 0.0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
            Float.MAX_VALUE, 0.1f, Float.intBitsToFloat(0x7fc01234), -3.25e-20f, 7f};
        Tensor t = Tensor.tensor(v, 3, 4);
        assertBitwiseEqual(t, roundTrip(one("w", t)).get("w"));
    }

    @Test
    void float64RoundTripIsBitwise() throws IOException {
        double[] v = {Math.PI, -0.0, Double.NaN, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE, 0.1, -1e300};
        Tensor t = Tensor.tensor(v, DType.FLOAT64, 2, 2, 2);
        assertBitwiseEqual(t, roundTrip(one("w", t)).get("w"));
    }

    @Test
    void int64AndBoolRoundTrip() throws IOException {
        Tensor ints = Tensor.ofLongs(0, -1, 1, 42, -9_007_199_254_740_992L, 9_007_199_254_740_992L);
        Tensor mask = Tensor.tensor(new double[] {1, 0, 0, 1, 1, 0}, DType.BOOL, 2, 3);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("ints", ints);
        m.put("mask", mask);
        Map<String, Tensor> back = roundTrip(m);
        assertBitwiseEqual(ints, back.get("ints"));
        assertBitwiseEqual(mask, back.get("mask"));
        assertArrayEquals(new long[] {0, -1, 1, 42, -9_007_199_254_740_992L, 9_007_199_254_740_992L},
                back.get("ints").toLongArray());
    }

    @Test
    void zeroDimensionalAndEmptyTensors() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("scalar", Tensor.scalar(2.5));
        m.put("scalar64", Tensor.scalar(-7, DType.INT64));
        m.put("empty", Tensor.zeros(0));
        m.put("empty3d", Tensor.zeros(DType.FLOAT64, 2, 0, 3));
        m.put("after", Tensor.of(1, 2));
        Map<String, Tensor> back = roundTrip(m);
        assertEquals(m.keySet(), back.keySet());
        for (String k : m.keySet()) {
            assertBitwiseEqual(m.get(k), back.get(k));
        }
        assertArrayEquals(new int[0], back.get("scalar").shape());
        assertEquals(2.5, back.get("scalar").item());
    }

    @Test
    void nonContiguousTensorsAreWrittenRowMajor() throws IOException {
        Tensor t = Tensor.tensor(new float[][] {{1, 2, 3}, {4, 5, 6}}).t(); // [[1, 4], [2, 5], [3, 6]]
        Path f = dir.resolve("t.safetensors");
        SafeTensors.save(one("t", t), f);
        byte[] bytes = Files.readAllBytes(f);
        byte[] data = Arrays.copyOfRange(bytes, bytes.length - 24, bytes.length);
        assertArrayEquals(floatsLE(1, 4, 2, 5, 3, 6), data);
        Tensor back = SafeTensors.load(f).get("t");
        assertArrayEquals(new int[] {3, 2}, back.shape());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, back.toFloatArray());
        assertTrue(back.isContiguous());
    }

    @Test
    void sliceAndExpandedViewsAreWrittenByValue() throws IOException {
        Tensor base = Tensor.arange(10).toDouble();
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("slice", base.slice(0, 2, 9, 3)); // 2, 5, 8
        m.put("expanded", Tensor.of(7, 8).expand(3, 2));
        Map<String, Tensor> back = roundTrip(m);
        assertArrayEquals(new double[] {2, 5, 8}, back.get("slice").toArray());
        assertArrayEquals(new double[] {7, 8, 7, 8, 7, 8}, back.get("expanded").toArray());
    }

    @Test
    void largeTensorsCrossTheIoChunks() throws IOException {
        Tensor big = Tensor.randn(new Generator(3), 301, 517); // 622 KB, several 64 KB chunks
        Tensor big64 = Tensor.randn(new Generator(4), 40_001).toDouble();
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("big", big);
        m.put("big64", big64);
        Map<String, Tensor> back = roundTrip(m);
        assertBitwiseEqual(big, back.get("big"));
        assertBitwiseEqual(big64, back.get("big64"));
    }

    @Test
    void exactFileLayout() throws IOException {
        // Byte for byte what safetensors 0.8.0 writes for these tensors:
        //   safetensors.numpy.save({'a': np.array([1, 2], dtype=np.float32), 'b': np.array([3], dtype=np.int64)})
        // (I64 has the larger alignment, so "b" comes first).
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a", Tensor.of(1, 2));
        m.put("b", Tensor.ofLongs(3));
        Path f = dir.resolve("t.safetensors");
        SafeTensors.save(m, f);
        String json = "{\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        assertEquals(108, json.length());
        String padded = json + "    "; // to 112, a multiple of 8
        ByteBuffer expected = ByteBuffer.allocate(8 + 112 + 16).order(ByteOrder.LITTLE_ENDIAN);
        expected.putLong(112).put(padded.getBytes(StandardCharsets.US_ASCII)).putLong(3).putFloat(1).putFloat(2);
        assertArrayEquals(expected.array(), Files.readAllBytes(f));
        assertEquals(List.of("b", "a"), List.copyOf(SafeTensors.load(f).keySet()));
    }

    @Test
    void layoutOrderMatchesTheReferenceImplementation() throws IOException {
        // Header recorded from safetensors 0.8.0 for the same tensors given in this order:
        //   save({'z': bool[1], 'f32': float32[2], 'f64': float64[1], 'i64': int64[1], 'B': float32[1],
        //         '\ue000': float32[1], '\U0001f642': float32[1]})
        // Alignment first (I64, F64, F32, BOOL), then names in UTF-8 byte order.
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("z", Tensor.tensor(new double[] {1}, DType.BOOL, 1));
        m.put("f32", Tensor.of(1, 2));
        m.put("f64", Tensor.tensor(new double[] {3}, DType.FLOAT64, 1));
        m.put("i64", Tensor.ofLongs(3));
        m.put("B", Tensor.of(1));
        m.put("\ue000", Tensor.of(1));
        m.put("\ud83d\ude42", Tensor.of(1));
        Path f = dir.resolve("t.safetensors");
        SafeTensors.save(m, f);
        String expected = "{\"i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"f64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"B\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
                + "\"f32\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[20,28]},"
                + "\"\ue000\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[28,32]},"
                + "\"\ud83d\ude42\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[32,36]},"
                + "\"z\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[36,37]}}     ";
        byte[] bytes = Files.readAllBytes(f);
        byte[] e = expected.getBytes(StandardCharsets.UTF_8);
        assertEquals(e.length, ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
        assertEquals(expected, new String(bytes, 8, e.length, StandardCharsets.UTF_8));
        assertEquals(List.of("i64", "f64", "B", "f32", "\ue000", "\ud83d\ude42", "z"), List.copyOf(SafeTensors.load(f).keySet()));
    }

    @Test
    void headerIsPaddedToAMultipleOfEight() throws IOException {
        for (int len = 1; len <= 9; len++) {
            String name = "x".repeat(len);
            Path f = dir.resolve("p" + len + ".safetensors");
            SafeTensors.save(one(name, Tensor.of(1)), f);
            byte[] bytes = Files.readAllBytes(f);
            long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, n % 8, "header length " + n);
            String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
            assertTrue(header.stripTrailing().endsWith("}"));
            assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
            assertEquals(8 + n + 4, bytes.length);
        }
    }

    @Test
    void metadataAndUnusualNamesRoundTrip() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("layer.0/weight \"quoted\" \\ tab\t ünï 🙂", Tensor.of(1));
        m.put("", Tensor.of(2));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("step", "1200");
        meta.put("note\n", "line1\nline2 \u0001 é");
        Path f = dir.resolve("t.safetensors");
        SafeTensors.save(m, f, meta);
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals(meta, c.metadata());
        assertEquals(m.keySet(), c.tensors().keySet());
        assertEquals(2.0, c.tensors().get("").item());
        String header = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
        String expectedMeta = "\"__metadata__\":{\"format\":\"pt\",\"step\":\"1200\","
                + "\"note\\n\":\"line1\\nline2 \\u0001 é\"}";
        assertTrue(header.contains(expectedMeta), header);
    }

    @Test
    void noMetadataReadsAsEmpty() throws IOException {
        Path f = dir.resolve("t.safetensors");
        SafeTensors.save(one("a", Tensor.of(1)), f);
        assertEquals(Map.of(), SafeTensors.read(f).metadata());
        assertFalse(new String(Files.readAllBytes(f), StandardCharsets.UTF_8).contains("__metadata__"));
    }

    @Test
    void emptyMapRoundTrips() throws IOException {
        Path f = dir.resolve("t.safetensors");
        SafeTensors.save(Map.of(), f);
        assertEquals(8 + 8, Files.size(f)); // "{}" padded to 8
        assertEquals(Map.of(), SafeTensors.load(f));
    }

    @Test
    void gradientRequiringTensorsAreSavedByValue() throws IOException {
        Tensor w = Tensor.of(1, 2, 3).requiresGrad_();
        Tensor back = roundTrip(one("w", w.mul(2))).get("w");
        assertArrayEquals(new float[] {2, 4, 6}, back.toFloatArray());
        assertFalse(back.requiresGrad());
    }

    // =====================================================================================================
    // Saving: argument checks and atomicity

    @Test
    void invalidArgumentsWriteNothing() {
        Path f = dir.resolve("t.safetensors");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.save(one("__metadata__", Tensor.of(1)), f));
        assertEquals("the tensor name __metadata__ is reserved for the file's metadata", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(one("a", null), f));
        assertEquals("tensor \"a\" is null", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(one("bad\ud800", Tensor.of(1)), f));
        assertTrue(ex.getMessage().contains("unpaired surrogate"), ex.getMessage());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("k", null);
        ex = assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(one("a", Tensor.of(1)), f, meta));
        assertEquals("metadata value is null", ex.getMessage());
        assertFalse(Files.exists(f));
    }

    @Test
    void saveReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.save(one("a", Tensor.of(1, 2, 3)), f);
        SafeTensors.save(one("b", Tensor.of(4)), f);
        assertEquals(List.of("b"), List.copyOf(SafeTensors.load(f).keySet()));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    /** A tensor whose values can't be read, standing for a crash in the middle of writing a file. */
    private static final class Exploding extends Tensor {
        Exploding(Tensor data) {
            super(data);
        }

        @Override
        public float[] toFloatArray() {
            throw new IllegalStateException("boom");
        }
    }

    @Test
    void aFailureWhileWritingKeepsTheOldFileAndCleansUp() throws IOException {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.save(one("a", Tensor.of(1, 2, 3)), f);
        byte[] before = Files.readAllBytes(f);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("first", Tensor.randn(new Generator(1), 100_000)); // written before the failure
        m.put("second", new Exploding(Tensor.of(1)));
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> SafeTensors.save(m, f));
        assertEquals("boom", ex.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    @Test
    void saveIntoAMissingDirectoryFails() {
        Path f = dir.resolve("no/such/dir/model.safetensors");
        assertThrows(IOException.class, () -> SafeTensors.save(one("a", Tensor.of(1)), f));
    }

    @Test
    void saveWithARelativePath() throws IOException {
        Path f = Path.of("").toAbsolutePath().relativize(dir.resolve("rel.safetensors"));
        SafeTensors.save(one("a", Tensor.of(5)), f);
        assertEquals(5.0, SafeTensors.load(f).get("a").item());
    }

    // =====================================================================================================
    // Damaged files: each check names the file and the problem

    @Test
    void fileShorterThanTheHeaderLength() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3, 4, 5});
        assertEquals("the file has 5 bytes, fewer than the 8 of the header length", loadError(f));
        Files.write(f, new byte[0]);
        assertEquals("the file has 0 bytes, fewer than the 8 of the header length", loadError(f));
    }

    @Test
    void missingFileIsAnIOException() {
        assertThrows(IOException.class, () -> SafeTensors.load(dir.resolve("absent.safetensors")));
    }

    @Test
    void truncatedHeader() throws IOException {
        Path f = dir.resolve("t.safetensors");
        SafeTensors.save(one("a", Tensor.of(1, 2)), f);
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(bytes, 30));
        assertEquals("the header length 56 is larger than the 22 bytes that follow it (truncated header?)", loadError(f));
    }

    @Test
    void headerLengthWithTheTopBitSet() throws IOException {
        Path f = dir.resolve("t.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-8).putLong(0);
        Files.write(f, b.array());
        assertEquals("the header length 18446744073709551608 is larger than the 8 bytes that follow it (truncated header?)",
                loadError(f));
    }

    @Test
    void truncatedData() throws IOException {
        Path f = dir.resolve("t.safetensors");
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a", Tensor.of(1, 2));
        m.put("b", Tensor.of(3, 4, 5));
        SafeTensors.save(m, f);
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(bytes, bytes.length - 4));
        assertEquals("tensor \"b\" has data_offsets [8, 20] past the end of the data section, which has 16 bytes "
                + "(truncated file?)", loadError(f));
    }

    @Test
    void trailingBytesAfterTheData() throws IOException {
        Path f = dir.resolve("t.safetensors");
        SafeTensors.save(one("a", Tensor.of(1, 2)), f);
        Files.write(f, new byte[] {0, 0, 0}, java.nio.file.StandardOpenOption.APPEND);
        assertEquals("the tensors cover 8 bytes but the data section has 11 (bytes [8, 11) belong to no tensor)",
                loadError(f));
    }

    @Test
    void badJson() throws IOException {
        assertEquals("invalid JSON at character 20: expected a string key in an object",
                loadError(rawFile("{\"a\":{\"dtype\":\"F32\",}}", new byte[0])));
        assertEquals("invalid JSON at the end: expected ',' or '}' in an object",
                loadError(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", new byte[4])));
        String empty = "{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
        assertEquals("invalid JSON at character " + (6 + empty.length()) + ": duplicate key \"a\"",
                loadError(rawFile("{\"a\":" + empty + ",\"a\":" + empty + "}", new byte[0])));
        assertEquals("invalid JSON at character 3: expected the end of the JSON text",
                loadError(rawFile("{} x", new byte[0])));
        assertEquals("the header does not start with '{', it starts with \"[1, 2]\"",
                loadError(rawFile("[1, 2]", new byte[0])));
        assertEquals("the header does not start with '{' (it is empty)", loadError(rawFile("", new byte[0])));
    }

    @Test
    void headerThatIsNotUtf8() throws IOException {
        byte[] h = {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '};
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(8).put(h);
        Path f = dir.resolve("t.safetensors");
        Files.write(f, b.array());
        assertEquals("the header is not valid UTF-8", loadError(f));
    }

    @Test
    void unknownOrUnsupportedDtype() throws IOException {
        assertEquals("tensor \"a\": unsupported dtype \"F16\" (supported: F32, F64, I64, BOOL)",
                loadError(rawFile("{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", new byte[2])));
        assertEquals("tensor \"a\": unsupported dtype \"f32\" (supported: F32, F64, I64, BOOL)",
                loadError(rawFile("{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4])));
        assertEquals("tensor \"a\": dtype must be a string, got 32",
                loadError(rawFile("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4])));
    }

    @Test
    void offsetsThatDoNotTileTheData() throws IOException {
        String a = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
        String b = "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":";
        assertEquals("tensors \"a\" [0, 8) and \"b\" [4, 8) overlap",
                loadError(rawFile("{" + a + "[0,8]}," + b + "[4,8]}}", new byte[8])));
        assertEquals("bytes [8, 12) of the data section belong to no tensor",
                loadError(rawFile("{" + a + "[0,8]}," + b + "[12,16]}}", new byte[16])));
        assertEquals("bytes [0, 4) of the data section belong to no tensor",
                loadError(rawFile("{" + a + "[4,12]}}", new byte[12])));
        assertEquals("tensor \"a\": data_offsets [8, 0] end before they begin",
                loadError(rawFile("{" + a + "[8,0]}}", new byte[8])));
        assertEquals("tensor \"a\": data_offsets must be [begin, end], got [0, 8, 9]",
                loadError(rawFile("{" + a + "[0,8,9]}}", new byte[8])));
        assertEquals("tensor \"a\": data_offsets must be an array of non-negative integers, got [0, -8]",
                loadError(rawFile("{" + a + "[0,-8]}}", new byte[8])));
        assertEquals("tensor \"a\": data_offsets has a value too large: 99999999999999999999",
                loadError(rawFile("{" + a + "[0,99999999999999999999]}}", new byte[8])));
    }

    @Test
    void shapeThatDoesNotMatchTheByteLength() throws IOException {
        assertEquals("tensor \"a\" of dtype F32 and shape [2, 3] needs 24 bytes, but data_offsets [0, 20] span 20",
                loadError(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[20])));
        assertEquals("tensor \"a\": shape must be an array of non-negative integers, got [2.5]",
                loadError(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", new byte[8])));
        assertEquals("tensor \"a\": shape must be an array of non-negative integers, got [\"2\"]",
                loadError(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", new byte[8])));
        assertEquals("tensor \"a\": shape [65536, 65536] has more than 2147483639 elements, the most a Java array can hold",
                loadError(rawFile("{\"a\":{\"dtype\":\"BOOL\",\"shape\":[65536,65536],\"data_offsets\":[0,4294967296]}}",
                        new byte[8])));
    }

    @Test
    void missingAndUnknownFields() throws IOException {
        assertEquals("tensor \"a\": missing field \"shape\"",
                loadError(rawFile("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4])));
        assertEquals("tensor \"a\": unknown field \"strides\" (expected dtype, shape and data_offsets)",
                loadError(rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"strides\":[1],\"data_offsets\":[0,4]}}",
                        new byte[4])));
        assertEquals("tensor \"a\": expected an object with dtype, shape and data_offsets, got an array",
                loadError(rawFile("{\"a\":[1]}", new byte[0])));
        assertEquals("__metadata__ must map strings to strings, but key \"step\" has 3",
                loadError(rawFile("{\"__metadata__\":{\"step\":3}}", new byte[0])));
        assertEquals("__metadata__ must be an object of strings, got null",
                loadError(rawFile("{\"__metadata__\":null}", new byte[0])));
    }

    @Test
    void valuesThatTheDtypeCannotHold() throws IOException {
        assertEquals("tensor \"m\" holds the byte 2 at element 1, but a BOOL must be 0 or 1",
                loadError(rawFile("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", new byte[] {1, 2, 0})));
        ByteBuffer big = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(5).putLong((1L << 53) + 1);
        assertEquals("tensor \"i\" holds the int64 value 9007199254740993 at element 1, beyond ±2^53, which this engine "
                + "can't hold exactly",
                loadError(rawFile("{\"i\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", big.array())));
    }

    @Test
    void aBadSecondTensorFailsTheWholeLoad() throws IOException {
        // "a" is fine; "b" is damaged: the load fails as a whole.
        byte[] data = new byte[8 + 2];
        data[9] = 7;
        Path f = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[8,10]}}", data);
        assertEquals("tensor \"b\" holds the byte 7 at element 1, but a BOOL must be 0 or 1", loadError(f));
    }

    @Test
    void handWrittenFilesInAnyOrderAndPaddingLoad() throws IOException {
        // The header lists "b" first although its bytes come second; the header is not padded; whitespace inside.
        byte[] data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putLong(-3).array();
        Path f = rawFile("{\"b\": {\"shape\": [], \"dtype\": \"I64\", \"data_offsets\": [4, 12]},\n"
                + "\"a\": {\"dtype\": \"F32\", \"shape\": [1, 1], \"data_offsets\": [0, 4]}}\t", data);
        Map<String, Tensor> m = SafeTensors.load(f);
        assertEquals(List.of("b", "a"), List.copyOf(m.keySet()));
        assertEquals(-3.0, m.get("b").item());
        assertEquals(DType.INT64, m.get("b").dtype());
        assertArrayEquals(new int[] {1, 1}, m.get("a").shape());
        assertEquals(1.5, m.get("a").item());
    }

    // =====================================================================================================
    // Modules

    /** y = x * scale + shift, with a step counter buffer. */
    static final class Affine extends Module {
        final Parameter scale;
        final Parameter shift;
        final Tensor steps;

        Affine(Tensor scale, Tensor shift) {
            this.scale = registerParameter("scale", new Parameter(scale));
            this.shift = registerParameter("shift", new Parameter(shift));
            this.steps = registerBuffer("steps", Tensor.scalar(0, DType.INT64));
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.mul(scale).add(shift);
        }
    }

    static final class Net extends Module {
        Net(Affine first, Affine second) {
            registerModule("first", first);
            registerModule("second", second);
        }

        @Override
        public Tensor forward(Tensor x) {
            return children().get(1).forward(children().get(0).forward(x));
        }
    }

    @Test
    void moduleRoundTrip() throws IOException {
        Net saved = new Net(new Affine(Tensor.of(1, 2), Tensor.of(3, 4)), new Affine(Tensor.of(-1, 0.5), Tensor.of(0, 1)));
        ((Affine) saved.children().get(0)).steps.fill_(17);
        Path f = dir.resolve("net.safetensors");
        SafeTensors.saveModule(saved, f);
        assertEquals(List.of("first.steps", "second.steps", "first.scale", "first.shift", "second.scale", "second.shift"),
                List.copyOf(SafeTensors.load(f).keySet()));

        Net fresh = new Net(new Affine(Tensor.zeros(2), Tensor.zeros(2)), new Affine(Tensor.zeros(2), Tensor.zeros(2)));
        SafeTensors.loadModule(fresh, f);
        Tensor x = Tensor.of(0.5, -2);
        assertArrayEquals(saved.forward(x).toFloatArray(), fresh.forward(x).toFloatArray());
        assertEquals(17.0, ((Affine) fresh.children().get(0)).steps.item());
        assertTrue(fresh.parameters().get(0).requiresGrad());
    }

    @Test
    void loadingAMismatchedFileLeavesTheModuleUnchanged() throws IOException {
        Path f = dir.resolve("net.safetensors");
        SafeTensors.saveModule(new Affine(Tensor.of(1, 2, 3), Tensor.of(3, 4, 5)), f);
        Affine target = new Affine(Tensor.of(9, 9), Tensor.of(8, 8));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SafeTensors.loadModule(target, f));
        assertTrue(ex.getMessage().contains("size mismatch for scale: copying a param with shape [3] from checkpoint, "
                + "the shape in current model is [2]."), ex.getMessage());
        assertArrayEquals(new float[] {9, 9}, target.scale.toFloatArray());
        assertArrayEquals(new float[] {8, 8}, target.shift.toFloatArray());
    }
}
