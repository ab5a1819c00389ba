package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkgrad.engine.nn.NnAsserts.assertContains;
import static org.sparkgrad.engine.nn.NnAsserts.assertShape;
import static org.sparkgrad.engine.nn.NnAsserts.assertValues;
import static org.sparkgrad.engine.nn.NnAsserts.message;
import static org.sparkgrad.engine.nn.NnAsserts.shape;
import static org.sparkgrad.engine.nn.NnAsserts.t;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/**
 * The layers and {@link Sequential}: values and gradients against PyTorch 1.13 with the same weights,
 * default initialisation, state dicts and printouts. Expected values were recorded from torch 1.13 with
 * the snippet quoted above each test (W, b, x as defined in {@link #W()}, {@link #B()}, {@link #X()}).
 */
class NnTest {
    /** {@code W = torch.tensor([[0.5, -0.25], [0.1, 0.2], [-0.3, 0.4]])}. */
    static Tensor W() {
        return t(shape(3, 2), 0.5, -0.25, 0.1, 0.2, -0.3, 0.4);
    }

    /** {@code b = torch.tensor([0.05, -0.1, 0.2])}. */
    static Tensor B() {
        return t(shape(3), 0.05, -0.1, 0.2);
    }

    /** {@code x = torch.tensor([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7], [2.0, 1.5]])}. */
    static Tensor X() {
        return t(shape(4, 2), 1.0, 2.0, -1.0, 0.5, 0.3, -0.7, 2.0, 1.5);
    }

    static Linear linear(Tensor w, Tensor b) {
        Linear lin = new Linear(w.size(1), w.size(0), b != null);
        try (GradMode.Scope s = GradMode.noGrad()) {
            lin.weight().copy_(w);
            if (b != null) {
                lin.bias().copy_(b);
            }
        }
        return lin;
    }

    // =====================================================================================================
    // Linear

    /**
     * {@code lin = nn.Linear(2, 3)} with W, b copied in; {@code y = lin(x); y.backward(g)}.
     */
    @Test
    void linearForwardAndBackwardMatchTorch() {
        Linear lin = linear(W(), B());
        Tensor y = lin.forward(X());
        assertShape(y, 4, 3);
        assertValues(y, 0.05000000074505806, 0.4000000059604645, 0.699999988079071, -0.574999988079071, -0.10000000149011612,
                0.699999988079071, 0.375, -0.21000000834465027, -0.17000000178813934, 0.675000011920929, 0.4000000059604645,
                0.19999998807907104);
        Tensor g = t(shape(4, 3), 1, 2, 3, 4, 5, 6, -1, -2, -3, 0.5, 0.25, 0.125);
        y.backward(g);
        assertValues(lin.weight().grad(), -2.299999952316284, 5.449999809265137, -3.0999999046325684, 8.274999618530273,
                -3.6500000953674316, 11.287500381469727);
        assertValues(lin.bias().grad(), 4.5, 5.25, 6.125);
    }

    /** {@code lin(torch.arange(8.).reshape(2, 2, 2) / 4 - 1)}, {@code lin(torch.tensor([1.0, -2.0]))}, and without bias. */
    @Test
    void linearTakesAnyLeadingShape() {
        Linear lin = linear(W(), B());
        Tensor y3 = lin.forward(Tensor.arange(8).reshape(2, 2, 2).div(4).sub(1));
        assertShape(y3, 2, 2, 3);
        assertValues(y3, -0.26249998807907104, -0.3499999940395355, 0.20000001788139343, -0.13750000298023224,
                -0.20000000298023224, 0.25, -0.01249999925494194, -0.05000000074505806, 0.30000001192092896,
                0.11249999701976776, 0.10000000149011612, 0.3500000238418579);
        Tensor y1 = lin.forward(Tensor.of(1.0, -2.0));
        assertShape(y1, 3);
        assertValues(y1, 1.0499999523162842, -0.4000000059604645, -0.9000000357627869);

        Linear noBias = linear(W(), null);
        assertNull(noBias.bias());
        assertEquals(List.of("weight"), new ArrayList<>(noBias.namedParameters().keySet()));
        assertValues(noBias.forward(X()), 0.0, 0.5, 0.5, -0.625, 0.0, 0.5, 0.32499998807907104, -0.10999999940395355,
                -0.3700000047683716, 0.625, 0.5, -1.4901161193847656e-08);
    }

