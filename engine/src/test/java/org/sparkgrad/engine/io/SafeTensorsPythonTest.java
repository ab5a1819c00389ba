package org.sparkgrad.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/**
 * The safetensors format both ways against an independent implementation: a short Python program that
 * uses only the standard library ({@code json} and {@code struct}) reads files written here and writes
 * files read here. Runs when {@code python3} is on the PATH and is skipped (saying so) only when it is not.
 */
class SafeTensorsPythonTest {
    /** Reads argv[1] and prints its metadata, header order and values (as Python reprs) as JSON. */
    private static final String READER = String.join("\n",
            "import json, math, struct, sys",
            "raw = open(sys.argv[1], 'rb').read()",
            "assert len(raw) >= 8, len(raw)",
            "(n,) = struct.unpack('<Q', raw[:8])",
            "assert n % 8 == 0, 'header length %d is not a multiple of 8' % n",
            "text = raw[8:8 + n].decode('utf-8')",
            "body = text.rstrip(' ')",
            "assert body.endswith('}') and body == body.strip(), 'padding must be trailing spaces'",
            "header = json.loads(text)",
            "meta = header.pop('__metadata__', {})",
            "data = raw[8 + n:]",
            "fmt = {'F32': ('f', 4), 'F64': ('d', 8), 'I64': ('q', 8), 'BOOL': ('?', 1)}",
            "pos = 0",
            "for b, e, k in sorted((v['data_offsets'][0], v['data_offsets'][1], k) for k, v in header.items()):",
            "    assert b == pos, 'gap or overlap before %r: %d != %d' % (k, b, pos)",
            "    pos = e",
            "assert pos == len(data), 'data section has %d bytes, tensors cover %d' % (len(data), pos)",
            "out = {}",
            "for k, v in header.items():",
            "    assert sorted(v) == ['data_offsets', 'dtype', 'shape'], sorted(v)",
            "    code, size = fmt[v['dtype']]",
            "    b, e = v['data_offsets']",
            "    count = math.prod(v['shape'])",
            "    assert e - b == count * size, (k, b, e, count)",
            "    assert b % size == 0, 'tensor %r is not aligned' % k",
            "    vals = struct.unpack('<%d%s' % (count, code), data[b:e])",
            "    out[k] = {'dtype': v['dtype'], 'shape': v['shape'], 'values': [repr(x) for x in vals]}",
            "print(json.dumps({'metadata': meta, 'order': list(header), 'tensors': out}))");

    /** Writes argv[1]: header in a different order than the data, unpadded, with spaces and \\u escapes. */
    private static final String WRITER = String.join("\n",
            "import json, struct, sys",
            "parts = [",
            "    ('bias', 'F64', [3], struct.pack('<3d', 0.1, -2.5, 1e300)),",
            "    ('weight', 'F32', [2, 3], struct.pack('<6f', 0.5, -1.25, 3.0, 1e-3, -0.0, 65504.0)),",
            "    ('steps', 'I64', [], struct.pack('<q', -7)),",
            "    ('empty', 'F32', [0, 2], b''),",
            "    ('mask', 'BOOL', [4], struct.pack('<4?', True, False, False, True)),",
            "]",
            "header, data = {}, b''",
            "for name, dtype, shape, raw in parts:",
            "    header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [len(data), len(data) + len(raw)]}",
            "    data += raw",
            "ordered = {'__metadata__': {'format': 'pt', 'note': '\\u00e9\\n'}}",
            "for name in ['weight', 'mask', 'bias', 'empty', 'steps']:",
            "    ordered[name] = header[name]",
            "text = json.dumps(ordered).encode('utf-8')",
            "open(sys.argv[1], 'wb').write(struct.pack('<Q', len(text)) + text + data)");

    private static String python3Missing;

    @TempDir
    Path dir;

