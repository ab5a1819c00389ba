package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkgrad.engine.nn.NnAsserts.assertContains;
import static org.sparkgrad.engine.nn.NnAsserts.assertNormal;
import static org.sparkgrad.engine.nn.NnAsserts.d;
import static org.sparkgrad.engine.nn.NnAsserts.message;
import static org.sparkgrad.engine.nn.NnAsserts.shape;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Gradcheck;
import org.sparkgrad.engine.RefLayers;
import org.sparkgrad.engine.Tensor;

/** Embedding and LayerNorm against torch 1.13, gradcheck and by hand. */
class EmbeddingLayerNormTest {
    @Test
    void embeddingMatchesTorch() {
        for (String name : new String[] {"embedding_padding", "embedding_plain"}) {
            JsonNode c = RefLayers.get(name);
            Tensor w = RefLayers.tensor(c, "weight", true);
            JsonNode pad = c.get("options").get("padding_idx");
            Tensor out = F.embedding(RefLayers.longTensor(c, "idx"), w, pad == null ? null : pad.asInt());
            RefLayers.replay(c, out, Map.of("weight", w));
        }
    }

    @Test
    void layerNormMatchesTorch() {
        for (String name : new String[] {"layer_norm_affine", "layer_norm_plain"}) {
            JsonNode c = RefLayers.get(name);
            Map<String, Tensor> leaves = new HashMap<>();
            Tensor x = RefLayers.tensor(c, "x", true);
            leaves.put("x", x);
            JsonNode ns = c.get("options").get("normalized_shape");
            int[] normalized = new int[ns.size()];
            for (int i = 0; i < normalized.length; i++) {
                normalized[i] = ns.get(i).asInt();
            }
            LayerNorm ln = NnAsserts.toFloat64(new LayerNorm(normalized, c.get("options").get("eps").asDouble(),
                    RefLayers.has(c, "weight")));
            if (ln.weight() != null) {
                ln.weight().setData(RefLayers.tensor(c, "weight", false));
                ln.bias().setData(RefLayers.tensor(c, "bias", false));
                leaves.put("weight", ln.weight());
                leaves.put("bias", ln.bias());
            }
            RefLayers.replay(c, ln.call(x), leaves);
        }
    }

    @Test
    void gradcheckAndGradgradcheck() {
        Generator g = new Generator(12);
        Tensor w = Tensor.randn(g, 5, 3).toDouble().requiresGrad_();
        Tensor idx = Tensor.ofLongs(4, 0, 4, 2, 1, 4).reshape(2, 3);
        Gradcheck.check(in -> F.embedding(idx, in[0]), w); // (the padding row's zero gradient is by design, not a derivative)
        Tensor x = Tensor.randn(g, 2, 3, 4).toDouble().requiresGrad_();
        Tensor lw = Tensor.randn(g, 3, 4).toDouble().requiresGrad_();
        Tensor lb = Tensor.randn(g, 3, 4).toDouble().requiresGrad_();
        Gradcheck.check(in -> F.layerNorm(in[0], new int[] {3, 4}, in[1], in[2], 1e-5), x, lw, lb);
        Gradcheck.checkGradGrad(in -> F.layerNorm(in[0], new int[] {4}, null, null, 1e-5), x);
        Tensor lw4 = Tensor.randn(g, 4).toDouble().requiresGrad_();
        Gradcheck.checkGradGrad(in -> F.layerNorm(in[0], new int[] {4}, in[1], null, 1e-5), x, lw4);
    }

    /** By hand: rows picked, repeated indices accumulate, the padding row gets nothing; [1, 3] normalises to [-1, 1]. */
    @Test
    void handDerived() {
        Tensor w = d(shape(3, 2), 1, 2, 3, 4, 5, 6);
        Tensor e = F.embedding(Tensor.ofLongs(2, 0, 2), w, 0);
        assertArrayEquals(new double[] {5, 6, 1, 2, 5, 6}, e.toArray(), 0);
        assertArrayEquals(new int[] {3, 2}, e.shape());
        e.backward(Tensor.onesLike(e));
        assertArrayEquals(new double[] {0, 0, 0, 0, 2, 2}, w.grad().toArray(), 0);
        Tensor x = d(shape(1, 2), 1, 3);
        Tensor y = F.layerNorm(x, new int[] {2}, null, null, 0);
        assertArrayEquals(new double[] {-1, 1}, y.toArray(), 1e-12);
        // d y0 / d x = invstd * ([1, 0] - 1/2 - xhat * xhat0 / 2) = [1/2 - 1/2, -1/2 + 1/2] = 0 (xhat = [-1, 1])
        y.backward(Tensor.tensor(new double[] {1, 0}, org.sparkgrad.engine.DType.FLOAT64, 1, 2));
        assertArrayEquals(new double[] {0, 0}, x.grad().toArray(), 1e-12);
    }

    @Test
    void modulesInitAndStateDicts() {
        Embedding emb = new Embedding(400, 50, -1, new Generator(3));
        assertArrayEquals(RefLayers.stateDictNames("Embedding"), emb.stateDict().keySet().toArray());
        assertArrayEquals(new double[50], emb.weight().select(0, 399).toArray(), 0, "padding row zeroed");
        assertNormal(emb.weight().narrow(0, 0, 399), 0, 1);
        assertEquals("Embedding(400, 50, padding_idx=399)", emb.toString());
        assertArrayEquals(new int[] {2, 1, 50}, emb.call(Tensor.ofLongs(3, 7).reshape(2, 1)).shape());
        LayerNorm ln = new LayerNorm(4);
        assertArrayEquals(RefLayers.stateDictNames("LayerNorm"), ln.stateDict().keySet().toArray());
        assertEquals("LayerNorm((4,), eps=1.0E-5, elementwise_affine=True)", ln.toString());
        assertEquals(0, new LayerNorm(new int[] {4}, 1e-5, false).stateDict().size());
    }

    @Test
    void badArguments() {
        Tensor w = Tensor.zeros(3, 2);
        assertContains(message(IndexOutOfBoundsException.class, () -> F.embedding(Tensor.ofLongs(0, 3), w)),
                "index out of range in self", "index 3 at flat position 1", "[0, 2]");
        assertContains(message(IllegalArgumentException.class, () -> F.embedding(Tensor.of(0f, 1f), w)),
                "expected indices of dtype int64, but got float32");
        assertContains(message(IllegalArgumentException.class, () -> new Embedding(3, 2, 3, new Generator(1))),
                "Padding_idx must be within num_embeddings");
        assertContains(message(IllegalArgumentException.class, () -> new LayerNorm(4).call(Tensor.zeros(2, 5))),
                "Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[2, 5]");
    }
}