    @Test
    void linearRegistersWeightAndBiasAsParameters() {
        Linear lin = new Linear(2, 3);
        assertEquals(List.of("weight", "bias"), new ArrayList<>(lin.namedParameters().keySet()));
        assertSame(lin.weight(), lin.namedParameters().get("weight"));
        assertSame(lin.bias(), lin.namedParameters().get("bias"));
        assertShape(lin.weight(), 3, 2);
        assertShape(lin.bias(), 3);
        assertTrue(lin.weight().requiresGrad() && lin.weight().isLeaf());
        assertEquals(DType.FLOAT32, lin.weight().dtype());
        assertEquals(2, lin.inFeatures());
        assertEquals(3, lin.outFeatures());
    }

    @Test
    void linearDefaultInitIsUniformWithinOneOverSqrtInFeatures() {
        Linear lin = new Linear(100, 50, true, new Generator(1));
        double bound = 1 / Math.sqrt(100);
        // kaiming_uniform_(a=sqrt(5)) on the weight: U(-1/sqrt(in), 1/sqrt(in)), checked by range, spread and moments.
        NnAsserts.assertUniform(lin.weight(), bound);
        double[] b = NnAsserts.stats(lin.bias());
        assertTrue(b[0] >= -bound && b[1] <= bound && b[1] > b[0], "bias in [-0.1, 0.1], got [" + b[0] + ", " + b[1] + "]");
        // Zero in-features: nothing to draw for the weight, and PyTorch's bias bound is 0.
        Linear empty = new Linear(0, 3);
        assertValues(empty.bias(), 0, 0, 0);
    }

    @Test
    void linearInitIsReproducibleFromASeed() {
        Linear a = new Linear(4, 3, true, new Generator(42));
        Linear b = new Linear(4, 3, true, new Generator(42));
        Linear c = new Linear(4, 3, true, new Generator(43));
        assertTrue(a.weight().equal(b.weight()) && a.bias().equal(b.bias()));
        assertFalse(a.weight().equal(c.weight()));
        // The default generator is used when none is given, and reseeding it repeats the draws.
        Generator.manualSeedAll(7);
        Linear d = new Linear(4, 3);
        Generator.manualSeedAll(7);
        Linear e = new Linear(4, 3);
        assertTrue(d.weight().equal(e.weight()) && d.bias().equal(e.bias()));
        // resetParameters draws again.
        Tensor before = a.weight().clone();
        a.resetParameters(new Generator(42));
        assertTrue(a.weight().equal(before));
        a.resetParameters(new Generator(5));
        assertFalse(a.weight().equal(before));
    }

    @Test
    void linearRejectsWrongInputWidthNamingBothShapes() {
        Linear lin = new Linear(100, 10);
        String m = message(IllegalArgumentException.class, () -> lin.forward(Tensor.zeros(64, 1000)));
        assertContains(m, "mat1 and mat2 shapes cannot be multiplied (64x1000 and 100x10)", "[64, 1000]", "[10, 100]");
        String m3 = message(IllegalArgumentException.class, () -> lin.forward(Tensor.zeros(2, 3, 4)));
        assertContains(m3, "(6x4 and 100x10)", "[2, 3, 4]");
        String m0 = message(IllegalArgumentException.class, () -> lin.forward(Tensor.scalar(1)));
        assertContains(m0, "at least 1D");
        String md = message(IllegalArgumentException.class, () -> lin.forward(Tensor.zeros(DType.FLOAT64, 2, 100)));
        assertContains(md, "same dtype", "float64 input", "float32 weight");
        assertContains(message(IllegalArgumentException.class, () -> new Linear(-1, 2)), "in_features=-1");
    }

