package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkgrad.engine.nn.NnAsserts.assertContains;
import static org.sparkgrad.engine.nn.NnAsserts.assertShape;
import static org.sparkgrad.engine.nn.NnAsserts.assertValues;
import static org.sparkgrad.engine.nn.NnAsserts.message;
import static org.sparkgrad.engine.nn.NnAsserts.shape;
import static org.sparkgrad.engine.nn.NnAsserts.t;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/**
 * The loss modules and their functional forms: values and input gradients for every reduction against
 * torch 1.13, ignore_index, the other accepted shapes, and the error messages. Expected values were recorded
 * from torch 1.13 with:
 * <pre>
 * inp = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
 * tgt = torch.tensor([[1.0, -0.5, 1.0], [0.0, 0.25, 0.5]])            # bce: [[1., 0., 1.], [0., 0.3, 1.]]
 * w = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]])
 * for red in ["mean", "sum", "none"]:
 *     x = inp.clone().requires_grad_(); l = nn.MSELoss(reduction=red)(x, tgt)   # also L1Loss, BCEWithLogitsLoss
 *     (l if red != "none" else (l * w).sum()).backward()                       # print l, x.grad
 * logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [-0.3, 0.2, 0.9], [1.0, 1.0, 1.0]])
 * targets = torch.tensor([0, 1, 2, 1]); wn = torch.tensor([1.0, -2.0, 0.5, 3.0])
 * x = logits.clone().requires_grad_(); l = nn.CrossEntropyLoss(reduction=red)(x, targets)
 * (l if red != "none" else (l * wn).sum()).backward()
 * </pre>
 */
class LossTest {
    static Tensor inp() {
        return t(shape(2, 3), 0.5, -1.0, 2.0, 1.5, 0.25, -0.75).requiresGrad_();
    }

    static final Tensor TGT = t(shape(2, 3), 1.0, -0.5, 1.0, 0.0, 0.25, 0.5);
    static final Tensor BCE_TGT = t(shape(2, 3), 1.0, 0.0, 1.0, 0.0, 0.3, 1.0);
    static final Tensor W = t(shape(2, 3), 1.0, 2.0, 3.0, -1.0, 0.5, 0.25);

    static Tensor logits() {
        return t(shape(4, 3), 2.0, 1.0, 0.1, 0.5, 2.5, -1.0, -0.3, 0.2, 0.9, 1.0, 1.0, 1.0).requiresGrad_();
    }

    static final Tensor TARGETS = Tensor.ofLongs(0, 1, 2, 1);
    static final Tensor WN = Tensor.of(1.0, -2.0, 0.5, 3.0);

    /** Runs loss on a fresh input leaf, back-propagates (weighted by w when unreduced), checks value and gradient. */
    static void check(Function<Tensor, Tensor> loss, Tensor input, Tensor w, double[] value, double[] grad) {
        Tensor l = loss.apply(input);
        assertValues(l, value);
        if (l.dim() == 0) {
            l.backward();
        } else {
            assertShape(l, input.shape());
            l.mul(w).sum().backward();
        }
        assertValues(input.grad(), grad);
    }

    static double[] v(double... values) {
        return values;
    }

    @Test
    void mseLossMatchesTorchForEveryReduction() {
        check(x -> new MSELoss().forward(x, TGT), inp(), W, v(0.8854166865348816),
                v(-0.1666666716337204, -0.1666666716337204, 0.3333333432674408, 0.5, 0.0, -0.4166666865348816));
        check(x -> new MSELoss(Reduction.SUM).forward(x, TGT), inp(), W, v(5.3125), v(-1.0, -1.0, 2.0, 3.0, 0.0, -2.5));
        check(x -> new MSELoss(Reduction.NONE).forward(x, TGT), inp(), W, v(0.25, 0.25, 1.0, 2.25, 0.0, 1.5625),
                v(-1.0, -2.0, 6.0, -3.0, 0.0, -0.625));
        assertValues(F.mseLoss(inp(), TGT), 0.8854166865348816);
    }

