package org.sparkgrad.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;

/**
 * {@link SafeTensors#write(Map, Map, java.io.OutputStream)} and {@link SafeTensors#read(InputStream, long, String)}:
 * the same bytes as the file methods, and the same refusal of damaged input, through streams.
 */
class SafeTensorsStreamTest {
    @TempDir
    Path dir;

    private static Map<String, Tensor> sample() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w", Tensor.randn(new Generator(3), 40_000)); // several 64 KiB chunks
        m.put("b", Tensor.tensor(new double[] {0.1, -2.5, Double.NaN}, DType.FLOAT64, 3));
        m.put("ids", Tensor.ofLongs(7, -3));
        m.put("mask", Tensor.tensor(new double[] {1, 0, 1}, DType.BOOL, 3));
        m.put("empty", Tensor.zeros(0, 2));
        return m;
    }

    private static Map<String, String> meta() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("step", "17");
        meta.put("note", "ünïcode \"quoted\"");
        return meta;
    }

    private static byte[] written(Map<String, Tensor> tensors, Map<String, String> meta) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.write(tensors, meta, out);
        return out.toByteArray();
    }

    private static SafeTensors.Contents read(byte[] bytes) throws IOException {
        return SafeTensors.read(new ByteArrayInputStream(bytes), bytes.length, "mem://x");
    }

    private static String readError(byte[] bytes) {
        return readError(bytes, bytes.length);
    }

    /** The problem reading bytes from a stream said to hold {@code length} bytes. */
    private static String readError(byte[] bytes, long length) {
        IOException ex = assertThrows(IOException.class,
                () -> SafeTensors.read(new ByteArrayInputStream(bytes), length, "mem://x"));
        String prefix = "invalid safetensors file mem://x: ";
        assertTrue(ex.getMessage().startsWith(prefix), ex.getMessage());
        return ex.getMessage().substring(prefix.length());
    }

    @Test
    void writeGivesTheBytesOfSave() throws IOException {
        Path f = dir.resolve("m.safetensors");
        SafeTensors.save(sample(), f, meta());
        assertArrayEquals(Files.readAllBytes(f), written(sample(), meta()));
    }

    @Test
    void readGivesWhatTheFileReaderGives() throws IOException {
        Path f = dir.resolve("m.safetensors");
        SafeTensors.save(sample(), f, meta());
        SafeTensors.Contents fromFile = SafeTensors.read(f);
        SafeTensors.Contents fromStream;
        try (InputStream in = Files.newInputStream(f)) {
            fromStream = SafeTensors.read(in, Files.size(f), f.toString());
        }
        assertEquals(fromFile.metadata(), fromStream.metadata());
        assertEquals(List.copyOf(fromFile.tensors().keySet()), List.copyOf(fromStream.tensors().keySet()));
        for (String name : fromFile.tensors().keySet()) {
            Tensor a = fromFile.tensors().get(name);
            Tensor b = fromStream.tensors().get(name);
            assertEquals(a.dtype(), b.dtype(), name);
            assertArrayEquals(a.shape(), b.shape(), name);
            if (a.dtype() == DType.FLOAT32) {
                assertArrayEquals(a.toFloatArray(), b.toFloatArray(), name);
            } else {
                double[] x = a.toArray();
                double[] y = b.toArray();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Double.doubleToRawLongBits(x[i]), Double.doubleToRawLongBits(y[i]), name + "[" + i + "]");
                }
            }
        }
        assertArrayEquals(sample().get("w").toFloatArray(), fromStream.tensors().get("w").toFloatArray());
    }

    @Test
    void everyTruncationIsRefused() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a", Tensor.of(1, 2, 3));
        m.put("b", Tensor.tensor(new double[] {4, 5}, DType.FLOAT64, 2));
        byte[] full = written(m, meta());
        for (int len = 0; len < full.length; len++) {
            byte[] cut = Arrays.copyOf(full, len);
            assertThrows(IOException.class, () -> read(cut), "truncated to " + cut.length + " of " + full.length + " bytes");
            // and a stream shorter than the length it was said to have
            assertThrows(IOException.class, () -> SafeTensors.read(new ByteArrayInputStream(cut), full.length, "x"),
                    "stream of " + cut.length + " bytes said to have " + full.length);
        }
        assertEquals(3, read(full).tensors().get("a").numel());
    }

    @Test
    void truncationMessagesSayWhatIsMissing() throws IOException {
        byte[] full = written(Map.of("a", Tensor.of(1, 2, 3)), Map.of());
        assertEquals("the file has 5 bytes, fewer than the 8 of the header length", readError(Arrays.copyOf(full, 5)));
        int headerLength = (int) ByteBuffer.wrap(full, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals("the header length " + headerLength + " is larger than the 3 bytes that follow it (truncated header?)",
                readError(Arrays.copyOf(full, 11)));
        assertEquals("tensor \"a\" has data_offsets [0, 12] past the end of the data section, which has 8 bytes"
                + " (truncated file?)", readError(Arrays.copyOf(full, full.length - 4)));
        assertEquals("the file ended at byte " + (full.length - 4) + " while reading (did it shrink while being read?)",
                readError(Arrays.copyOf(full, full.length - 4), full.length));
        assertEquals("the file ended at byte 6 while reading (did it shrink while being read?)",
                readError(Arrays.copyOf(full, 6), full.length));
    }

    @Test
    void bytesBeyondTheGivenLengthAreRefused() throws IOException {
        byte[] full = written(Map.of("a", Tensor.of(1, 2, 3)), Map.of());
        assertEquals("the tensors cover 12 bytes but the data section has 13 (bytes [12, 13) belong to no tensor)",
                readError(Arrays.copyOf(full, full.length + 1)));
        assertEquals("there are more than the " + full.length
                + " bytes the file was said to have (did it grow while being read?)",
                readError(Arrays.copyOf(full, full.length + 1), full.length));
    }

    @Test
    void headerChecksApplyToStreams() {
        byte[] h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 12).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        assertEquals("bytes [0, 4) of the data section belong to no tensor", readError(b.array()));

        // A damaged header that claims a huge tensor is refused before anything is allocated for it.
        byte[] big = "{\"a\":{\"dtype\":\"F64\",\"shape\":[2000000000],\"data_offsets\":[0,16000000000]}}"
                .getBytes(StandardCharsets.UTF_8);
        ByteBuffer c = ByteBuffer.allocate(8 + big.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        c.putLong(big.length).put(big);
        assertEquals("tensor \"a\" has data_offsets [0, 16000000000] past the end of the data section, which has 16 bytes"
                + " (truncated file?)", readError(c.array()));

        ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L);
        assertEquals("the header length 18446744073709551615 is larger than the 8 bytes that follow it (truncated header?)",
                readError(huge.array()));

        byte[] garbage = "this is not a safetensors file at all".getBytes(StandardCharsets.UTF_8);
        assertEquals("the header length 2338328219631577204 is larger than the 29 bytes that follow it (truncated header?)",
                readError(garbage));
    }

    @Test
    void valueChecksApplyToStreams() throws IOException {
        byte[] full = written(Map.of("m", Tensor.tensor(new double[] {1, 0}, DType.BOOL, 2)), Map.of());
        full[full.length - 1] = 7;
        assertEquals("tensor \"m\" holds the byte 7 at element 1, but a BOOL must be 0 or 1", readError(full));
    }

    @Test
    void writeRefusesBadArgumentsBeforeWritingAnything() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a", null);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(m, Map.of(), out));
        assertEquals("tensor \"a\" is null", ex.getMessage());
        assertEquals(0, out.size());
    }
}
