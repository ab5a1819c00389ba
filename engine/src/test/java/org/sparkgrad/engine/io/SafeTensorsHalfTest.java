package org.sparkgrad.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.RefBasics;
import org.sparkgrad.engine.Tensor;

/**
 * float16 and bfloat16 tensors of refdata/half_floats.safetensors (written from torch 1.13's own bytes by
 * src/test/python/record_basics.py: zeros of both signs, rounding, the largest values, normals at the
 * bottom of the range, subnormals, infinities, NaN) load as float32, bit for bit equal to torch's
 * {@code .float()} (recorded in refdata/basics.json, "half_floats").
 */
class SafeTensorsHalfTest {
    private static Path resource() throws URISyntaxException {
        return Paths.get(SafeTensorsHalfTest.class.getResource("/refdata/half_floats.safetensors").toURI());
    }

    private static void assertLikeTorch(Map<String, Tensor> loaded) {
        JsonNode ref = RefBasics.section("half_floats");
        assertEquals(java.util.Set.of("half", "bf16", "half_scalar", "float"), loaded.keySet());
        ref.fields().forEachRemaining(e -> {
            Tensor t = loaded.get(e.getKey());
            assertEquals(DType.FLOAT32, t.dtype(), e.getKey());
            int[] shape = new int[e.getValue().get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = e.getValue().get("shape").get(i).asInt();
            }
            assertArrayEquals(shape, t.shape(), e.getKey());
            float[] values = t.toFloatArray();
            JsonNode bits = e.getValue().get("float32_bits");
            for (int i = 0; i < values.length; i++) {
                int expected = (int) bits.get(i).asLong();
                assertEquals(Integer.toHexString(expected), Integer.toHexString(Float.floatToRawIntBits(values[i])),
                        e.getKey() + "[" + i + "] (torch: " + Float.intBitsToFloat(expected) + ", ours: " + values[i] + ")");
            }
        });
    }

    @Test
    void readsTorchHalfFloatsExactly() throws Exception {
        Map<String, Tensor> loaded = SafeTensors.load(resource());
        assertEquals(List.of("half", "bf16", "half_scalar", "float"), List.copyOf(loaded.keySet()), "header order");
        assertLikeTorch(loaded);
    }

    @Test
    void readsThemFromAStreamToo() throws Exception {
        Path p = resource();
        try (InputStream in = Files.newInputStream(p)) {
            assertLikeTorch(SafeTensors.read(in, Files.size(p), p.toString()).tensors());
        }
    }

    @Test
    void writesThemBackAsFloat32(@TempDir Path dir) throws Exception {
        Map<String, Tensor> loaded = SafeTensors.load(resource());
        Path out = dir.resolve("widened.safetensors");
        SafeTensors.save(loaded, out);
        String header = new String(Files.readAllBytes(out), 8, 200, java.nio.charset.StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assertions.assertFalse(header.contains("F16"), header);
        assertLikeTorch(SafeTensors.load(out));
    }

    @Test
    void everyF16BitPatternWidensToTheSameValue() {
        // Against an independent route: the binary16 value computed from its fields in double arithmetic.
        for (int h = 0; h < 0x10000; h++) {
            int exp = (h >>> 10) & 0x1f;
            int mant = h & 0x3ff;
            double sign = (h & 0x8000) != 0 ? -1 : 1;
            float ours = HalfFloats.fromF16((short) h);
            if (exp == 0x1f) {
                assertEquals(mant == 0, Float.isInfinite(ours), Integer.toHexString(h));
                assertEquals(mant != 0, Float.isNaN(ours), Integer.toHexString(h));
                continue;
            }
            double value = exp == 0 ? sign * mant * Math.pow(2, -24) : sign * (1 + mant / 1024.0) * Math.pow(2, exp - 15);
            assertEquals(value, (double) ours, 0.0, Integer.toHexString(h));
            assertEquals(sign < 0, (Float.floatToRawIntBits(ours) & 0x80000000) != 0, "sign of " + Integer.toHexString(h));
        }
    }

    @Test
    void truncatedHalfDataIsRefused(@TempDir Path dir) throws IOException {
        String json = "{\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,4]}}";
        byte[] h = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + h.length + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(new byte[4]);
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, b.array());
        IOException ex = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> SafeTensors.load(f));
        assertEquals("invalid safetensors file " + f + ": tensor \"a\" of dtype BF16 and shape [3] needs 6 bytes, but "
                + "data_offsets [0, 4] span 4", ex.getMessage());
    }
}