    @Test
    void l1LossMatchesTorchForEveryReduction() {
        // Element (1, 1) has input == target: the gradient there is 0, as in PyTorch.
        check(x -> new L1Loss().forward(x, TGT), inp(), W, v(0.7916666865348816),
                v(-0.1666666716337204, -0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0.0, -0.1666666716337204));
        check(x -> new L1Loss(Reduction.SUM).forward(x, TGT), inp(), W, v(4.75), v(-1.0, -1.0, 1.0, 1.0, 0.0, -1.0));
        check(x -> new L1Loss(Reduction.NONE).forward(x, TGT), inp(), W, v(0.5, 0.5, 1.0, 1.5, 0.0, 1.25),
                v(-1.0, -2.0, 3.0, -1.0, 0.0, -0.25));
        assertValues(F.l1Loss(inp(), TGT), 0.7916666865348816);
    }

    @Test
    void bceWithLogitsLossMatchesTorchForEveryReduction() {
        check(x -> new BCEWithLogitsLoss().forward(x, BCE_TGT), inp(), W, v(0.7505817413330078),
                v(-0.06292343884706497, 0.04482357203960419, -0.01986716128885746, 0.13626240193843842, 0.0436960868537426,
                        -0.11319645494222641));
        check(x -> new BCEWithLogitsLoss(Reduction.SUM).forward(x, BCE_TGT), inp(), W, v(4.503490447998047),
                v(-0.377540647983551, 0.2689414322376251, -0.11920297145843506, 0.8175744414329529, 0.262176513671875,
                        -0.6791787147521973));
        check(x -> new BCEWithLogitsLoss(Reduction.NONE).forward(x, BCE_TGT), inp(), W,
                v(0.4740769863128662, 0.31326165795326233, 0.12692804634571075, 1.7014133930206299, 0.7509394288063049,
                        1.1368709802627563),
                v(-0.377540647983551, 0.5378828644752502, -0.3576089143753052, -0.8175744414329529, 0.1310882568359375,
                        -0.16979467868804932));
    }

    /**
     * {@code x = torch.tensor([0.0, 0.0, 50.0, -50.0, 100.0], requires_grad=True); y = torch.tensor([1.0, 0.0, 0.0,
     * 1.0, 1.0]); l = F.binary_cross_entropy_with_logits(x, y, reduction="none"); l.sum().backward()}.
     */
    @Test
    void bceWithLogitsIsStableForLargeLogitsAndExactAtZero() {
        Tensor x = Tensor.of(0.0, 0.0, 50.0, -50.0, 100.0).requiresGrad_();
        Tensor y = Tensor.of(1.0, 0.0, 0.0, 1.0, 1.0);
        Tensor l = F.binaryCrossEntropyWithLogits(x, y, Reduction.NONE);
        assertValues(l, 0.6931471824645996, 0.6931471824645996, 50.0, 50.0, 0.0);
        l.sum().backward();
        assertValues(x.grad(), -0.5, 0.5, 1.0, -1.0, 0.0);
    }

    @Test
    void crossEntropyLossMatchesTorchForEveryReduction() {
        check(x -> new CrossEntropyLoss().forward(x, TARGETS), logits(), WN, v(0.5638431906700134),
                v(-0.08524970710277557, 0.06060824543237686, 0.024641474708914757, 0.0290286336094141, -0.03550580143928528,
                        0.006477163638919592, 0.04188419133424759, 0.06905536353588104, -0.11093956232070923,
                        0.0833333283662796, -0.1666666716337204, 0.0833333283662796));
        check(x -> new CrossEntropyLoss(Reduction.SUM).forward(x, TARGETS), logits(), WN, v(2.2553727626800537),
                v(-0.3409988284111023, 0.24243298172950745, 0.09856589883565903, 0.1161145344376564, -0.1420232057571411,
                        0.025908654555678368, 0.16753676533699036, 0.27622145414352417, -0.4437582492828369,
                        0.3333333134651184, -0.6666666865348816, 0.3333333134651184));
        Tensor x = logits();
        Tensor l = new CrossEntropyLoss(Reduction.NONE).forward(x, TARGETS);
        assertShape(l, 4);
        assertValues(l, 0.4170299470424652, 0.15317824482917786, 0.5865523219108582, 1.0986123085021973);
        l.mul(WN).sum().backward();
        assertValues(x.grad(), -0.3409988284111023, 0.24243298172950745, 0.09856589883565903, -0.2322290688753128,
                0.2840464115142822, -0.051817309111356735, 0.08376838266849518, 0.13811072707176208, -0.22187912464141846,
                0.9999999403953552, -2.0, 0.9999999403953552);
    }

