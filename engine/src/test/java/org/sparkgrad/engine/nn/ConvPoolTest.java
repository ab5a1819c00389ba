package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkgrad.engine.nn.NnAsserts.assertContains;
import static org.sparkgrad.engine.nn.NnAsserts.assertUniform;
import static org.sparkgrad.engine.nn.NnAsserts.d;
import static org.sparkgrad.engine.nn.NnAsserts.message;
import static org.sparkgrad.engine.nn.NnAsserts.shape;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Autograd;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Gradcheck;
import org.sparkgrad.engine.RefLayers;
import org.sparkgrad.engine.Tensor;

/** Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d against torch 1.13, gradcheck and by hand. */
class ConvPoolTest {
    /** An option recorded as an int or a pair, or the default. */
    private static int[] pair(JsonNode c, String name, int dflt) {
        JsonNode o = c.get("options").get(name);
        if (o == null) {
            return new int[] {dflt, dflt};
        }
        return o.isArray() ? new int[] {o.get(0).asInt(), o.get(1).asInt()} : new int[] {o.asInt(), o.asInt()};
    }

    private static boolean flag(JsonNode c, String name, boolean dflt) {
        JsonNode o = c.get("options").get(name);
        return o == null ? dflt : o.asBoolean();
    }

    @Test
    void convolutionsMatchTorch() {
        for (String name : new String[] {"conv_pad1", "conv_stride_dilation", "conv_groups", "conv_unbatched"}) {
            JsonNode c = RefLayers.get(name);
            Map<String, Tensor> leaves = new HashMap<>();
            Tensor x = RefLayers.tensor(c, "x", true);
            Tensor w = RefLayers.tensor(c, "weight", true);
            Tensor b = RefLayers.has(c, "bias") ? RefLayers.tensor(c, "bias", true) : null;
            leaves.put("x", x);
            leaves.put("weight", w);
            if (b != null) {
                leaves.put("bias", b);
            }
            JsonNode groups = c.get("options").get("groups");
            Tensor out = F.conv2d(x, w, b, pair(c, "stride", 1), pair(c, "padding", 0), pair(c, "dilation", 1),
                    groups == null ? 1 : groups.asInt());
            if (x.dim() == 3) {
                // unbatched: PyTorch's last op is the squeeze of the batched result
                assertEquals("SqueezeBackward1", out.gradFn().name());
                RefLayers.assertTensor(c.get("output"), out, name);
                out.backward(RefLayers.tensor(c, "grad_output", false));
                RefLayers.assertValues(c.get("grads").get("x"), x.grad(), name + " grad x");
                RefLayers.assertValues(c.get("grads").get("weight"), w.grad(), name + " grad weight");
                RefLayers.assertValues(c.get("grads").get("bias"), b.grad(), name + " grad bias");
            } else {
                RefLayers.replay(c, out, leaves);
            }
        }
    }

    @Test
    void poolingsMatchTorch() {
        for (String name : new String[] {"max_pool_k3s2p1", "max_pool_dilation_ceil", "avg_pool_include_pad",
                "avg_pool_exclude_pad_ceil", "adaptive_avg_3x2", "adaptive_avg_4x4"}) {
            JsonNode c = RefLayers.get(name);
            Tensor x = RefLayers.tensor(c, "x", true);
            Module m;
            if (name.startsWith("max")) {
                m = new MaxPool2d(pair(c, "kernel_size", 0), pair(c, "stride", 0), pair(c, "padding", 0),
                        pair(c, "dilation", 1), flag(c, "ceil_mode", false));
            } else if (name.startsWith("avg")) {
                m = new AvgPool2d(pair(c, "kernel_size", 0), pair(c, "stride", 0), pair(c, "padding", 0),
                        flag(c, "ceil_mode", false), flag(c, "count_include_pad", true));
            } else {
                int[] o = pair(c, "output_size", 0);
                m = new AdaptiveAvgPool2d(o[0], o[1]);
            }
            RefLayers.replay(c, m.call(x), Map.of("x", x));
        }
    }

    @Test
    void gradcheckConvolution() {
        Generator g = new Generator(4);
        Tensor x = Tensor.randn(g, 2, 4, 5, 4).toDouble().requiresGrad_();
        Tensor w = Tensor.randn(g, 6, 2, 3, 2).toDouble().requiresGrad_();
        Tensor b = Tensor.randn(g, 6).toDouble().requiresGrad_();
        Gradcheck.check(in -> F.conv2d(in[0], in[1], in[2], new int[] {2, 1}, new int[] {1, 1}, new int[] {1, 2}, 2), x, w, b);
        Tensor x1 = Tensor.randn(g, 1, 2, 4, 4).toDouble().requiresGrad_();
        Tensor w1 = Tensor.randn(g, 2, 2, 2, 2).toDouble().requiresGrad_();
        Gradcheck.checkGradGrad(in -> F.conv2d(in[0], in[1], null, new int[] {1, 1}, new int[] {1, 0}, new int[] {1, 1}, 1),
                x1, w1);
    }

