package org.sparkgrad.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.backend.Backend;
import org.sparkgrad.engine.backend.CpuBackend;
import org.sparkgrad.engine.backend.Strided;

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
    void int64AndBoolIndexSelectGatherAndAddInPlaceMatchTheCpu() {
        Tensor labels = Tensor.ofLongs(3, -2, 7, 9, 0, 1L << 40);
        Tensor perm = Tensor.ofLongs(5, 0, 2, 2, -1);
        Tensor gl = labels.to(GPU).indexSelect(0, perm.to(GPU));
        assertEquals(DType.INT64, gl.dtype());
        assertClose(labels.indexSelect(0, perm), gl);
        Tensor mask = labels.gt(1);
        Tensor gm = mask.to(GPU).indexSelect(0, perm.to(GPU));
        assertEquals(mask.dtype(), gm.dtype());
        assertClose(mask.indexSelect(0, perm), gm);
        Tensor m = Tensor.tensor(new double[] {1, 2, 3, 4, 5, 6}, DType.INT64, 2, 3);
        Tensor idx = Tensor.ofLongs(2, 0, 1, 1, 2, 0).reshape(2, 3);
        assertClose(m.gather(1, idx), m.to(GPU).gather(1, idx.to(GPU)));
        Tensor acc = Tensor.ofLongs(1, 2, -3);
        Tensor gacc = acc.to(GPU);
        Tensor step = Tensor.ofLongs(10, 20, 30);
        acc.add_(step, 2);
        gacc.add_(step.to(GPU), 2);
        assertEquals(DType.INT64, gacc.dtype());
        assertClose(acc, gacc);
        acc.add_(step);
        gacc.add_(step.to(GPU));
        assertClose(acc, gacc);
    }

    @Test
    void scatterAddIntoInt64AndAnIndexOutOfRangeMatchTheCpu() {
        Backend cuda = new CudaBackendProvider().backend(0).orElseThrow();
        Backend cpu = CpuBackend.INSTANCE;
        double[] start = {1, 2, 3};
        double[] index = {2, 0, 2, -1};
        double[] src = {5, 6, 7, 8};
        double[] expected = new double[3];
        for (Backend b : new Backend[] {cpu, cuda}) {
            Strided out = Strided.contiguous(b.fromHost(DType.INT64, start), new int[] {3});
            b.scatterAdd(out, 0, Strided.contiguous(b.fromHost(DType.INT64, index), new int[] {4}),
                    Strided.contiguous(b.fromHost(DType.INT64, src), new int[] {4}));
            double[] got = b.toHostDouble(out);
            if (b == cpu) {
                System.arraycopy(got, 0, expected, 0, 3);
            } else {
                assertArrayEquals(expected, got, 0);
            }
        }
        assertArrayEquals(new double[] {7, 2, 23}, expected, 0);
        Strided x = Strided.contiguous(cuda.fromHost(DType.INT64, start), new int[] {3});
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> cuda.gather(x, 0,
                Strided.contiguous(cuda.fromHost(DType.INT64, new double[] {3}), new int[] {1}),
                Strided.contiguous(cuda.allocate(DType.INT64, 1), new int[] {1})));
        assertTrue(e.getMessage().contains("size 3"), e.getMessage());
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