    /** {@code F.nll_loss(F.log_softmax(logits, 1), targets)} equals the cross entropy. */
    @Test
    void nllLossOfLogSoftmaxIsCrossEntropy() {
        Tensor x = logits();
        assertValues(F.nllLoss(F.logSoftmax(x, 1), TARGETS), 0.5638431906700134);
        assertValues(F.nllLoss(F.logSoftmax(x, 1), TARGETS, Reduction.NONE),
                F.crossEntropy(x, TARGETS, Reduction.NONE).toArray());
        // -logProbs[n, target[n]] exactly, on arbitrary values.
        Tensor lp = t(shape(2, 3), -1, -2, -3, -4, -5, -6);
        assertValues(F.nllLoss(lp, Tensor.ofLongs(2, 0), Reduction.NONE), 3, 4);
        assertValues(F.nllLoss(lp, Tensor.ofLongs(2, 0), Reduction.SUM), 7);
    }

    /**
     * {@code tig = torch.tensor([0, -100, 2, 1]); F.cross_entropy(x, tig, reduction=red)} and
     * {@code F.cross_entropy(x, torch.tensor([0, 2, 2, 1]), ignore_index=2)}.
     */
    @Test
    void crossEntropySkipsIgnoredTargets() {
        Tensor tig = Tensor.ofLongs(0, -100, 2, 1);
        check(x -> F.crossEntropy(x, tig), logits(), WN, v(0.7007315158843994),
                v(-0.11366628110408783, 0.08081099390983582, 0.03285530209541321, 0.0, 0.0, 0.0, 0.05584558844566345,
                        0.09207382053136826, -0.1479194164276123, 0.1111111044883728, -0.222222238779068, 0.1111111044883728));
        check(x -> F.crossEntropy(x, tig, Reduction.SUM), logits(), WN, v(2.1021945476531982),
                v(-0.3409988284111023, 0.24243298172950745, 0.09856589883565903, 0.0, 0.0, 0.0, 0.16753676533699036,
                        0.27622145414352417, -0.4437582492828369, 0.3333333134651184, -0.6666666865348816, 0.3333333134651184));
        Tensor x = logits();
        Tensor l = F.crossEntropy(x, tig, Reduction.NONE);
        assertValues(l, 0.4170299470424652, 0.0, 0.5865523219108582, 1.0986123085021973);
        l.mul(WN).sum().backward();
        assertValues(x.grad(), -0.3409988284111023, 0.24243298172950745, 0.09856589883565903, 0.0, 0.0, 0.0,
                0.08376838266849518, 0.13811072707176208, -0.22187912464141846, 0.9999999403953552, -2.0, 0.9999999403953552);

        CrossEntropyLoss ignoreTwo = new CrossEntropyLoss(Reduction.MEAN, 2);
        assertEquals(2, ignoreTwo.ignoreIndex());
        check(z -> ignoreTwo.forward(z, Tensor.ofLongs(0, 2, 2, 1)), logits(), WN, v(0.7578211426734924),
                v(-0.17049941420555115, 0.12121649086475372, 0.049282949417829514, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                        0.1666666567325592, -0.3333333432674408, 0.1666666567325592));
        // Every target ignored: the mean is 0/0 = NaN, as in PyTorch.
        assertTrue(Double.isNaN(F.crossEntropy(logits(), Tensor.ofLongs(-100, -100, -100, -100)).item()));
    }

