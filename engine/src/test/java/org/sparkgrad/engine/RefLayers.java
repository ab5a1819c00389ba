package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * The torch 1.13 values of {@code refdata/layers.json}, recorded in float64 by
 * {@code src/test/python/record_layers.py} (convolution, pooling, normalisation, embedding, activations).
 * Committed, so the tests need no torch.
 */
public final class RefLayers {
    /** Float64 results against float64 PyTorch values. */
    public static final double TOL = 1e-10;
    private static final JsonNode ROOT = RefBasics.load("/refdata/layers.json");

    private RefLayers() {
    }

    /** The version of torch that recorded the file. */
    public static String torchVersion() {
        return ROOT.get("torch_version").asText();
    }

    /** One recorded case by name. */
    public static JsonNode get(String name) {
        JsonNode n = ROOT.get("cases").get(name);
        if (n == null) {
            throw new AssertionError("refdata/layers.json has no case \"" + name + "\"");
        }
        return n;
    }

    /** PyTorch's state-dict keys of a layer ("Conv2d", "BatchNorm2d", ...). */
    public static String[] stateDictNames(String layer) {
        JsonNode a = ROOT.get("state_dict_names").get(layer);
        String[] out = new String[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asText();
        }
        return out;
    }

    /** The case's recorded tensor in float64 (a leaf that requires grad when asked). */
    public static Tensor tensor(JsonNode c, String name, boolean requiresGrad) {
        JsonNode t = c.get("tensors").get(name);
        if (t == null) {
            throw new AssertionError("the case has no tensor \"" + name + "\"");
        }
        Tensor out = Tensor.tensor(RefBasics.doubles(t.get("values")), DType.FLOAT64, shape(t));
        return requiresGrad ? out.requiresGrad_() : out;
    }

    /** The case's recorded int64 tensor. */
    public static Tensor longTensor(JsonNode c, String name) {
        JsonNode t = c.get("tensors").get(name);
        return Tensor.tensor(RefBasics.doubles(t.get("values")), DType.INT64, shape(t));
    }

    /** Whether the case recorded a tensor by that name. */
    public static boolean has(JsonNode c, String name) {
        return c.get("tensors").has(name);
    }

    /** The shape of a recorded {shape, values} object. */
    public static int[] shape(JsonNode t) {
        JsonNode s = t.get("shape");
        int[] out = new int[s.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.get(i).asInt();
        }
        return out;
    }

    /** Asserts a recorded {shape, values} object: the tensor's shape exactly, values within {@link #TOL}. */
    public static void assertTensor(JsonNode expected, Tensor actual, String what) {
        assertArrayEquals(shape(expected), actual.shape(), what + ": shape");
        assertValues(expected.get("values"), actual, what);
    }

    /** Asserts values within {@link #TOL}, relative beyond 1. */
    public static void assertValues(JsonNode expected, Tensor actual, String what) {
        double[] e = RefBasics.doubles(expected);
        double[] a = actual.toArray();
        assertEquals(e.length, a.length, what + ": element count");
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], TOL * Math.max(1, Math.abs(e[i])), what + " [" + i + "]");
        }
    }

    /**
     * Checks out against the case (values, PyTorch's grad_fn name), runs backward with the recorded grad_output,
     * and checks the gradient of every recorded leaf.
     */
    public static void replay(JsonNode c, Tensor out, Map<String, Tensor> leaves) {
        assertTensor(c.get("output"), out, "output");
        assertEquals(c.get("grad_fn").asText(), out.gradFn().name(), "grad_fn");
        out.backward(tensor(c, "grad_output", false));
        Iterator<Map.Entry<String, JsonNode>> it = c.get("grads").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Tensor leaf = leaves.get(e.getKey());
            if (leaf == null) {
                throw new AssertionError("the replay did not pass the leaf \"" + e.getKey() + "\"");
            }
            assertValues(e.getValue(), leaf.grad(), "grad of " + e.getKey());
        }
    }
}