    @Test
    void linearPrintout() {
        assertEquals("Linear(in_features=2, out_features=1, bias=True)", new Linear(2, 1).toString());
        assertEquals("Linear(in_features=2, out_features=3, bias=False)", new Linear(2, 3, false).toString());
    }

    // =====================================================================================================
    // Activations and Flatten

    /** {@code v = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0]); nn.ReLU()(v), nn.Sigmoid()(v), nn.Tanh()(v)}. */
    @Test
    void activationsMatchTorch() {
        Tensor v = Tensor.of(-2.0, -0.5, 0.0, 0.5, 3.0);
        assertValues(new ReLU().forward(v), 0.0, 0.0, 0.0, 0.5, 3.0);
        assertValues(new Sigmoid().forward(v), 0.11920291930437088, 0.3775406777858734, 0.5, 0.622459352016449,
                0.9525741338729858);
        assertValues(new Tanh().forward(v), -0.9640275835990906, -0.46211716532707214, 0.0, 0.46211716532707214,
                0.9950547814369202);
        assertTrue(new ReLU().parameters().isEmpty());
        assertEquals("ReLU()", new ReLU().toString());
        assertEquals("Sigmoid()", new Sigmoid().toString());
        assertEquals("Tanh()", new Tanh().toString());
    }

    @Test
    void flattenKeepsTheBatchDimensionByDefault() {
        Tensor x = Tensor.arange(24).reshape(2, 3, 2, 2);
        Tensor y = new Flatten().forward(x);
        assertShape(y, 2, 12);
        assertTrue(y.equal(x.reshape(2, 12)));
        assertShape(new Flatten(0, 2).forward(x), 12, 2);
        assertShape(new Flatten(-2, -1).forward(x), 2, 3, 4);
        assertEquals("Flatten(start_dim=1, end_dim=-1)", new Flatten().toString());
        assertEquals("Flatten(start_dim=0, end_dim=2)", new Flatten(0, 2).toString());
        // Gradients flow back in the input's shape.
        Tensor leaf = Tensor.ones(2, 3, 2).requiresGrad_();
        new Flatten().forward(leaf).sum().backward();
        assertShape(leaf.grad(), 2, 3, 2);
    }

    // =====================================================================================================
    // Sequential