    /**
     * {@code F.cross_entropy(torch.tensor([2.0, 1.0, 0.1]), torch.tensor(2))} and, for [N, C, d]:
     * {@code F.cross_entropy(torch.arange(12.).reshape(2, 3, 2).sin(), torch.tensor([[0, 2], [1, 1]]), reduction="none")}.
     */
    @Test
    void crossEntropyAcceptsASingleSampleAndExtraDimensions() {
        Tensor one = F.crossEntropy(Tensor.of(2.0, 1.0, 0.1), Tensor.ofLongs(2).reshape());
        assertShape(one);
        assertValues(one, 2.3170299530029297);
        Tensor kd = F.crossEntropy(Tensor.arange(12).reshape(2, 3, 2).sin(), Tensor.ofLongs(0, 2, 1, 1).reshape(2, 2),
                Reduction.NONE);
        assertShape(kd, 2, 2);
        assertValues(kd, 1.3741564750671387, 2.3082032203674316, 0.4034506678581238, 0.9246881604194641);
    }

    @Test
    void lossModulesPrintAndKeepTheirReduction() {
        assertEquals("MSELoss()", new MSELoss().toString());
        assertEquals("L1Loss()", new L1Loss().toString());
        assertEquals("CrossEntropyLoss()", new CrossEntropyLoss().toString());
        assertEquals("BCEWithLogitsLoss()", new BCEWithLogitsLoss(Reduction.SUM).toString());
        assertEquals(Reduction.MEAN, new MSELoss().reduction());
        assertEquals(Reduction.NONE, new L1Loss(Reduction.NONE).reduction());
        assertEquals(-100, new CrossEntropyLoss().ignoreIndex());
        assertEquals(Reduction.SUM, Reduction.of("sum"));
        assertEquals("none", Reduction.NONE.pyName());
        assertEquals("avg is not a valid value for reduction (expected mean, sum or none)",
                message(IllegalArgumentException.class, () -> Reduction.of("avg")));
        assertContains(message(NullPointerException.class, () -> new MSELoss(null)), "reduction");
        assertContains(message(NullPointerException.class, () -> F.mseLoss(inp(), TGT, null)), "reduction");
    }

    @Test
    void lossesOfAModelOutputBackPropagateToItsParameters() {
        Linear lin = new Linear(3, 1);
        Tensor x = t(shape(2, 3), 0.5, -1.0, 2.0, 1.5, 0.25, -0.75);
        Tensor loss = new MSELoss().forward(lin.forward(x), t(shape(2, 1), 1, 0));
        assertNull(lin.weight().grad());
        loss.backward();
        assertShape(lin.weight().grad(), 1, 3);
        assertShape(lin.bias().grad(), 1);
    }

    // =====================================================================================================
    // Errors