    @BeforeAll
    static void findPython() {
        try {
            Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(60, TimeUnit.SECONDS);
        } catch (IOException ex) {
            python3Missing = "python3 is not installed (" + ex.getMessage() + "): skipping the cross-check with a "
                    + "standard-library Python reader and writer";
            System.out.println(python3Missing);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private String runPython(String script, Path file) throws IOException, InterruptedException {
        assumeTrue(python3Missing == null, python3Missing);
        Path out = dir.resolve("python.out");
        Process p = new ProcessBuilder("python3", "-c", script, file.toString()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(done, "python3 did not finish in 60 s: " + text);
        assertEquals(0, p.exitValue(), () -> "python3 failed:\n" + text);
        return text.trim();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> tensorInfo(Map<String, Object> report, String name) {
        return (Map<String, Object>) ((Map<String, Object>) report.get("tensors")).get(name);
    }

    @SuppressWarnings("unchecked")
    private static List<String> values(Map<String, Object> report, String name) {
        return (List<String>) tensorInfo(report, name).get("values");
    }

    private static double pyFloat(String repr) {
        return switch (repr) {
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            case "nan" -> Double.NaN;
            default -> Double.parseDouble(repr);
        };
    }

    private static List<Long> shape(Map<String, Object> report, String name) {
        List<Long> out = new ArrayList<>();
        for (Object o : (List<?>) tensorInfo(report, name).get("shape")) {
            out.add(((java.math.BigDecimal) o).longValueExact());
        }
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void aStandardLibraryPythonReaderReadsOurFiles() throws Exception {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("fc.weight", Tensor.tensor(new float[][] {{0.1f, -2f, 3.5f}, {1e-30f, -0.0f, Float.MAX_VALUE}}).t());
        m.put("fc.bias", Tensor.tensor(new double[] {Math.PI, Double.NEGATIVE_INFINITY}, DType.FLOAT64, 2));
        m.put("steps", Tensor.scalar(123456789012L, DType.INT64));
        m.put("mask", Tensor.tensor(new double[] {0, 1, 1}, DType.BOOL, 3));
        m.put("none", Tensor.zeros(3, 0));
        Path f = dir.resolve("java.safetensors");
        SafeTensors.save(m, f, Map.of("format", "pt"));

        Map<String, Object> report = (Map<String, Object>) Json.parse(runPython(READER, f));
        assertEquals(Map.of("format", "pt"), report.get("metadata"));
        assertEquals(List.of("steps", "fc.bias", "fc.weight", "none", "mask"), report.get("order"));
        assertEquals("F32", tensorInfo(report, "fc.weight").get("dtype"));
        assertEquals(List.of(3L, 2L), shape(report, "fc.weight"));
        float[] expected = {0.1f, 1e-30f, -2f, -0.0f, 3.5f, Float.MAX_VALUE}; // the transpose, row-major
        List<String> w = values(report, "fc.weight");
        assertEquals(expected.length, w.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits((float) pyFloat(w.get(i))), w.get(i));
            assertEquals((double) expected[i], pyFloat(w.get(i))); // Python widened the float exactly
        }
        assertEquals(List.of("3.141592653589793", "-inf"), values(report, "fc.bias"));
        assertEquals(List.of(), shape(report, "steps"));
        assertEquals(List.of("123456789012"), values(report, "steps"));
        assertEquals(List.of("False", "True", "True"), values(report, "mask"));
        assertEquals(List.of(3L, 0L), shape(report, "none"));
        assertEquals(List.of(), values(report, "none"));
    }

    @Test
    void weReadFilesOfAStandardLibraryPythonWriter() throws Exception {
        Path f = dir.resolve("python.safetensors");
        runPython(WRITER, f);
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals(Map.of("format", "pt", "note", "é\n"), c.metadata());
        assertEquals(List.of("weight", "mask", "bias", "empty", "steps"), List.copyOf(c.tensors().keySet()));

        Tensor weight = c.tensors().get("weight");
        assertEquals(DType.FLOAT32, weight.dtype());
        assertArrayEquals(new int[] {2, 3}, weight.shape());
        float[] w = weight.toFloatArray();
        float[] expected = {0.5f, -1.25f, 3.0f, 1e-3f, -0.0f, 65504.0f};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(w[i]), "weight[" + i + "]");
        }
        Tensor bias = c.tensors().get("bias");
        assertEquals(DType.FLOAT64, bias.dtype());
        assertArrayEquals(new double[] {0.1, -2.5, 1e300}, bias.toArray());
        Tensor steps = c.tensors().get("steps");
        assertEquals(DType.INT64, steps.dtype());
        assertArrayEquals(new int[0], steps.shape());
        assertEquals(-7.0, steps.item());
        Tensor mask = c.tensors().get("mask");
        assertEquals(DType.BOOL, mask.dtype());
        assertArrayEquals(new double[] {1, 0, 0, 1}, mask.toArray());
        Tensor empty = c.tensors().get("empty");
        assertArrayEquals(new int[] {0, 2}, empty.shape());
        assertEquals(DType.FLOAT32, empty.dtype());
    }
}
