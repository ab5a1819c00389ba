package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.sparkgrad.engine.nn.NnAsserts.assertContains;
import static org.sparkgrad.engine.nn.NnAsserts.d;
import static org.sparkgrad.engine.nn.NnAsserts.message;
import static org.sparkgrad.engine.nn.NnAsserts.shape;
import static org.sparkgrad.engine.nn.NnAsserts.toFloat64;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Gradcheck;
import org.sparkgrad.engine.RefLayers;
import org.sparkgrad.engine.Tensor;

/** BatchNorm1d / BatchNorm2d and F.batchNorm against torch 1.13 (refdata/layers.json), gradcheck and by hand. */
class BatchNormTest {
    /**
     * Replays a recorded sequence of calls on a fresh module (the last one in eval mode when the case says so):
     * outputs, accumulated gradients, and the state dict afterwards.
     */
    private static void replay(String name, Supplier<BatchNormBase> make, boolean evalLast) {
        JsonNode c = RefLayers.get(name);
        BatchNormBase bn = toFloat64(make.get());
        if (bn.weight() != null) {
            bn.weight().setData(RefLayers.tensor(c, "weight", false));
            bn.bias().setData(RefLayers.tensor(c, "bias", false));
        }
        int calls = c.get("outputs").size();
        List<Tensor> xs = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            if (evalLast && i == calls - 1) {
                bn.eval();
            }
            Tensor x = RefLayers.tensor(c, "x" + i, true);
            xs.add(x);
            Tensor out = bn.call(x);
            RefLayers.assertTensor(c.get("outputs").get(i), out, name + " output " + i);
            assertEquals(c.get("grad_fn").asText(), out.gradFn().name());
            out.backward(RefLayers.tensor(c, "grad_output" + i, false));
        }
        for (int i = 0; i < calls; i++) {
            RefLayers.assertValues(c.get("grads").get("x" + i), xs.get(i).grad(), name + " grad x" + i);
        }
        if (bn.weight() != null) {
            RefLayers.assertValues(c.get("grads").get("weight"), bn.weight().grad(), name + " grad weight");
            RefLayers.assertValues(c.get("grads").get("bias"), bn.bias().grad(), name + " grad bias");
        }
        Map<String, Tensor> state = bn.stateDict();
        List<String> keys = new ArrayList<>();
        c.get("state_keys").forEach(k -> keys.add(k.asText()));
        assertEquals(keys, new ArrayList<>(state.keySet()), "state-dict names as PyTorch's");
        for (String k : keys) {
            RefLayers.assertValues(c.get("after").get(k), state.get(k), name + " " + k);
        }
    }

    @Test
    void batchNorm1dOnMatricesMatchesTorch() {
        replay("batch_norm1d_2d", () -> new BatchNorm1d(3), true);
    }

    @Test
    void batchNorm1dOnSequencesMatchesTorch() {
        replay("batch_norm1d_3d", () -> new BatchNorm1d(3, 1e-3, 0.3, true, true), true);
    }

    @Test
    void batchNorm2dWithCumulativeAverageMatchesTorch() {
        replay("batch_norm2d_cumulative", () -> new BatchNorm2d(2, 1e-5, null, true, true), true);
    }

    @Test
    void batchNorm2dWithoutAffineOrRunningStatsMatchesTorch() {
        replay("batch_norm2d_plain", () -> new BatchNorm2d(2, 1e-5, 0.1, false, false), false);
        assertEquals(0, new BatchNorm2d(2, 1e-5, 0.1, false, false).stateDict().size());
    }

    @Test
    void stateDictNamesAreTorchs() {
        assertArrayEquals(RefLayers.stateDictNames("BatchNorm2d"), new BatchNorm2d(3).stateDict().keySet().toArray());
        assertArrayEquals(RefLayers.stateDictNames("BatchNorm1d_untracked"),
                new BatchNorm1d(3, 1e-5, 0.1, true, false).stateDict().keySet().toArray());
        assertArrayEquals(RefLayers.stateDictNames("BatchNorm1d_not_affine"),
                new BatchNorm1d(3, 1e-5, 0.1, false, true).stateDict().keySet().toArray());
        BatchNorm2d bn = new BatchNorm2d(3);
        assertEquals(DType.INT64, bn.numBatchesTracked().dtype());
        assertEquals(0, bn.numBatchesTracked().dim());
        assertEquals("BatchNorm2d(3, eps=1.0E-5, momentum=0.1, affine=True, track_running_stats=True)", bn.toString());
    }

    /** By hand: x = [1, 3] per channel: mean 2, biased var 1, so y = (x - 2) / sqrt(1 + eps) * w + b. */
    @Test
    void handDerivedTrainingStep() {
        BatchNorm1d bn = toFloat64(new BatchNorm1d(2));
        bn.weight().setData(Tensor.tensor(new double[] {2, 1}, DType.FLOAT64, 2));
        bn.bias().setData(Tensor.tensor(new double[] {0.5, 0}, DType.FLOAT64, 2));
        Tensor x = d(shape(2, 2), 1, 10, 3, 14).requiresGrad_();
        Tensor y = bn.call(x);
        double s1 = 1 / Math.sqrt(1 + 1e-5);
        double s2 = 1 / Math.sqrt(4 + 1e-5);
        assertArrayEquals(new double[] {-2 * s1 + 0.5, -2 * s2, 2 * s1 + 0.5, 2 * s2}, y.toArray(), 1e-12);
        // running: 0.9 * 0 + 0.1 * mean; 0.9 * 1 + 0.1 * unbiased var (2 and 8)
        assertArrayEquals(new double[] {0.2, 1.2}, bn.runningMean().toArray(), 1e-12);
        assertArrayEquals(new double[] {0.9 + 0.2, 0.9 + 0.8}, bn.runningVar().toArray(), 1e-12);
        assertEquals(1, bn.numBatchesTracked().item());
        // d sum(y * [1, 0; 0, 0]) / dx: with g = [1, 0] in channel 0, xhat = [-1, 1]:
        // xhat = [-s1, s1]: dx = w s1 (g - mean(g) - xhat mean(g xhat)) = 2 s1 ([0.5, -0.5] - 0.5 s1^2 [1, -1])
        // = s1 (1 - s1^2) [1, -1], and 1 - s1^2 = eps / (1 + eps); channel 1 got no gradient
        y.backward(Tensor.tensor(new double[] {1, 0, 0, 0}, DType.FLOAT64, 2, 2));
        double e = s1 * 1e-5 / (1 + 1e-5);
        assertArrayEquals(new double[] {e, 0, -e, 0}, x.grad().toArray(), 1e-15);
        assertArrayEquals(new double[] {-s1, 0}, bn.weight().grad().toArray(), 1e-12); // sum(g * xhat)
        assertArrayEquals(new double[] {1, 0}, bn.bias().grad().toArray(), 1e-12);
    }

    @Test
    void gradcheckTrainingAndEval() {
        Generator g = new Generator(3);
        Tensor x = Tensor.randn(g, 4, 3, 2).toDouble().requiresGrad_();
        Tensor w = Tensor.randn(g, 3).toDouble().requiresGrad_();
        Tensor b = Tensor.randn(g, 3).toDouble().requiresGrad_();
        Gradcheck.check(in -> F.batchNorm(in[0], null, null, in[1], in[2], true, 0.1, 1e-5), x, w, b);
        Tensor rm = Tensor.randn(g, 3).toDouble();
        Tensor rv = Tensor.rand(g, 3).toDouble().add(0.5);
        Gradcheck.check(in -> F.batchNorm(in[0], rm, rv, in[1], in[2], false, 0.1, 1e-5), x, w, b);
        Tensor x4 = Tensor.randn(g, 3, 2, 2, 2).toDouble().requiresGrad_();
        Gradcheck.check(in -> F.batchNorm(in[0], null, null, null, null, true, 0.1, 1e-5), x4);
        Gradcheck.checkGradGrad(in -> F.batchNorm(in[0], rm, rv, in[1], in[2], false, 0.1, 1e-5), x, w, b);
    }

    @Test
    void badInputsSayWhatWasExpected() {
        assertContains(message(IllegalArgumentException.class, () -> new BatchNorm2d(3).call(Tensor.zeros(2, 3, 4))),
                "expected 4D input (got 3D input");
        assertContains(message(IllegalArgumentException.class, () -> new BatchNorm1d(3).call(Tensor.zeros(2, 4))),
                "BatchNorm1d(3) expects 3 channels in dimension 1", "[2, 4]");
        assertContains(message(IllegalArgumentException.class, () -> new BatchNorm1d(3).call(Tensor.zeros(1, 3))),
                "Expected more than 1 value per channel when training, got input size [1, 3]");
        assertContains(message(IllegalArgumentException.class,
                () -> F.batchNorm(Tensor.zeros(2, 3), null, null, null, null, false, 0.1, 1e-5)),
                "running_mean and running_var must be given when not training");
        assertContains(message(IllegalArgumentException.class,
                () -> F.batchNorm(Tensor.zeros(2, 3), null, null, Tensor.ones(4), null, true, 0.1, 1e-5)),
                "weight should contain 3 elements", "got shape [4]");
        BatchNorm1d one = new BatchNorm1d(3);
        one.eval();
        assertEquals(0, one.call(Tensor.zeros(1, 3)).sum().item(), "eval works on one row");
        assertNull(new BatchNorm1d(3, 1e-5, 0.1, false, true).weight());
    }

    @Test
    void refdataIsTorch113() {
        assertEquals("1.13", RefLayers.torchVersion().substring(0, 4));
    }
}