    @Test
    void lossModulesTakePyTorchsWeightsAndSmoothing() {
        Tensor x = Tensor.tensor(new double[][] {{0.5, -1.0, 2.0}, {1.5, 0.25, -0.5}}, DType.FLOAT64);
        Tensor w = Tensor.tensor(new double[] {0.5, 2.0, 1.25}, DType.FLOAT64, 3);
        // torch.nn.CrossEntropyLoss(weight=w, label_smoothing=0.2)(x, tensor([2, 0])) in torch 1.13
        Tensor ce = new CrossEntropyLoss(w, Reduction.MEAN, F.DEFAULT_IGNORE_INDEX, 0.2).forward(x, Tensor.ofLongs(2, 0));
        assertEquals(0.7507092375009148, ce.item(), 1e-12);
        Tensor y = Tensor.tensor(new double[][] {{1.0, 0.0, 0.5}, {0.25, 1.0, 0.0}}, DType.FLOAT64);
        Tensor pw = Tensor.tensor(new double[] {3.0, 0.5, 1.0}, DType.FLOAT64, 3);
        // torch.nn.BCEWithLogitsLoss(weight=w, pos_weight=pw)(x, y)
        assertEquals(0.7713990789502271, new BCEWithLogitsLoss(w, pw, Reduction.MEAN).forward(x, y).item(), 1e-12);
        assertContains(message(IllegalArgumentException.class,
                () -> new CrossEntropyLoss(w, Reduction.MEAN, -100, 1.5).forward(x, Tensor.ofLongs(2, 0))),
                "label_smoothing must be between 0.0 and 1.0. Got: 1.5");
        assertContains(message(IllegalArgumentException.class,
                () -> F.nllLoss(x, Tensor.ofLongs(2, 0), Tensor.ones(DType.FLOAT64, 2), Reduction.MEAN, -100)),
                "weight tensor should be defined either for all 3 classes or no classes", "[2]");
    }

    @Test
    void regressionLossesRejectDifferentShapesNamingBoth() {
        String m = message(IllegalArgumentException.class, () -> F.mseLoss(Tensor.zeros(3, 1), Tensor.zeros(3)));
        assertContains(m, "mse_loss", "target size (torch.Size([3]))", "input size (torch.Size([3, 1]))");
        assertContains(message(IllegalArgumentException.class, () -> new L1Loss().forward(Tensor.zeros(4), Tensor.zeros(2, 2))),
                "l1_loss", "[2, 2]", "[4]");
        assertEquals("Target size (torch.Size([3])) must be the same as input size (torch.Size([3, 1]))",
                message(IllegalArgumentException.class, () -> F.binaryCrossEntropyWithLogits(Tensor.zeros(3, 1), Tensor.zeros(3))));
        assertContains(message(IllegalArgumentException.class,
                () -> F.binaryCrossEntropyWithLogits(Tensor.zeros(2), Tensor.ofLongs(0, 1))), "floating-point target", "int64");
    }

    @Test
    void crossEntropyRejectsBadTargets() {
        assertEquals("Expected input batch_size (4) to match target batch_size (3).",
                message(IllegalArgumentException.class, () -> F.crossEntropy(Tensor.zeros(4, 3), Tensor.ofLongs(0, 1, 2))));
        String range = message(IndexOutOfBoundsException.class,
                () -> new CrossEntropyLoss().forward(Tensor.zeros(3, 3), Tensor.ofLongs(0, 1, 5)));
        assertContains(range, "Target 5 is out of bounds", "3 classes", "[0, 2]");
        assertContains(message(IndexOutOfBoundsException.class, () -> F.nllLoss(Tensor.zeros(3, 3), Tensor.ofLongs(-1, 0, 0))),
                "Target -1 is out of bounds");
        String dtype = message(IllegalArgumentException.class, () -> F.crossEntropy(Tensor.zeros(3, 3), Tensor.of(0, 1, 2)));
        assertContains(dtype, "cross_entropy", "int64", "float32", "expected scalar type Long but found Float");
        assertContains(message(IllegalArgumentException.class,
                () -> F.crossEntropy(Tensor.zeros(3, 3), Tensor.ofLongs(0, 1, 2).reshape(3, 1))),
                "Expected target size [3], got [3, 1]");
        assertContains(message(IllegalArgumentException.class,
                () -> F.crossEntropy(Tensor.zeros(2, 3, 4), Tensor.ofLongs(new long[10]).reshape(2, 5))),
                "Expected target size [2, 4], got [2, 5]");
        assertContains(message(IllegalArgumentException.class,
                () -> F.crossEntropy(Tensor.zeros(DType.INT64, 2, 3), Tensor.ofLongs(0, 1))), "floating-point input", "int64");
        assertContains(message(IllegalArgumentException.class, () -> F.crossEntropy(Tensor.scalar(1), Tensor.ofLongs(0))),
                "0-d");
    }
}
