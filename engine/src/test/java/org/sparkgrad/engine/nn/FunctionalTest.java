package org.sparkgrad.engine.nn;

import static org.sparkgrad.engine.nn.NnAsserts.assertShape;
import static org.sparkgrad.engine.nn.NnAsserts.assertValues;
import static org.sparkgrad.engine.nn.NnAsserts.d;
import static org.sparkgrad.engine.nn.NnAsserts.shape;
import static org.sparkgrad.engine.nn.NnAsserts.t;

import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Gradcheck;
import org.sparkgrad.engine.Tensor;

/**
 * {@link F}: the activations' values against torch 1.13, and a float64 {@link Gradcheck} of every function
 * (first derivatives; second derivatives where the formula is smooth). Inputs avoid the kinks of relu and
 * abs, where finite differences are not defined.
 */
class FunctionalTest {
    /** {@code m = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]]); F.softmax(m, 1), F.softmax(m, 0), F.log_softmax(m, 1)}. */
    @Test
    void softmaxAndLogSoftmaxMatchTorch() {
        Tensor m = t(shape(2, 3), 1, 2, 3, -1, 0, 5);
        assertValues(F.softmax(m, 1), 0.09003057330846786, 0.2447284758090973, 0.6652409434318542, 0.0024561150930821896,
                0.006676412653177977, 0.9908674955368042);
        assertValues(F.softmax(m, 0), 0.8807970285415649, 0.8807970285415649, 0.11920291930437088, 0.11920291930437088,
                0.11920291930437088, 0.8807970285415649);
        assertValues(F.logSoftmax(m, 1), -2.4076058864593506, -1.4076058864593506, -0.40760594606399536, -6.009174346923828,
                -5.009174346923828, -0.009174452163279057);
        assertValues(F.softmax(m, -1), F.softmax(m, 1).toArray());
    }

    @Test
    void activationsMatchTheTensorOps() {
        Tensor v = Tensor.of(-2.0, -0.5, 0.0, 0.5, 3.0);
        assertValues(F.relu(v), v.relu().toArray());
        assertValues(F.sigmoid(v), v.sigmoid().toArray());
        assertValues(F.tanh(v), v.tanh().toArray());
    }

    // =====================================================================================================
    // Gradcheck (float64)

    static Tensor x23() {
        return d(shape(2, 3), 0.3, -1.2, 0.7, 1.5, -0.4, 0.9);
    }

    @Test
    void gradcheckLinear() {
        Tensor x = d(shape(4, 2), 1.0, 2.0, -1.0, 0.5, 0.3, -0.7, 2.0, 1.5);
        Tensor w = d(shape(3, 2), 0.5, -0.25, 0.1, 0.2, -0.3, 0.4);
        Tensor b = d(shape(3), 0.05, -0.1, 0.2);
        Gradcheck.check(in -> F.linear(in[0], in[1], in[2]), x, w, b);
        Gradcheck.check(in -> F.linear(in[0], in[1], null), x, w);
        Gradcheck.checkGradGrad(in -> F.linear(in[0], in[1], in[2]).pow(2), x, w, b);
        Tensor x3 = d(shape(2, 2, 2), 0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7, 0.8);
        Gradcheck.check(in -> F.linear(in[0], in[1], in[2]), x3, w, b);
        Gradcheck.check(in -> F.linear(in[0], in[1], in[2]), d(shape(2), 1.0, -2.0), w, b);
    }

    @Test
    void gradcheckActivations() {
        Gradcheck.check(in -> F.relu(in[0]), x23());
        Gradcheck.check(in -> F.sigmoid(in[0]), x23());
        Gradcheck.check(in -> F.tanh(in[0]), x23());
        Gradcheck.checkGradGrad(in -> F.sigmoid(in[0]), x23());
        Gradcheck.checkGradGrad(in -> F.tanh(in[0]), x23());
    }

    @Test
    void gradcheckSoftmaxAndLogSoftmax() {
        Gradcheck.check(in -> F.softmax(in[0], 1), x23());
        Gradcheck.check(in -> F.softmax(in[0], 0), x23());
        Gradcheck.check(in -> F.logSoftmax(in[0], 1), x23());
        Gradcheck.check(in -> F.logSoftmax(in[0], 0), x23());
        Gradcheck.checkGradGrad(in -> F.logSoftmax(in[0], 1), x23());
    }

    @Test
    void gradcheckRegressionLosses() {
        Tensor y = d(shape(2, 3), 1.0, -0.5, 1.0, 0.0, 0.25, 0.5);
        for (Reduction r : Reduction.values()) {
            Gradcheck.check(in -> F.mseLoss(in[0], in[1], r), x23(), y);
            Gradcheck.check(in -> F.l1Loss(in[0], in[1], r), x23(), y);
        }
        Gradcheck.checkGradGrad(in -> F.mseLoss(in[0], in[1]), x23(), y);
    }

    @Test
    void gradcheckClassificationLosses() {
        Tensor logits = d(shape(4, 3), 2.0, 1.0, 0.1, 0.5, 2.5, -1.0, -0.3, 0.2, 0.9, 1.0, 1.0, 1.0);
        Tensor targets = Tensor.ofLongs(0, 1, 2, 1);
        Tensor withIgnored = Tensor.ofLongs(0, -100, 2, 1);
        for (Reduction r : Reduction.values()) {
            Gradcheck.check(in -> F.crossEntropy(in[0], targets, r), logits);
            Gradcheck.check(in -> F.crossEntropy(in[0], withIgnored, r), logits);
            Gradcheck.check(in -> F.nllLoss(in[0], targets, r), logits);
            Tensor probs = Tensor.tensor(new double[] {1, 0, 0.3, 0.7, 1, 0.5, 0, 0, 1, 0.2, 0.9, 1}, DType.FLOAT64, 4, 3);
            Gradcheck.check(in -> F.binaryCrossEntropyWithLogits(in[0], in[1], r), logits, probs.requiresGrad_());
        }
        Gradcheck.checkGradGrad(in -> F.crossEntropy(in[0], targets), logits);
        Gradcheck.check(in -> F.crossEntropy(in[0], Tensor.ofLongs(1).reshape()), d(shape(3), 0.2, -0.1, 0.5));
        Gradcheck.check(in -> F.crossEntropy(in[0], Tensor.ofLongs(0, 2, 1, 1).reshape(2, 2), Reduction.NONE),
                d(shape(2, 3, 2), 0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, 0.8, -0.9, 1.0, 1.1, -1.2));
    }

    @Test
    void binaryCrossEntropyGradientIsRightAtZeroLogits() {
        // At x = 0, max(x, 0) and |x| have kinks; the loss itself is smooth with derivative sigmoid(0) - y.
        Tensor x = Tensor.zeros(DType.FLOAT64, 3).requiresGrad_();
        Tensor y = Tensor.tensor(new double[] {1, 0, 0.25}, DType.FLOAT64, 3);
        F.binaryCrossEntropyWithLogits(x, y, Reduction.SUM).backward();
        assertValues(x.grad(), -0.5, 0.5, 0.25);
        Gradcheck.check(in -> F.binaryCrossEntropyWithLogits(in[0], y, Reduction.NONE), Tensor.zeros(DType.FLOAT64, 3)
                .requiresGrad_());
        assertShape(F.binaryCrossEntropyWithLogits(x, y, Reduction.NONE), 3);
    }
}
