package org.sparkgrad.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;

/** CudaBackend against the CPU backend; skipped (not passed) where no CUDA device is usable. */
class CudaBackendTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needsCuda() {
        CudaProbe.Result r = CudaProbe.probe(0);
        assumeTrue(r.available(), () -> "no usable CUDA device: " + r.reason());
    }

    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Generator(seed), shape);
    }

    private static void assertClose(Tensor cpu, Tensor gpu) {
        assertEquals(GPU, gpu.device());
        assertArrayEquals(cpu.toArray(), gpu.to(Device.CPU).toArray(), 1e-4);
    }

    @Test
    void roundTripKeepsValues() {
        Tensor x = randn(1, 3, 4);
        assertArrayEquals(x.toFloatArray(), x.to(GPU).toFloatArray(), 0f);
        Tensor l = Tensor.ofLongs(3, -2, 7);
        assertArrayEquals(l.toArray(), l.to(GPU).toArray(), 0);
    }

    @Test
    void broadcastBinaryUnaryAndComparison() {
        Tensor a = randn(2, 3, 4);
        Tensor b = randn(3, 4);
        Tensor ga = a.to(GPU);
        Tensor gb = b.to(GPU);
        assertClose(a.add(b), ga.add(gb));
        assertClose(a.exp().relu(), ga.exp().relu());
        assertClose(a.gt(b), ga.gt(gb));
        assertClose(Tensor.where(a.gt(0), a, b), Tensor.where(ga.gt(0), ga, gb));
    }

    @Test
    void matmulWithTransposedOperandsAndBatches() {
        Tensor a = randn(4, 5, 3);
        Tensor b = randn(5, 5, 6);
        assertClose(a.t().matmul(b), a.to(GPU).t().matmul(b.to(GPU)));
        Tensor x = randn(6, 2, 5, 3);
        Tensor y = randn(7, 2, 3, 4);
        assertClose(x.matmul(y), x.to(GPU).matmul(y.to(GPU)));
        Tensor d = randn(8, 4, 4).to(DType.FLOAT64);
        assertClose(d.matmul(d.t()), d.to(GPU).matmul(d.to(GPU).t()));
    }

    @Test
    void reductionsArgmaxAndGather() {
        Tensor x = randn(9, 3, 5);
        Tensor g = x.to(GPU);
        assertClose(x.sum(1), g.sum(1));
        assertClose(x.sum(), g.sum());
        assertClose(x.argmax(1), g.argmax(1));
        Tensor idx = Tensor.ofLongs(0, 2, 1, 0, 2).reshape(1, 5);
        assertClose(x.gather(0, idx), g.gather(0, idx.to(GPU)));
    }

    @Test
    void softmaxAndLogSoftmaxForwardAndBackwardAlongEveryDim() {
        Tensor x = randn(10, 4, 3, 5).transpose(0, 2); // [5, 3, 4], not dense
        Tensor g = randn(11, 5, 3, 4);
        for (int dim : new int[] {0, 1, 2, -1}) {
            for (boolean log : new boolean[] {false, true}) {
                Tensor xc = x.detach().requiresGrad_();
                Tensor xg = x.to(GPU).detach().requiresGrad_();
                Tensor yc = log ? xc.logSoftmax(dim) : xc.softmax(dim);
                Tensor yg = log ? xg.logSoftmax(dim) : xg.softmax(dim);
                assertClose(yc, yg);
                yc.backward(g);
                yg.backward(g.to(GPU));
                assertClose(xc.grad(), xg.grad());
            }
        }
        Tensor inf = Tensor.tensor(new float[] {1, Float.NEGATIVE_INFINITY, 2, Float.NEGATIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 2, 3);
        assertClose(inf.softmax(1), inf.to(GPU).softmax(1));
    }
}