    /** {@code W2 = torch.tensor([[0.3, -0.6, 0.9]]); b2 = torch.tensor([0.1])}. */
    static Sequential mlp() {
        Sequential net = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1), new Sigmoid());
        try (GradMode.Scope s = GradMode.noGrad()) {
            net.get(0, Linear.class).weight().copy_(W());
            net.get(0, Linear.class).bias().copy_(B());
            net.get(2, Linear.class).weight().copy_(t(shape(1, 3), 0.3, -0.6, 0.9));
            net.get(2, Linear.class).bias().copy_(Tensor.of(0.1));
        }
        return net;
    }

    /**
     * {@code net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())} with W, b, W2, b2
     * copied in; {@code out = net(x); out.sum().backward()}.
     */
    @Test
    void sequentialForwardAndBackwardMatchTorch() {
        Sequential net = mlp();
        Tensor out = net.forward(X());
        assertShape(out, 4, 1);
        assertValues(out, 0.623633623123169, 0.674805223941803, 0.5529259443283081, 0.5603296756744385);
        out.sum().backward();
        assertValues(net.get(0, Linear.class).weight().grad(), 0.2404785305261612, 0.19977924227714539, -0.43646126985549927,
                -0.5033820271492004, 0.4571930170059204, 0.8538223505020142);
        assertValues(net.get(0, Linear.class).bias().grad(), 0.21848218142986298, -0.28864505887031555, 0.6304663419723511);
        assertValues(net.get(2, Linear.class).weight().grad(), 0.27072852849960327, 0.1924300193786621, 0.36718255281448364);
        assertValues(net.get(2, Linear.class).bias().grad(), 0.9477170705795288);
        net.zeroGrad();
        assertNull(net.get(0, Linear.class).weight().grad());
    }

    @Test
    void sequentialIndexingAndIteration() {
        Linear first = new Linear(2, 3);
        ReLU relu = new ReLU();
        Sequential net = new Sequential(first, relu);
        assertEquals(2, net.size());
        assertSame(first, net.get(0));
        assertSame(relu, net.get(-1));
        assertSame(first, net.get(0, Linear.class));
        assertSame(first.weight(), ((Linear) net.get(0)).weight());
        Linear last = new Linear(3, 1);
        assertSame(net, net.add(last));
        assertEquals(3, net.size());
        assertSame(last, net.get(2));
        List<Module> seen = new ArrayList<>();
        net.forEach(seen::add);
        assertEquals(List.of(first, relu, last), seen);
        assertEquals(List.of("0", "1", "2"), new ArrayList<>(net.namedChildren().keySet()));

        assertContains(message(IndexOutOfBoundsException.class, () -> net.get(3)), "index 3 is out of range", "3 layers");
        assertContains(message(IndexOutOfBoundsException.class, () -> net.get(-4)), "index -4 is out of range");
        assertContains(message(ClassCastException.class, () -> net.get(1, Linear.class)), "layer 1", "ReLU", "not a Linear");
        assertContains(message(IllegalArgumentException.class, () -> net.add(null)), "can't be null");
        // An empty Sequential passes its input through.
        Tensor x = Tensor.of(1, 2);
        assertSame(x, new Sequential().forward(x));
    }

    @Test
    void sequentialStateDictKeysAndRoundTrip() {
        Sequential net = mlp();
        Map<String, Tensor> state = net.stateDict();
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), new ArrayList<>(state.keySet()));
        assertEquals(4, net.parameters().size());

        Sequential other = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1), new Sigmoid());
        assertFalse(other.forward(X()).allclose(net.forward(X())));
        other.loadStateDict(state);
        assertTrue(other.forward(X()).equal(net.forward(X())));
        // A copy, not an alias: the loaded parameters are still the model's own.
        assertFalse(other.get(0, Linear.class).weight() == net.get(0, Linear.class).weight());
        assertTrue(other.get(0, Linear.class).weight().requiresGrad());
    }

    @Test
    void loadStateDictWithAWrongShapeFailsAndLeavesTheModelUnchanged() {
        Sequential net = mlp();
        Map<String, Tensor> before = new LinkedHashMap<>();
        net.stateDict().forEach((k, v) -> before.put(k, v.clone()));
        Map<String, Tensor> bad = new LinkedHashMap<>();
        bad.put("0.weight", Tensor.ones(3, 2));           // fine, listed first: must not be copied either
        bad.put("0.bias", Tensor.ones(3));
        bad.put("2.weight", Tensor.ones(3, 1));           // wrong shape
        bad.put("2.bias", Tensor.ones(1));
        String m = message(IllegalArgumentException.class, () -> net.loadStateDict(bad));
        assertContains(m, "size mismatch for 2.weight", "[3, 1]", "[1, 3]");
        net.stateDict().forEach((k, v) -> assertTrue(v.equal(before.get(k)), k + " changed"));
    }

    @Test
    void sequentialPrintoutMatchesTorch() {
        assertEquals("Sequential(\n  (0): Linear(in_features=2, out_features=1, bias=True)\n)",
                new Sequential(new Linear(2, 1)).toString());
        // print(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())) in torch 1.13:
        assertEquals("Sequential(\n"
                + "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
                + "  (1): ReLU()\n"
                + "  (2): Linear(in_features=3, out_features=1, bias=True)\n"
                + "  (3): Sigmoid()\n"
                + ")", mlp().toString());
        assertEquals("Sequential(\n  (0): Sequential(\n    (0): Tanh()\n    (1): Flatten(start_dim=1, end_dim=-1)\n  )\n)",
                new Sequential(new Sequential(new Tanh(), new Flatten())).toString());
        assertEquals("Sequential()", new Sequential().toString());
    }
}
