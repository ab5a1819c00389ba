package org.sparkgrad.engine.nn.utils;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.RefBasics;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Parameter;

/** clipGradNorm_ and clipGradValue_ against torch 1.13 (refdata/basics.json, "clip"). */
class ClipGradTest {
    private static final double[] G1 = {0.3, -1.2, 0.5, 2.0, -0.1, 0.0};
    private static final double[] G2 = {-0.7, 0.25, 1.5, -3.0};

    /** p1 [2, 3] and p2 [4] with the recorded gradients, p3 [2] without one. */
    private static List<Parameter> params(DType dtype) {
        Parameter p1 = new Parameter(Tensor.zeros(dtype, 2, 3));
        Parameter p2 = new Parameter(Tensor.zeros(dtype, 4));
        Parameter p3 = new Parameter(Tensor.zeros(dtype, 2));
        p1.setGrad(Tensor.tensor(G1, dtype, 2, 3));
        p2.setGrad(Tensor.tensor(G2, dtype, 4));
        return List.of(p1, p2, p3);
    }

    private static double[] grads(List<Parameter> ps) {
        double[] a = ps.get(0).grad().toArray();
        double[] b = ps.get(1).grad().toArray();
        double[] out = new double[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void clipByNormMatchesTorch() {
        for (String name : List.of("l2", "l2_float32", "l2_no_clip", "l1", "inf", "inf_float32", "p3", "p0_5")) {
            JsonNode c = RefBasics.get("clip", name);
            DType dtype = c.get("dtype").asText().equals("torch.float32") ? DType.FLOAT32 : DType.FLOAT64;
            double tol = dtype == DType.FLOAT32 ? 1e-6 : 1e-14;
            List<Parameter> ps = params(dtype);
            Tensor g1 = ps.get(0).grad();
            Tensor total = ClipGrad.clipGradNorm_(ps, c.get("max_norm").asDouble(), c.get("norm_type").asDouble());
            assertEquals(dtype, total.dtype(), name);
            assertEquals(0, total.dim(), name);
            assertEquals(c.get("total_norm").asDouble(), total.item(), tol * Math.abs(c.get("total_norm").asDouble()), name);
            assertArrayEquals(RefBasics.doubles(c.get("grads")), grads(ps), tol * 4, name);
            assertSame(g1, ps.get(0).grad(), "clipped in place");
            assertNull(ps.get(2).grad(), "no gradient stays no gradient");
        }
    }

    @Test
    void nonFiniteNorm() {
        Parameter p = new Parameter(Tensor.zeros(DType.FLOAT64, 2));
        p.setGrad(Tensor.tensor(new double[] {1.0, Double.POSITIVE_INFINITY}, DType.FLOAT64, 2));
        IllegalStateException ex = assertThrows(IllegalStateException.class,
                () -> ClipGrad.clipGradNorm_(List.of(p), 1.0, 2.0, true));
        assertEquals(RefBasics.section("clip").get("nonfinite_error").asText(), ex.getMessage());
        assertArrayEquals(new double[] {1.0, Double.POSITIVE_INFINITY}, p.grad().toArray(), "unchanged on error");
        // Allowed by default, as in PyTorch: scaled by max_norm / inf = 0 (and inf * 0 = NaN).
        Tensor total = ClipGrad.clipGradNorm_(List.of(p), 1.0);
        assertEquals(Double.POSITIVE_INFINITY, total.item());
        assertEquals(0.0, p.grad().toArray()[0]);
        assertTrue(Double.isNaN(p.grad().toArray()[1]));
    }

    @Test
    void noGradientsGiveZero() {
        Tensor total = ClipGrad.clipGradNorm_(List.of(new Parameter(Tensor.zeros(3))), 1.0);
        assertEquals(0.0, total.item());
    }

    @Test
    void clipByValueMatchesTorch() {
        for (String name : List.of("value_0_5", "value_1_3")) {
            JsonNode c = RefBasics.get("clip", name);
            List<Parameter> ps = params(DType.FLOAT64);
            ClipGrad.clipGradValue_(ps, c.get("clip_value").asDouble());
            assertArrayEquals(RefBasics.doubles(c.get("grads")), grads(ps), 0.0, name);
            assertNull(ps.get(2).grad());
        }
    }
}
