package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkgrad.engine.nn.NnAsserts.assertContains;
import static org.sparkgrad.engine.nn.NnAsserts.d;
import static org.sparkgrad.engine.nn.NnAsserts.message;
import static org.sparkgrad.engine.nn.NnAsserts.shape;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Gradcheck;
import org.sparkgrad.engine.RefLayers;
import org.sparkgrad.engine.Tensor;

/** GELU, LeakyReLU and the Softmax module against torch 1.13, gradcheck (and gradgradcheck) and by hand. */
class ActivationLayersTest {
    private static void replay(String name, Module m) {
        JsonNode c = RefLayers.get(name);
        Tensor x = RefLayers.tensor(c, "x", true);
        RefLayers.replay(c, m.call(x), Map.of("x", x));
    }

    @Test
    void matchTorch() {
        replay("gelu_none", new GELU());
        replay("gelu_tanh", new GELU("tanh"));
        replay("leaky_relu_0.2", new LeakyReLU(0.2));
        replay("softmax_dim0", new Softmax(0));
    }

    @Test
    void gradcheckAndGradgradcheck() {
        Tensor x = Tensor.randn(new Generator(5), 3, 4).toDouble().requiresGrad_();
        for (String a : new String[] {"none", "tanh"}) {
            Gradcheck.check(in -> F.gelu(in[0], a), x);
            Gradcheck.checkGradGrad(in -> F.gelu(in[0], a), x);
        }
        Gradcheck.check(in -> F.leakyRelu(in[0], 0.3), x);
        // (leaky_relu's second derivative is 0 everywhere it exists: its gradient does not depend on x)
    }

    /** By hand: gelu(0) = 0 with slope 1/2; gelu(x) ~ x for large x, ~ 0 for very negative x. */
    @Test
    void handDerived() {
        Tensor x = d(shape(4), 0, 1, 8, -8);
        Tensor y = F.gelu(x);
        // Phi(1) = 0.8413447460685429 (the normal CDF), so gelu(1) = Phi(1) and gelu'(1) = Phi(1) + phi(1)
        assertArrayEquals(new double[] {0, 0.8413447460685429, 8, 0}, y.toArray(), 1e-14);
        y.backward(Tensor.onesLike(y));
        double phi1 = Math.exp(-0.5) / Math.sqrt(2 * Math.PI);
        double phi8 = 8 * Math.exp(-32) / Math.sqrt(2 * Math.PI);
        assertArrayEquals(new double[] {0.5, 0.8413447460685429 + phi1, 1 + phi8, -phi8}, x.grad().toArray(), 1e-14);
        assertEquals("GeluBackward0", y.gradFn().name());
        Tensor z = d(shape(3), -2, 0, 3);
        Tensor l = F.leakyRelu(z, 0.1);
        assertArrayEquals(new double[] {-0.2, 0, 3}, l.toArray(), 1e-15);
        l.backward(Tensor.onesLike(l));
        assertArrayEquals(new double[] {0.1, 0.1, 1}, z.grad().toArray(), 0, "the gradient at 0 is the slope, as PyTorch's");
        assertEquals("LeakyReLU(negative_slope=0.01)", new LeakyReLU().toString());
        assertEquals("GELU(approximate='tanh')", new GELU("tanh").toString());
    }

    @Test
    void badArguments() {
        assertContains(message(IllegalArgumentException.class, () -> new GELU("fast")), "must be either none or tanh", "fast");
        assertContains(message(IllegalArgumentException.class, () -> F.gelu(Tensor.ofLongs(1, 2))), "gelu",
                "floating-point input", "int64");
    }
}