    @Test
    void gradcheckPoolings() {
        Generator g = new Generator(6);
        Tensor x = Tensor.randn(g, 2, 2, 5, 6).toDouble().requiresGrad_();
        Gradcheck.check(in -> F.maxPool2d(in[0], new int[] {3, 2}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 2}, true), x);
        Gradcheck.check(in -> F.avgPool2d(in[0], new int[] {3, 3}, new int[] {2, 1}, new int[] {1, 1}, true, false), x);
        Gradcheck.check(in -> F.adaptiveAvgPool2d(in[0], 3, 4), x);
        // Pooling is piecewise linear in x: its second derivative is the backward's derivative in the output
        // gradient v. With create_graph, d/dv sum(u * (dy/dx)^T v) = P u, P the pooling: the average of u, and u at
        // each window's maximum of x.
        Tensor u = Tensor.randn(g, 2, 2, 5, 6).toDouble();
        Tensor v = Tensor.randn(g, 2, 2, 2, 3).toDouble().requiresGrad_();
        Tensor y = F.avgPool2d(x, 2);
        Tensor gx = Autograd.grad(new Tensor[] {y}, new Tensor[] {x}, new Tensor[] {v}, true, true, false)[0];
        Tensor gv = Autograd.grad(gx.mul(u).sum(), v)[0];
        assertArrayEquals(F.avgPool2d(u, 2).toArray(), gv.toArray(), 1e-12);
        Tensor m = F.maxPool2d(x, 2);
        Tensor gmx = Autograd.grad(new Tensor[] {m}, new Tensor[] {x}, new Tensor[] {v}, true, true, false)[0];
        Tensor gmv = Autograd.grad(gmx.mul(u).sum(), v)[0];
        Tensor up = m.detach().view(2, 2, 2, 1, 3, 1).expand(2, 2, 2, 2, 3, 2).reshape(2, 2, 4, 6);
        Tensor atMax = x.detach().narrow(2, 0, 4).eq(up);
        Tensor picked = Tensor.where(atMax, u.narrow(2, 0, 4), 0.0);
        assertArrayEquals(F.avgPool2d(picked, 2).mul(4).toArray(), gmv.toArray(), 1e-12);
    }

    /** By hand: a 2x2 kernel of ones sums each 2x2 window; its weight gradient (g = 1) sums the windows' inputs. */
    @Test
    void handDerivedConvolution() {
        Tensor x = d(shape(1, 1, 3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
        Tensor w = d(shape(1, 1, 2, 2), 1, 1, 1, 1);
        Tensor b = d(shape(1), 0.5);
        Tensor y = F.conv2d(x, w, b);
        assertArrayEquals(new double[] {12.5, 16.5, 24.5, 28.5}, y.toArray(), 1e-12);
        y.sum().backward();
        // each input counted once per window covering it
        assertArrayEquals(new double[] {1, 2, 1, 2, 4, 2, 1, 2, 1}, x.grad().toArray(), 1e-12);
        // d/dw[i][j] = sum over windows of the tap's input: taps (0,0): 1+2+4+5, (0,1): 2+3+5+6, ...
        assertArrayEquals(new double[] {12, 16, 24, 28}, w.grad().toArray(), 1e-12);
        assertArrayEquals(new double[] {4}, b.grad().toArray(), 1e-12);
        // padding 1 with stride 2: the corner windows see mostly zeros
        Tensor p = F.conv2d(x.detach(), w.detach(), null, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, 1);
        assertArrayEquals(new double[] {1, 5, 11, 28}, p.toArray(), 1e-12);
    }

    /** By hand: the gradient of a max pool goes to the first maximum of each window (ties included). */
    @Test
    void handDerivedPooling() {
        Tensor x = d(shape(1, 1, 2, 4), 5, 5, 1, 2, 0, 3, 4, 4);
        Tensor y = F.maxPool2d(x, 2);
        assertArrayEquals(new double[] {5, 4}, y.toArray(), 0);
        y.sum().backward();
        assertArrayEquals(new double[] {1, 0, 0, 0, 0, 0, 1, 0}, x.grad().toArray(), 0);
        Tensor a = F.avgPool2d(x.detach(), new int[] {2, 2}, new int[] {2, 2}, new int[] {1, 1}, false, true);
        // windows with padding: [pad pad; pad 5] / 4 ...
        assertArrayEquals(new double[] {5 / 4.0, 6 / 4.0, 2 / 4.0, 0, 7 / 4.0, 4 / 4.0}, a.toArray(), 1e-12);
        Tensor e = F.avgPool2d(x.detach(), new int[] {2, 2}, new int[] {2, 2}, new int[] {1, 1}, false, false);
        assertArrayEquals(new double[] {5, 3, 2, 0, 3.5, 4}, e.toArray(), 1e-12);
        Tensor ad = F.adaptiveAvgPool2d(x.detach(), 1, 3);
        // columns [0, 2), [1, 3), [2, 4): means of 5 5 0 3, 5 1 3 4, 1 2 4 4
        assertArrayEquals(new double[] {13 / 4.0, 13 / 4.0, 11 / 4.0}, ad.toArray(), 1e-12);
        assertEquals("MeanBackward1", F.adaptiveAvgPool2d(x, 1, 1).gradFn().name(), "as PyTorch's for 1 x 1");
        // NaN propagates and takes the gradient, as in torch 1.13: max_pool2d([[1, nan, 3, 4], [5, 6, 7, 8]], 2)
        Tensor withNan = d(shape(1, 1, 2, 4), 1, Double.NaN, 3, 4, 5, 6, 7, 8);
        Tensor yn = F.maxPool2d(withNan, 2);
        assertArrayEquals(new double[] {Double.NaN, 8}, yn.toArray(), 0);
        yn.sum().backward();
        assertArrayEquals(new double[] {0, 1, 0, 0, 0, 0, 0, 1}, withNan.grad().toArray(), 0);
        assertArrayEquals(new int[] {1, 1, 1}, F.adaptiveAvgPool2d(x.detach().squeeze(0), 1, 1).shape(), "unbatched");
    }

    @Test
    void conv2dModuleInitAndStateDict() {
        Conv2d conv = new Conv2d(4, 8, new int[] {3, 5}, new int[] {1, 1}, new int[] {1, 2}, new int[] {1, 1}, 2, true,
                new Generator(1));
        assertArrayEquals(RefLayers.stateDictNames("Conv2d"), conv.stateDict().keySet().toArray());
        assertArrayEquals(RefLayers.stateDictNames("Conv2d_nobias"), new Conv2d(2, 3, new int[] {3, 3}, new int[] {1, 1},
                new int[] {0, 0}, new int[] {1, 1}, 1, false, new Generator(1)).stateDict().keySet().toArray());
        assertArrayEquals(new int[] {8, 2, 3, 5}, conv.weight().shape());
        double bound = 1 / Math.sqrt(2 * 3 * 5);
        Conv2d big = new Conv2d(64, 64, new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1, true,
                new Generator(2));
        assertUniform(big.weight(), 1 / Math.sqrt(64 * 9));
        double[] bias = conv.bias().toArray();
        for (double v : bias) {
            assertEquals(0, v, bound);
        }
        assertArrayEquals(new int[] {3, 8, 6, 3}, conv.call(Tensor.zeros(3, 4, 6, 3)).shape());
        assertEquals("Conv2d(4, 8, kernel_size=(3, 5), stride=(1, 1), padding=(1, 2), groups=2)", conv.toString());
        assertArrayEquals(conv.weight().toArray(), new Conv2d(4, 8, new int[] {3, 5}, new int[] {1, 1}, new int[] {1, 2},
                new int[] {1, 1}, 2, true, new Generator(1)).weight().toArray(), "the same seed gives the same weights");
        assertEquals("MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=False)",
                new MaxPool2d(2).toString());
    }

    @Test
    void float32MatchesFloat64() {
        Generator g = new Generator(8);
        Tensor x = Tensor.randn(g, 2, 3, 6, 6);
        Conv2d conv = new Conv2d(3, 4, 3);
        Tensor y32 = new MaxPool2d(2).call(conv.call(x));
        Tensor y64 = F.maxPool2d(F.conv2d(x.toDouble(), conv.weight().toDouble(), conv.bias().toDouble()), 2);
        assertEquals(DType.FLOAT32, y32.dtype());
        assertArrayEquals(y64.toArray(), y32.toArray(), 1e-5);
    }

    @Test
    void badArguments() {
        Tensor w = Tensor.zeros(4, 3, 3, 3);
        assertContains(message(IllegalArgumentException.class, () -> F.conv2d(Tensor.zeros(2, 5, 6, 5), w, null)),
                "Given groups=1, weight of size [4, 3, 3, 3], expected input[2, 5, 6, 5] to have 3 channels, but got 5");
        assertContains(message(IllegalArgumentException.class, () -> F.conv2d(Tensor.zeros(2, 3), w, null)),
                "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]");
        assertContains(message(IllegalArgumentException.class, () -> F.conv2d(Tensor.zeros(1, 3, 2, 2), w, null)),
                "Kernel size can't be greater than actual input size");
        assertContains(message(IllegalArgumentException.class, () -> F.conv2d(Tensor.zeros(1, 3, 4, 4), w,
                Tensor.zeros(3))), "bias must have shape [4]");
        assertContains(message(IllegalArgumentException.class, () -> F.conv2d(Tensor.zeros(1, 3, 4, 4), w, null,
                new int[] {0, 1}, new int[] {0, 0}, new int[] {1, 1}, 1)), "stride must be {height, width} with both >= 1");
        assertContains(message(IllegalArgumentException.class, () -> F.maxPool2d(Tensor.zeros(1, 1, 4, 4),
                new int[] {2, 2}, null, new int[] {2, 0}, new int[] {1, 1}, false)), "pad should be smaller than or equal to half");
        assertContains(message(IllegalArgumentException.class, () -> F.avgPool2d(Tensor.zeros(1, 1, 1, 4), 2)),
                "Output size is too small");
        assertContains(message(IllegalArgumentException.class, () -> new Conv2d(3, 4, new int[] {3, 3}, new int[] {1, 1},
                new int[] {0, 0}, new int[] {1, 1}, 2, true, new Generator(1))), "must be divisible by groups");
    }
}
