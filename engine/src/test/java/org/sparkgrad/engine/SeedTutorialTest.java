package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The tensor/autograd cells of the seed tutorials ({@code src/test/resources/seeds/*.txt}, Chinese PyTorch
 * autograd tutorials) replayed on the engine. Cells that need nn, optim, DataLoader, mxnet or matplotlib are
 * left out. Printed tensors are compared with PyTorch's printout exactly: the seed's own output where it
 * shows one, otherwise the output of PyTorch 1.13 running the same cell (noted as "recorded from PyTorch").
 * Where a seed draws random inputs, the engine's seeded {@link Generator} draws them and the test asserts
 * the relation the cell demonstrates.
 */
class SeedTutorialTest {

    private static void assertPrints(String expected, Tensor t) {
        assertEquals(expected, t.toString());
    }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (double v : t.toArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    // =====================================================================================================
    // 000_082276edcb212ab2.txt: "autograd机制"

    /** fn(x) = 3 * x.pow(3) + 4 * x.pow(2) + 6, as in the seed's cell In [2]. */
    private static Tensor fn(Tensor x) {
        return x.pow(3).mul(3).add(x.pow(2).mul(4)).add(6);
    }

    // Seed 000, In [2]-[4]: x1 = Variable(torch.Tensor([1]), requires_grad=True); y1 = fn(x1); print(y1)
    // -> 13; y1.backward(); x1.grad -> 17. (The seed shows the old "Variable containing:" format; the
    // expected strings are today's printout, recorded from PyTorch 1.13.)
    @Test
    void cubicPolynomialAtOneIs13WithGradient17() {
        Tensor x1 = Tensor.of(1.0).requiresGrad_();
        Tensor y1 = fn(x1);
        assertPrints("tensor([13.], grad_fn=<AddBackward0>)", y1);
        assertEquals(13.0, y1.item());
        y1.backward();
        assertPrints("tensor([17.])", x1.grad());
        assertEquals(17.0, x1.grad().item()); // 9x^2 + 8x at x = 1
    }

    // Seed 000, In [5]-[6]: x2 = Variable(torch.Tensor([[1, 2], [3, 4]]), requires_grad=True);
    // y2 = fn(x2).mean(); y2.backward(); x2.grad -> [[4.25, 13], [26.25, 44]]
    @Test
    void cubicPolynomialMeanOnMatrixGivesQuarterOfDerivative() {
        Tensor x2 = Tensor.tensor(new double[][] {{1, 2}, {3, 4}}).requiresGrad_();
        Tensor y2 = fn(x2).mean();
        assertPrints("tensor(111., grad_fn=<MeanBackward0>)", y2); // (13 + 38 + 123 + 262) / 4
        y2.backward();
        // (9x^2 + 8x) / 4
        assertArrayEquals(new double[] {4.25, 13, 26.25, 44}, x2.grad().toArray());
        assertPrints("tensor([[ 4.2500, 13.0000],\n        [26.2500, 44.0000]])", x2.grad());
    }

    // Seed 000, text after In [4]: "如果不将Y的值变成标量，就会报错。（可以尝试把mean()给取消，看看是不是报错了）"
    // i.e. fn(x2).backward() without mean() fails.
    @Test
    void backwardOnNonScalarWithoutGradientFails() {
        Tensor x2 = Tensor.tensor(new double[][] {{1, 2}, {3, 4}}).requiresGrad_();
        Tensor y = fn(x2);
        RuntimeException e = assertThrows(RuntimeException.class, y::backward);
        assertEquals("grad can be implicitly created only for scalar outputs", e.getMessage());
        assertNull(x2.grad());
    }

    // Seed 000, In [None]: the two-layer network with hand-written backpropagation
    // (M, input_size, hidden_size, output_size = 64, 1000, 100, 10; ReLU via clamp(min=0)).
    private static final int M = 64;
    private static final int IN = 1000;
    private static final int HIDDEN = 100;
    private static final int OUT = 10;

    /** model(x, parameters) of the seed: returns {Z2, Z1, A1}. */
    private static Tensor[] model(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2) {
        Tensor z1 = x.mm(w1).add(b1);
        Tensor a1 = z1.clampMin(0);
        Tensor z2 = a1.mm(w2).add(b2);
        return new Tensor[] {z2, z1, a1};
    }

    /** loss_fn(y, y_pred) of the seed: (y_pred - y).pow(2).sum(). */
    private static Tensor lossFn(Tensor y, Tensor yPred) {
        return yPred.sub(y).pow(2).sum();
    }

    /** backpropogation(...) of the seed, line by line: returns {d_w1, d_b1, d_w2, d_b2}. */
    private static Tensor[] backpropagation(Tensor x, Tensor y, Tensor yPred, Tensor z1, Tensor a1, Tensor w2) {
        double m = y.size(0);
        Tensor dYPred = yPred.sub(y).mul(1 / m);
        Tensor dW2 = a1.t().mm(dYPred).mul(1 / m);
        Tensor dB2 = dYPred.sum(0, true).mul(1 / m);
        Tensor dA1 = dYPred.mm(w2.t());
        // d_Z1 = d_A1.clone(); d_Z1[cache["Z1"] < 0] = 0
        Tensor dZ1 = dA1.clone().maskedFill(z1.lt(0), 0);
        Tensor dW1 = x.t().mm(dZ1).mul(1 / m);
        Tensor dB1 = dZ1.sum(0, true).mul(1 / m);
        return new Tensor[] {dW1, dB1, dW2, dB2};
    }

    // Seed 000, In [None]: the hand-written gradients against autograd. Which loss do they differentiate?
    // d_y_pred = (y_pred - y) / m is the gradient of sum((y_pred - y)^2) / (2m) with respect to y_pred, but
    // the seed then multiplies d_w2, d_b2, d_w1 and d_b1 by another 1/m (while d_A1 = d_y_pred w2^T gets
    // none, so the extra factor is applied exactly once on every parameter). Every parameter gradient is
    // therefore that of L = sum((y_pred - y)^2) / (2 m^2), i.e. loss_fn(y, y_pred) / (2 m^2).
    @Test
    void handWrittenBackpropMatchesAutogradOfSumSquaredErrorOverTwoMSquared() {
        Generator gen = new Generator(0);
        Tensor x = Tensor.randn(gen, M, IN);
        Tensor y = Tensor.randn(gen, M, OUT);
        Tensor w1 = Tensor.randn(gen, IN, HIDDEN);
        Tensor w2 = Tensor.randn(gen, HIDDEN, OUT);
        Tensor b1 = Tensor.randn(gen, 1, HIDDEN);
        Tensor b2 = Tensor.randn(gen, 1, OUT);

        Tensor[] fwd = model(x, w1, b1, w2, b2);
        Tensor[] manual = backpropagation(x, y, fwd[0], fwd[1], fwd[2], w2);
        assertArrayEquals(new int[] {IN, HIDDEN}, manual[0].shape());
        assertArrayEquals(new int[] {1, HIDDEN}, manual[1].shape());
        assertArrayEquals(new int[] {HIDDEN, OUT}, manual[2].shape());
        assertArrayEquals(new int[] {1, OUT}, manual[3].shape());
        for (Tensor g : manual) {
            assertFalse(g.requiresGrad());
        }

        Tensor[] params = {w1.clone().requiresGrad_(), b1.clone().requiresGrad_(), w2.clone().requiresGrad_(),
            b2.clone().requiresGrad_()};
        Tensor[] out = model(x, params[0], params[1], params[2], params[3]);
        Tensor seedLoss = lossFn(y, out[0]);
        Tensor loss = seedLoss.div(2.0 * M * M);
        Tensor[] auto = Autograd.grad(new Tensor[] {loss}, params, null, true, false);
        String[] names = {"d_w1", "d_b1", "d_w2", "d_b2"};
        for (int i = 0; i < 4; i++) {
            double scale = maxAbs(auto[i]);
            assertTrue(scale > 0, names[i] + " is all zero");
            assertTrue(manual[i].allclose(auto[i], 1e-4, 1e-4 * scale), names[i] + " differs from autograd");
        }
        // The seed's own loss_fn, differentiated by autograd, is 2 m^2 times larger.
        Tensor[] autoSeed = Autograd.grad(new Tensor[] {seedLoss}, params, null, false, false);
        for (int i = 0; i < 4; i++) {
            Tensor scaled = manual[i].mul(2.0 * M * M);
            assertTrue(scaled.allclose(autoSeed[i], 1e-4, 1e-4 * maxAbs(autoSeed[i])), names[i] + " * 2m^2");
        }
        // Sanity: the mask really cut something, so the ReLU branch of the hand-written code was exercised.
        assertTrue(fwd[1].lt(0).any() && fwd[1].gt(0).any());
    }

    // Seed 000, In [None]: the training loop, learning_rate = 1e-2, EPOCH = 400, printing the loss every
    // 50 epochs, parameters updated with the hand-written gradients.
    @Test
    void manualBackpropTrainingLoopReducesLoss() {
        Generator gen = new Generator(1);
        Tensor x = Tensor.randn(gen, M, IN);
        Tensor y = Tensor.randn(gen, M, OUT);
        Tensor w1 = Tensor.randn(gen, IN, HIDDEN);
        Tensor w2 = Tensor.randn(gen, HIDDEN, OUT);
        Tensor b1 = Tensor.randn(gen, 1, HIDDEN);
        Tensor b2 = Tensor.randn(gen, 1, OUT);
        double learningRate = 1e-2;
        int epochs = 400;

        double first = Double.NaN;
        List<Double> printed = new ArrayList<>();
        for (int t = 0; t < epochs; t++) {
            Tensor[] fwd = model(x, w1, b1, w2, b2);
            Tensor loss = lossFn(y, fwd[0]);
            assertFalse(loss.requiresGrad());
            if (t == 0) {
                first = loss.item();
            }
            if ((t + 1) % 50 == 0) {
                printed.add(loss.item());
            }
            Tensor[] g = backpropagation(x, y, fwd[0], fwd[1], fwd[2], w2);
            w1.sub_(g[0].mul(learningRate));
            w2.sub_(g[2].mul(learningRate));
            b1.sub_(g[1].mul(learningRate));
            b2.sub_(g[3].mul(learningRate));
        }
        assertEquals(8, printed.size());
        assertTrue(first > 1e6, "initial loss " + first);
        for (int i = 0; i < printed.size(); i++) {
            double v = printed.get(i);
            assertTrue(Double.isFinite(v), "loss " + i + " = " + v);
            double previous = i == 0 ? first : printed.get(i - 1);
            assertTrue(v < previous, "printed losses must fall: " + printed);
        }
        assertTrue(printed.get(printed.size() - 1) < 1e-6 * first, "final loss " + printed);
    }

    // =====================================================================================================
    // 001_bab624f75e940f68.txt: "Autograd: 自动微分"

    // Seed 001: x = torch.ones(2, 2, requires_grad=True); print(x); y = x + 2; print(y); print(y.grad_fn)
    @Test
    void onesPlusTwoRecordsAddBackward() {
        Tensor x = Tensor.ones(2, 2).requiresGrad_();
        assertPrints("tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)", x);
        assertNull(x.gradFn());
        Tensor y = x.add(2);
        assertPrints("tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)", y);
        assertNotNull(y.gradFn());
        assertEquals("AddBackward0", y.gradFn().name()); // <AddBackward0 object at 0x...>
    }

    // Seed 001: z = y * y * 3; out = z.mean(); print(z, out); out.backward(); print(x.grad) -> 4.5 everywhere
    @Test
    void meanOfThreeYSquaredBackwardGivesFourPointFive() {
        Tensor x = Tensor.ones(2, 2).requiresGrad_();
        Tensor y = x.add(2);
        Tensor z = y.mul(y).mul(3);
        Tensor out = z.mean();
        assertEquals("tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>) tensor(27., grad_fn=<MeanBackward0>)",
                z + " " + out);
        out.backward();
        assertPrints("tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])", x.grad());
        assertArrayEquals(new double[] {4.5, 4.5, 4.5, 4.5}, x.grad().toArray());
    }

    // Seed 001: a = torch.randn(2, 2); a = ((a * 3) / (a - 1)); b = (a * a).sum(); print(a.requires_grad)
    // -> False; print(b.grad_fn) -> None; a.requires_grad_(True); print(a.requires_grad) -> True;
    // b = (a * a).sum(); print(b.grad_fn) -> <SumBackward0 ...>
    @Test
    void requiresGradInPlaceFlagTurnsOnTracking() {
        Tensor a = Tensor.randn(new Generator(2), 2, 2);
        a = a.mul(3).div(a.sub(1));
        Tensor b = a.mul(a).sum();
        assertFalse(a.requiresGrad());
        assertNull(b.gradFn());
        assertFalse(b.requiresGrad());

        Tensor same = a.requiresGrad_(true);
        assertTrue(same == a, "requires_grad_ works in place and returns the tensor");
        assertTrue(a.requiresGrad());
        assertTrue(a.isLeaf());
        b = a.mul(a).sum();
        assertNotNull(b.gradFn());
        assertEquals("SumBackward0", b.gradFn().name());
        assertTrue(b.requiresGrad());
    }

    /** y = x * 2; while y.data.norm() < 1000: y = y * 2 -- returns y and the number k of doublings. */
    private static Object[] doubleUntilNormReaches1000(Tensor x) {
        Tensor y = x.mul(2);
        int k = 1;
        while (y.data().norm().item() < 1000) {
            y = y.mul(2);
            k++;
        }
        return new Object[] {y, k};
    }

    // Seed 001: x = torch.randn(3, requires_grad=True); y = x * 2; while y.data.norm() < 1000: y = y * 2;
    // v = torch.tensor([0.1, 1.0, 0.0001]); y.backward(v); print(x.grad). With y = x * 2^k the
    // vector-Jacobian product is v * 2^k (exact in float: only powers of two are involved).
    @Test
    void vectorJacobianProductOfRepeatedDoublingIsVTimesPowerOfTwo() {
        for (long seed = 0; seed < 5; seed++) {
            Tensor x = Tensor.randn(new Generator(seed), 3).requiresGrad_();
            Object[] r = doubleUntilNormReaches1000(x);
            Tensor y = (Tensor) r[0];
            int k = (Integer) r[1];
            double p = Math.pow(2, k);
            assertTrue(y.norm().item() >= 1000 && y.norm().item() / 2 < 1000, "stops at the first norm >= 1000");
            assertTrue(y.equal(x.detach().mul(p)), "y = x * 2^k");
            assertEquals("MulBackward0", y.gradFn().name());
            Tensor v = Tensor.of(0.1, 1.0, 0.0001);
            y.backward(v);
            assertTrue(x.grad().equal(v.mul(p)), "x.grad = v * 2^" + k + ", got " + x.grad());
        }
    }

    // Seed 001, same cell with the seed's printed x = tensor([-0.7660, -0.9496, -0.2411]): the loop doubles
    // 10 times (y = x * 1024) and the seed prints x.grad = tensor([1.0240e+02, 1.0240e+03, 1.0240e-01]).
    // (y's printout is recorded from PyTorch for the rounded x; the seed's y came from unrounded x.)
    @Test
    void vectorJacobianProductWithSeedsPrintedInput() {
        Tensor x = Tensor.of(-0.7660, -0.9496, -0.2411).requiresGrad_();
        Object[] r = doubleUntilNormReaches1000(x);
        Tensor y = (Tensor) r[0];
        assertEquals(10, r[1]);
        assertPrints("tensor([-784.3840, -972.3904, -246.8864], grad_fn=<MulBackward0>)", y);
        y.backward(Tensor.of(0.1, 1.0, 0.0001));
        assertPrints("tensor([1.0240e+02, 1.0240e+03, 1.0240e-01])", x.grad());
    }

    // Seed 001: x = torch.tensor([[1,2,4],[3,1,2]], dtype=torch.float, requires_grad=True); y = x + 2;
    // z = y * y; z.backward(torch.ones_like(x)); print(x.grad) -> 2(x + 2)
    @Test
    void squareOfXPlusTwoWithOnesGradientGivesTwiceXPlusTwo() {
        Tensor x = Tensor.tensor(new double[][] {{1, 2, 4}, {3, 1, 2}}).requiresGrad_();
        assertPrints("tensor([[1., 2., 4.],\n        [3., 1., 2.]], requires_grad=True)", x);
        Tensor y = x.add(2);
        Tensor z = y.mul(y);
        assertPrints("tensor([[ 9., 16., 36.],\n        [25.,  9., 16.]], grad_fn=<MulBackward0>)", z);
        z.backward(Tensor.onesLike(x));
        assertPrints("tensor([[ 6.,  8., 12.],\n        [10.,  6.,  8.]])", x.grad());
    }

    // Seed 001: print(x.requires_grad); print((x ** 2).requires_grad); with torch.no_grad():
    // print((x ** 2).requires_grad); print((x ** 2).requires_grad) -> True True False True
    @Test
    void noGradScopeStopsTrackingOnlyInside() {
        Tensor x = Tensor.tensor(new double[][] {{1, 2, 4}, {3, 1, 2}}).requiresGrad_();
        List<Boolean> flags = new ArrayList<>();
        flags.add(x.requiresGrad());
        flags.add(x.pow(2).requiresGrad());
        try (var s = GradMode.noGrad()) {
            Tensor inside = x.pow(2);
            flags.add(inside.requiresGrad());
            assertNull(inside.gradFn());
        }
        flags.add(x.pow(2).requiresGrad());
        assertEquals(List.of(true, true, false, true), flags);
    }

    // =====================================================================================================
    // 002_e05eaf692a3e081d.txt: "自动求导"

    // Seed 002, In [3], [9], [12]-[14]: x = torch.arange(4.0); x.requires_grad_(True); x.grad (None);
    // y = 2 * x.T @ x -> tensor(28., grad_fn=<DotBackward0>); y.backward(); x.grad -> [0, 4, 8, 12];
    // x.grad == 4 * x -> all True. "2 * x.T @ x" parses as (2 * x.T) @ x, so the last op is the dot.
    @Test
    void twoXTransposeXIsDotWithGradientFourX() {
        Tensor x = Tensor.arange(4.0);
        assertPrints("tensor([0., 1., 2., 3.])", x);
        x.requiresGrad_(true);
        assertNull(x.grad());
        Tensor y = x.mul(2).matmul(x);
        assertPrints("tensor(28., grad_fn=<DotBackward0>)", y);
        y.backward();
        assertPrints("tensor([ 0.,  4.,  8., 12.])", x.grad());
        assertPrints("tensor([True, True, True, True])", x.grad().eq(x.mul(4)));
    }

    // Seed 002, In [15]: x.grad.zero_(); y = x.sum(); y.backward(); x.grad -> tensor([1., 1., 1., 1.])
    @Test
    void gradZeroThenSumGivesOnes() {
        Tensor x = Tensor.arange(4.0).requiresGrad_();
        x.mul(2).matmul(x).backward();
        x.grad().zero_();
        assertPrints("tensor([0., 0., 0., 0.])", x.grad());
        Tensor y = x.sum();
        assertEquals("SumBackward0", y.gradFn().name());
        y.backward();
        assertPrints("tensor([1., 1., 1., 1.])", x.grad());
    }

    // Seed 002, 自由练习 In [6]-[7]: x = torch.Tensor([1, 2]); y = 2*(x[0]**3) + 3*x[0]*x[1] + 4*x[1];
    // y.backward(); x.grad -> tensor([12.,  7.]) (dy/dx1 = 6x1^2 + 3x2, dy/dx2 = 3x1 + 4)
    @Test
    void freeExerciseCubicMixedTermGradient() {
        Tensor x = Tensor.of(1.0, 2.0);
        x.requiresGrad_(true);
        Tensor x0 = x.get(0);
        Tensor x1 = x.get(1);
        Tensor y = x0.pow(3).mul(2).add(x0.mul(3).mul(x1)).add(x1.mul(4));
        assertPrints("tensor(16., grad_fn=<AddBackward0>)", y); // recorded from PyTorch
        y.backward();
        assertPrints("tensor([12.,  7.])", x.grad());
    }

    /** The seed's printout of the first 14 iterations (In [52]); the 15th line is cut off in the seed. */
    private static final String SEED_GD_LINES = """
            tensor(258., grad_fn=<AddBackward0>) 0 tensor([44., 16.])
            tensor(87.7600, grad_fn=<AddBackward0>) 1 tensor([26.4000,  3.2000])
            tensor(31.3888, grad_fn=<AddBackward0>) 2 tensor([15.8400,  0.6400])
            tensor(11.2918, grad_fn=<AddBackward0>) 3 tensor([9.5040, 0.1280])
            tensor(4.0647, grad_fn=<AddBackward0>) 4 tensor([5.7024, 0.0256])
            tensor(1.4633, grad_fn=<AddBackward0>) 5 tensor([3.4214, 0.0051])
            tensor(0.5268, grad_fn=<AddBackward0>) 6 tensor([2.0529e+00, 1.0240e-03])
            tensor(0.1896, grad_fn=<AddBackward0>) 7 tensor([1.2317e+00, 2.0480e-04])
            tensor(0.0683, grad_fn=<AddBackward0>) 8 tensor([7.3903e-01, 4.0960e-05])
            tensor(0.0246, grad_fn=<AddBackward0>) 9 tensor([4.4342e-01, 8.1920e-06])
            tensor(0.0088, grad_fn=<AddBackward0>) 10 tensor([2.6605e-01, 1.6384e-06])
            tensor(0.0032, grad_fn=<AddBackward0>) 11 tensor([1.5963e-01, 3.2768e-07])
            tensor(0.0011, grad_fn=<AddBackward0>) 12 tensor([9.5778e-02, 6.5536e-08])
            tensor(0.0004, grad_fn=<AddBackward0>) 13 tensor([5.7467e-02, 1.3107e-08])
            """;

    /**
     * The rest of the run (iterations 14 to 107), recorded from PyTorch 1.13 running the seed's cell: the
     * values shrink through float32's subnormal range until y is exactly 0, and the next iteration (108)
     * stops the loop because y >= ys[-1].
     */
    private static final String RECORDED_GD_LINES = """
            tensor(0.0001, grad_fn=<AddBackward0>) 14 tensor([3.4480e-02, 2.6214e-09])
            tensor(5.3500e-05, grad_fn=<AddBackward0>) 15 tensor([2.0688e-02, 5.2429e-10])
            tensor(1.9260e-05, grad_fn=<AddBackward0>) 16 tensor([1.2413e-02, 1.0486e-10])
            tensor(6.9336e-06, grad_fn=<AddBackward0>) 17 tensor([7.4477e-03, 2.0971e-11])
            tensor(2.4961e-06, grad_fn=<AddBackward0>) 18 tensor([4.4686e-03, 4.1943e-12])
            tensor(8.9859e-07, grad_fn=<AddBackward0>) 19 tensor([2.6812e-03, 8.3886e-13])
            tensor(3.2349e-07, grad_fn=<AddBackward0>) 20 tensor([1.6087e-03, 1.6777e-13])
            tensor(1.1646e-07, grad_fn=<AddBackward0>) 21 tensor([9.6523e-04, 3.3554e-14])
            tensor(4.1925e-08, grad_fn=<AddBackward0>) 22 tensor([5.7914e-04, 6.7109e-15])
            tensor(1.5093e-08, grad_fn=<AddBackward0>) 23 tensor([3.4748e-04, 1.3422e-15])
            tensor(5.4334e-09, grad_fn=<AddBackward0>) 24 tensor([2.0849e-04, 2.6844e-16])
            tensor(1.9560e-09, grad_fn=<AddBackward0>) 25 tensor([1.2509e-04, 5.3687e-17])
            tensor(7.0417e-10, grad_fn=<AddBackward0>) 26 tensor([7.5056e-05, 1.0737e-17])
            tensor(2.5350e-10, grad_fn=<AddBackward0>) 27 tensor([4.5034e-05, 2.1475e-18])
            tensor(9.1261e-11, grad_fn=<AddBackward0>) 28 tensor([2.7020e-05, 4.2950e-19])
            tensor(3.2854e-11, grad_fn=<AddBackward0>) 29 tensor([1.6212e-05, 8.5899e-20])
            tensor(1.1827e-11, grad_fn=<AddBackward0>) 30 tensor([9.7272e-06, 1.7180e-20])
            tensor(4.2579e-12, grad_fn=<AddBackward0>) 31 tensor([5.8363e-06, 3.4360e-21])
            tensor(1.5328e-12, grad_fn=<AddBackward0>) 32 tensor([3.5018e-06, 6.8719e-22])
            tensor(5.5182e-13, grad_fn=<AddBackward0>) 33 tensor([2.1011e-06, 1.3744e-22])
            tensor(1.9866e-13, grad_fn=<AddBackward0>) 34 tensor([1.2607e-06, 2.7488e-23])
            tensor(7.1516e-14, grad_fn=<AddBackward0>) 35 tensor([7.5639e-07, 5.4975e-24])
            tensor(2.5746e-14, grad_fn=<AddBackward0>) 36 tensor([4.5383e-07, 1.0995e-24])
            tensor(9.2685e-15, grad_fn=<AddBackward0>) 37 tensor([2.7230e-07, 2.1990e-25])
            tensor(3.3366e-15, grad_fn=<AddBackward0>) 38 tensor([1.6338e-07, 4.3980e-26])
            tensor(1.2012e-15, grad_fn=<AddBackward0>) 39 tensor([9.8028e-08, 8.7961e-27])
            tensor(4.3243e-16, grad_fn=<AddBackward0>) 40 tensor([5.8817e-08, 1.7592e-27])
            tensor(1.5567e-16, grad_fn=<AddBackward0>) 41 tensor([3.5290e-08, 3.5184e-28])
            tensor(5.6043e-17, grad_fn=<AddBackward0>) 42 tensor([2.1174e-08, 7.0369e-29])
            tensor(2.0175e-17, grad_fn=<AddBackward0>) 43 tensor([1.2704e-08, 1.4074e-29])
            tensor(7.2632e-18, grad_fn=<AddBackward0>) 44 tensor([7.6227e-09, 2.8147e-30])
            tensor(2.6147e-18, grad_fn=<AddBackward0>) 45 tensor([4.5736e-09, 5.6295e-31])
            tensor(9.4130e-19, grad_fn=<AddBackward0>) 46 tensor([2.7442e-09, 1.1259e-31])
            tensor(3.3887e-19, grad_fn=<AddBackward0>) 47 tensor([1.6465e-09, 2.2518e-32])
            tensor(1.2199e-19, grad_fn=<AddBackward0>) 48 tensor([9.8790e-10, 4.5036e-33])
            tensor(4.3917e-20, grad_fn=<AddBackward0>) 49 tensor([5.9274e-10, 9.0072e-34])
            tensor(1.5810e-20, grad_fn=<AddBackward0>) 50 tensor([3.5564e-10, 1.8014e-34])
            tensor(5.6917e-21, grad_fn=<AddBackward0>) 51 tensor([2.1339e-10, 3.6029e-35])
            tensor(2.0490e-21, grad_fn=<AddBackward0>) 52 tensor([1.2803e-10, 7.2057e-36])
            tensor(7.3765e-22, grad_fn=<AddBackward0>) 53 tensor([7.6819e-11, 1.4411e-36])
            tensor(2.6555e-22, grad_fn=<AddBackward0>) 54 tensor([4.6091e-11, 2.8823e-37])
            tensor(9.5599e-23, grad_fn=<AddBackward0>) 55 tensor([2.7655e-11, 5.7646e-38])
            tensor(3.4416e-23, grad_fn=<AddBackward0>) 56 tensor([1.6593e-11, 1.1529e-38])
            tensor(1.2390e-23, grad_fn=<AddBackward0>) 57 tensor([9.9557e-12, 2.3058e-39])
            tensor(4.4603e-24, grad_fn=<AddBackward0>) 58 tensor([5.9734e-12, 4.6116e-40])
            tensor(1.6057e-24, grad_fn=<AddBackward0>) 59 tensor([3.5841e-12, 9.2228e-41])
            tensor(5.7805e-25, grad_fn=<AddBackward0>) 60 tensor([2.1504e-12, 1.8441e-41])
            tensor(2.0810e-25, grad_fn=<AddBackward0>) 61 tensor([1.2903e-12, 3.6882e-42])
            tensor(7.4915e-26, grad_fn=<AddBackward0>) 62 tensor([7.7416e-13, 7.3989e-43])
            tensor(2.6969e-26, grad_fn=<AddBackward0>) 63 tensor([4.6450e-13, 1.4574e-43])
            tensor(9.7090e-27, grad_fn=<AddBackward0>) 64 tensor([2.7870e-13, 3.3631e-44])
            tensor(3.4952e-27, grad_fn=<AddBackward0>) 65 tensor([1.6722e-13, 1.1210e-44])
            tensor(1.2583e-27, grad_fn=<AddBackward0>) 66 tensor([1.0033e-13, 0.0000e+00])
            tensor(4.5298e-28, grad_fn=<AddBackward0>) 67 tensor([6.0199e-14, 0.0000e+00])
            tensor(1.6307e-28, grad_fn=<AddBackward0>) 68 tensor([3.6119e-14, 0.0000e+00])
            tensor(5.8707e-29, grad_fn=<AddBackward0>) 69 tensor([2.1671e-14, 0.0000e+00])
            tensor(2.1134e-29, grad_fn=<AddBackward0>) 70 tensor([1.3003e-14, 0.0000e+00])
            tensor(7.6084e-30, grad_fn=<AddBackward0>) 71 tensor([7.8017e-15, 0.0000e+00])
            tensor(2.7390e-30, grad_fn=<AddBackward0>) 72 tensor([4.6810e-15, 0.0000e+00])
            tensor(9.8605e-31, grad_fn=<AddBackward0>) 73 tensor([2.8086e-15, 0.0000e+00])
            tensor(3.5498e-31, grad_fn=<AddBackward0>) 74 tensor([1.6852e-15, 0.0000e+00])
            tensor(1.2779e-31, grad_fn=<AddBackward0>) 75 tensor([1.0111e-15, 0.0000e+00])
            tensor(4.6005e-32, grad_fn=<AddBackward0>) 76 tensor([6.0666e-16, 0.0000e+00])
            tensor(1.6562e-32, grad_fn=<AddBackward0>) 77 tensor([3.6400e-16, 0.0000e+00])
            tensor(5.9622e-33, grad_fn=<AddBackward0>) 78 tensor([2.1840e-16, 0.0000e+00])
            tensor(2.1464e-33, grad_fn=<AddBackward0>) 79 tensor([1.3104e-16, 0.0000e+00])
            tensor(7.7271e-34, grad_fn=<AddBackward0>) 80 tensor([7.8623e-17, 0.0000e+00])
            tensor(2.7817e-34, grad_fn=<AddBackward0>) 81 tensor([4.7174e-17, 0.0000e+00])
            tensor(1.0014e-34, grad_fn=<AddBackward0>) 82 tensor([2.8304e-17, 0.0000e+00])
            tensor(3.6051e-35, grad_fn=<AddBackward0>) 83 tensor([1.6983e-17, 0.0000e+00])
            tensor(1.2979e-35, grad_fn=<AddBackward0>) 84 tensor([1.0190e-17, 0.0000e+00])
            tensor(4.6723e-36, grad_fn=<AddBackward0>) 85 tensor([6.1138e-18, 0.0000e+00])
            tensor(1.6820e-36, grad_fn=<AddBackward0>) 86 tensor([3.6683e-18, 0.0000e+00])
            tensor(6.0552e-37, grad_fn=<AddBackward0>) 87 tensor([2.2010e-18, 0.0000e+00])
            tensor(2.1799e-37, grad_fn=<AddBackward0>) 88 tensor([1.3206e-18, 0.0000e+00])
            tensor(7.8476e-38, grad_fn=<AddBackward0>) 89 tensor([7.9234e-19, 0.0000e+00])
            tensor(2.8251e-38, grad_fn=<AddBackward0>) 90 tensor([4.7541e-19, 0.0000e+00])
            tensor(1.0170e-38, grad_fn=<AddBackward0>) 91 tensor([2.8524e-19, 0.0000e+00])
            tensor(3.6614e-39, grad_fn=<AddBackward0>) 92 tensor([1.7115e-19, 0.0000e+00])
            tensor(1.3181e-39, grad_fn=<AddBackward0>) 93 tensor([1.0269e-19, 0.0000e+00])
            tensor(4.7451e-40, grad_fn=<AddBackward0>) 94 tensor([6.1613e-20, 0.0000e+00])
            tensor(1.7082e-40, grad_fn=<AddBackward0>) 95 tensor([3.6968e-20, 0.0000e+00])
            tensor(6.1497e-41, grad_fn=<AddBackward0>) 96 tensor([2.2181e-20, 0.0000e+00])
            tensor(2.2138e-41, grad_fn=<AddBackward0>) 97 tensor([1.3308e-20, 0.0000e+00])
            tensor(7.9706e-42, grad_fn=<AddBackward0>) 98 tensor([7.9850e-21, 0.0000e+00])
            tensor(2.8699e-42, grad_fn=<AddBackward0>) 99 tensor([4.7910e-21, 0.0000e+00])
            tensor(1.0342e-42, grad_fn=<AddBackward0>) 100 tensor([2.8746e-21, 0.0000e+00])
            tensor(3.7275e-43, grad_fn=<AddBackward0>) 101 tensor([1.7248e-21, 0.0000e+00])
            tensor(1.3452e-43, grad_fn=<AddBackward0>) 102 tensor([1.0349e-21, 0.0000e+00])
            tensor(4.7644e-44, grad_fn=<AddBackward0>) 103 tensor([6.2091e-22, 0.0000e+00])
            tensor(1.6816e-44, grad_fn=<AddBackward0>) 104 tensor([3.7255e-22, 0.0000e+00])
            tensor(5.6052e-45, grad_fn=<AddBackward0>) 105 tensor([2.2353e-22, 0.0000e+00])
            tensor(2.8026e-45, grad_fn=<AddBackward0>) 106 tensor([1.3412e-22, 0.0000e+00])
            tensor(0., grad_fn=<AddBackward0>) 107 tensor([8.0470e-23, 0.0000e+00])
            """;

    /** Runs the seed's In [52] loop and returns its printed lines; stopsAt[0] gets the i at which it broke. */
    private static List<String> gradientDescentLoop(Tensor x, int[] stopsAt, Tensor[] gradAtStop) {
        double learningRate = 0.1;
        List<Double> ys = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Tensor y = x.get(0).pow(2).mul(2).add(x.get(1).pow(2).mul(4));
            y.backward();
            if (!ys.isEmpty() && y.item() >= ys.get(ys.size() - 1)) {
                stopsAt[0] = i;
                gradAtStop[0] = x.grad();
                break;
            }
            ys.add(y.item());
            lines.add(y + " " + i + " " + x.grad());
            try (var s = GradMode.noGrad()) {
                x.sub_(x.grad().mul(learningRate));
            }
            x.grad().zero_();
        }
        return lines;
    }

    // Seed 002, In [52]: gradient descent on y = 2*x0^2 + 4*x1^2 from x = [11, 2] with learning rate 0.1,
    // printing "y i x.grad" each step and stopping as soon as y no longer decreases.
    @Test
    void gradientDescentLoopPrintsTheSeedsLinesAndStopsAfter108Iterations() {
        Tensor x = Tensor.of(11, 2.0);
        x.requiresGrad_(true);
        int[] stopsAt = {-1};
        Tensor[] gradAtStop = new Tensor[1];
        List<String> lines = gradientDescentLoop(x, stopsAt, gradAtStop);

        List<String> seed = SEED_GD_LINES.lines().toList();
        assertEquals(14, seed.size());
        assertTrue(lines.size() >= seed.size(), "only " + lines.size() + " iterations");
        assertEquals(seed, lines.subList(0, seed.size()));

        // Beyond the seed's cut: PyTorch's own run of the cell.
        List<String> all = new ArrayList<>(seed);
        all.addAll(RECORDED_GD_LINES.lines().toList());
        assertEquals(108, all.size());
        assertEquals(all, lines);
        assertEquals(108, stopsAt[0]);
        assertPrints("tensor([4.8282e-23, 0.0000e+00])", gradAtStop[0]); // recorded from PyTorch
        assertPrints("tensor([1.2071e-23, 0.0000e+00], requires_grad=True)", x); // recorded from PyTorch
    }

    // =====================================================================================================
    // 003_19b3c6d01269b1ce.txt: "1.3 自动微分与简单训练实例"

    // Seed 003: x = torch.arange(4.0); x.requires_grad_(True); x.grad (None); y = 2 * torch.dot(x, x);
    // y.backward(); x.grad == 4 * x  # True
    @Test
    void twoDotXXBackwardGivesFourX() {
        Tensor x = Tensor.arange(4.0);
        x.requiresGrad_(true);
        assertNull(x.grad());
        Tensor y = x.dot(x).mul(2);
        assertPrints("tensor(28., grad_fn=<MulBackward0>)", y); // recorded from PyTorch
        y.backward();
        assertPrints("tensor([ 0.,  4.,  8., 12.])", x.grad());
        assertPrints("tensor([True, True, True, True])", x.grad().eq(x.mul(4)));
    }

    // Seed 003: x.grad.zero_(); y = x.sum(); y.backward(); x.grad, then x.grad.zero_(); y = x * x;
    // y.sum().backward(); x.grad (the non-scalar case summed first; equivalent to y.backward(ones(len(x))))
    @Test
    void gradientsAccumulateUntilZeroedAndSumOfSquaresGivesTwoX() {
        Tensor x = Tensor.arange(4.0).requiresGrad_();
        x.dot(x).mul(2).backward();
        x.sum().backward();
        assertPrints("tensor([ 1.,  5.,  9., 13.])", x.grad()); // accumulated without zero_()

        x.grad().zero_();
        x.sum().backward();
        assertPrints("tensor([1., 1., 1., 1.])", x.grad());

        x.grad().zero_();
        Tensor y = x.mul(x);
        assertPrints("tensor([0., 1., 4., 9.], grad_fn=<MulBackward0>)", y); // recorded from PyTorch
        y.sum().backward();
        assertPrints("tensor([0., 2., 4., 6.])", x.grad());

        x.grad().zero_();
        x.mul(x).backward(Tensor.ones(4)); // 等价于y.backward(torch.ones(len(x)))
        assertPrints("tensor([0., 2., 4., 6.])", x.grad());
    }

    // Seed 003: x.grad.zero_(); y = x * x; u = y.detach(); z = u * x; z.sum().backward(); x.grad == u;
    // then x.grad.zero_(); y.sum().backward(); x.grad == 2 * x
    @Test
    void detachTreatsUAsConstant() {
        Tensor x = Tensor.arange(4.0).requiresGrad_();
        x.sum().backward();
        x.grad().zero_();
        Tensor y = x.mul(x);
        Tensor u = y.detach();
        assertFalse(u.requiresGrad());
        assertNull(u.gradFn());
        Tensor z = u.mul(x);
        z.sum().backward();
        assertPrints("tensor([True, True, True, True])", x.grad().eq(u));
        assertPrints("tensor([0., 1., 4., 9.])", x.grad());

        x.grad().zero_();
        y.sum().backward();
        assertPrints("tensor([True, True, True, True])", x.grad().eq(x.mul(2)));
        assertPrints("tensor([0., 2., 4., 6.])", x.grad());
    }

    /** f(a) of the seed; count[0] gets the number of doublings, negative[0] whether the 100 * b branch ran. */
    private static Tensor f(Tensor a, int[] count, boolean[] negative) {
        Tensor b = a.mul(2);
        count[0] = 1;
        while (b.norm().item() < 1000) {
            b = b.mul(2);
            count[0]++;
        }
        Tensor c;
        if (b.sum().item() > 0) {
            c = b;
            negative[0] = false;
        } else {
            c = b.mul(100);
            negative[0] = true;
        }
        return c;
    }

    // Seed 003: def f(a): b = a * 2; while b.norm() < 1000: b = b * 2; if b.sum() > 0: c = b
    // else: c = 100 * b; return c. a = torch.randn(size=(), requires_grad=True); d = f(a); d.backward();
    // a.grad == d / a. d = k * a, so the gradient is k = 2^n or 100 * 2^n.
    @Test
    void controlFlowGradientEqualsDOverA() {
        boolean sawPositive = false;
        boolean sawNegative = false;
        for (long seed = 0; seed < 12; seed++) {
            Tensor a = Tensor.randn(new Generator(seed)).requiresGrad_();
            assertEquals(0, a.dim());
            int[] count = new int[1];
            boolean[] negative = new boolean[1];
            Tensor d = f(a, count, negative);
            d.backward();
            double k = (negative[0] ? 100 : 1) * Math.pow(2, count[0]);
            assertEquals(k, a.grad().item(), "a = " + a.item());
            Tensor ratio = d.detach().div(a.detach());
            assertTrue(a.grad().allclose(ratio, 1e-6, 0), "a.grad = " + a.grad() + ", d / a = " + ratio);
            if (!negative[0]) {
                // d = a * 2^n exactly, so the seed's a.grad == d / a holds bit for bit.
                assertPrints("tensor(True)", a.grad().eq(ratio));
            }
            sawPositive |= !negative[0];
            sawNegative |= negative[0];
        }
        assertTrue(sawPositive && sawNegative, "both branches of f are exercised");
    }

    // Seed 003, 1.3.2 step 0: synthetic_data(w, b, num_examples): X = torch.normal(0, 1, (n, len(w)));
    // y = torch.matmul(X, w) + b; y += torch.normal(0, 0.01, y.shape); return X, y.reshape((-1, 1))
    @Test
    void syntheticDataIsLinearPlusSmallNoise() {
        Generator gen = new Generator(3);
        Tensor trueW = Tensor.of(2, -3.4);
        double trueB = 4.2;
        int n = 1000;
        Tensor features = Tensor.normal(0, 1, gen, n, 2);
        Tensor y = features.matmul(trueW).add(trueB);
        assertArrayEquals(new int[] {n}, y.shape());
        y.add_(Tensor.normal(0, 0.01, gen, y.shape()));
        Tensor labels = y.reshape(-1, 1);

        assertArrayEquals(new int[] {n, 2}, features.shape());
        assertArrayEquals(new int[] {n, 1}, labels.shape());
        assertFalse(features.requiresGrad() || labels.requiresGrad());
        double[] noise = labels.reshape(-1).sub(features.matmul(trueW).add(trueB)).toArray();
        double mean = 0;
        for (double e : noise) {
            mean += e / n;
        }
        double var = 0;
        for (double e : noise) {
            var += (e - mean) * (e - mean) / (n - 1);
        }
        assertTrue(Math.abs(mean) < 0.002, "noise mean " + mean);
        assertTrue(Math.sqrt(var) > 0.009 && Math.sqrt(var) < 0.011, "noise std " + Math.sqrt(var));
        double[] f = features.toArray();
        double fm = 0;
        for (double v : f) {
            fm += v / f.length;
        }
        assertTrue(Math.abs(fm) < 0.1, "feature mean " + fm);
    }

    // =====================================================================================================
    // 004_e9c0c798dc0f37a8.txt: "理解 PyTorch 计算图、Autograd 机制和实现线性拟合"

    // Seed 004: x = torch.randn(5, 5); y = torch.randn(5, 5); z = x + y; z.requires_grad -> False;
    // x = torch.randn(5, 5, requires_grad=True); ...; z.requires_grad -> True
    @Test
    void resultRequiresGradIffSomeInputDoes() {
        Generator gen = new Generator(4);
        Tensor x = Tensor.randn(gen, 5, 5);
        Tensor y = Tensor.randn(gen, 5, 5);
        Tensor z = x.add(y);
        assertFalse(z.requiresGrad());
        assertNull(z.gradFn());

        x = Tensor.randn(gen, 5, 5).requiresGrad_();
        y = Tensor.randn(gen, 5, 5);
        z = x.add(y);
        assertTrue(z.requiresGrad());
        assertEquals("AddBackward0", z.gradFn().name());
        z = y.add(x);
        assertTrue(z.requiresGrad());
    }

    /** The seed's noisy points: X = linspace(0, 100, 100), Y = 2.5 X + 1, Gaussian noise (sigma 2) on both. */
    private static Tensor[] noisyLine(long seed) {
        Generator gen = new Generator(seed);
        double[] nx = new double[100];
        double[] ny = new double[100];
        for (int i = 0; i < 100; i++) {
            double xi = 100.0 * i / 99;
            nx[i] = xi + 2 * gen.nextNormal();
            ny[i] = 2.5 * xi + 1.0 + 2 * gen.nextNormal();
        }
        // X = torch.from_numpy(Nx).float(); Y = torch.from_numpy(Ny).float()
        return new Tensor[] {Tensor.tensor(nx, DType.FLOAT64, 100).toFloat(), Tensor.tensor(ny, DType.FLOAT64, 100).toFloat()};
    }

    /** loss = torch.mean((iA*X-Y+iB)**2/(iA**2+1)) */
    private static Tensor lineLoss(Tensor a, Tensor b, Tensor x, Tensor y) {
        return a.mul(x).sub(y).add(b).pow(2).div(a.pow(2).add(1)).mean();
    }

    // Seed 004: the point-to-line distance loss L = mean((a x - y + b)^2 / (a^2 + 1)). By hand, with
    // r_i = a x_i - y_i + b and D = a^2 + 1:
    //   dL/db = (1/N) sum 2 r_i / D
    //   dL/da = (1/N) sum (2 r_i x_i / D - 2 a r_i^2 / D^2)
    @Test
    void lineFitLossGradientMatchesHandDerivation() {
        Tensor[] data = noisyLine(5);
        Tensor x = data[0];
        Tensor y = data[1];
        double[] xs = x.toArray();
        double[] ys = y.toArray();
        int n = xs.length;
        double[][] points = {{0, 0}, {1.3, -0.7}, {2.5, 1.0}, {-0.4, 3.0}};
        for (double[] p : points) {
            Tensor a = Tensor.of(p[0]).requiresGrad_();
            Tensor b = Tensor.of(p[1]).requiresGrad_();
            Tensor loss = lineLoss(a, b, x, y);
            loss.backward();
            double av = a.item();
            double bv = b.item();
            double den = av * av + 1;
            double l = 0;
            double da = 0;
            double db = 0;
            for (int i = 0; i < n; i++) {
                double r = av * xs[i] - ys[i] + bv;
                l += r * r / den / n;
                db += 2 * r / den / n;
                da += (2 * r * xs[i] / den - 2 * av * r * r / (den * den)) / n;
            }
            String at = " at a=" + p[0] + ", b=" + p[1];
            assertEquals(l, loss.item(), 1e-4 * Math.abs(l), "loss" + at);
            assertEquals(da, a.grad().item(), 1e-4 * Math.max(Math.abs(da), 1), "dL/da" + at);
            assertEquals(db, b.grad().item(), 1e-4 * Math.max(Math.abs(db), 1), "dL/db" + at);
            assertArrayEquals(new int[] {1}, a.grad().shape());
        }
    }

    // Seed 004: the gradient-descent fit, exactly as the seed runs it: lr = 1e-9, 1000 epochs, iA and iB
    // start at 0, the update is done under no_grad, and the gradients are never zeroed (so they accumulate
    // from epoch to epoch, like momentum); the best (a, b) is recorded after each update. The seed reports
    // best_a, best_b, best_loss = 2.5111, 0.0280, 4.3868 and a loss curve that rises again at the end.
    @Test
    void lineFitGradientDescentFindsSlopeNearTwoPointFive() {
        Tensor[] data = noisyLine(6);
        Tensor x = data[0];
        Tensor y = data[1];
        double lr = 1e-9;
        Tensor iA = Tensor.of(0.0);
        Tensor iB = Tensor.of(0.0);
        iA.requiresGrad_(true);
        iB.requiresGrad_(true);
        double bestLoss = Double.POSITIVE_INFINITY;
        double bestA = 0;
        double bestB = 0;
        List<Double> lossList = new ArrayList<>();
        int maxEpochs = 1000;
        for (int epoch = 0; epoch < maxEpochs; epoch++) {
            Tensor loss = lineLoss(iA, iB, x, y);
            loss.backward();
            try (var s = GradMode.noGrad()) {
                iA.sub_(iA.grad().mul(lr));
                iB.sub_(iB.grad().mul(lr));
                double cur = loss.item();
                if (cur < bestLoss) {
                    bestA = iA.item();
                    bestB = iB.item();
                    bestLoss = cur;
                }
                lossList.add(cur);
            }
            assertTrue(iA.isLeaf() && iA.requiresGrad());
        }
        double initial = lossList.get(0);
        assertTrue(initial > 1e4, "initial loss " + initial);
        assertTrue(lossList.get(299) < 0.5 * initial, "300 steps reduce the loss: " + lossList.get(299));
        assertTrue(bestLoss < 10, "best loss " + bestLoss);
        assertTrue(Math.abs(bestA - 2.5) < 0.1, "best a " + bestA);
        assertTrue(bestB > 0 && bestB < 0.1, "best b " + bestB);
        assertTrue(lossList.get(maxEpochs - 1) > bestLoss, "the loss rises again at the end");
    }
}
