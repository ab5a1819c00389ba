package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.ReLU;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.optim.SGD;

/**
 * Ops dispatch to the backend of their tensors' device (a second "sim" device from the test class path,
 * found through ServiceLoader as gpu-worker's CUDA backend will be), and devices never mix.
 */
class DeviceDispatchTest {
    private static final Device SIM = Device.of("sim", 0);

    @Test
    void tensorsMoveToAnotherDeviceAndComputeThere() {
        Tensor x = Tensor.tensor(new float[][] {{1, -2}, {3, 4}});
        Tensor s = x.to(SIM);
        assertEquals(SIM, s.device());
        assertSame(s, s.to(SIM), "to() the same device is a no-op");
        Tensor r = s.mm(s).relu().add(1).sum(0, false);
        assertEquals(SIM, r.device());
        assertArrayEquals(x.mm(x).relu().add(1).sum(0, false).toArray(), r.toArray(), 0);
        // [[1, -2], [3, 4]] @ itself = [[-5, -10], [15, 10]] -> relu -> +1 -> column sums [17, 12]
        assertEquals("tensor([17., 12.], device='sim:0')", r.toString());
        assertEquals(Device.CPU, r.to(Device.CPU).device());
    }

    @Test
    void mixingDevicesInOneOpIsAnError() {
        Tensor cpu = Tensor.of(1, 2);
        Tensor sim = Tensor.of(1, 2).to(SIM);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.add(sim));
        assertEquals("Expected all tensors to be on the same device, but found at least two devices, cpu and sim:0!",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> sim.mm(Tensor.ones(2, 2)).sum());
        assertThrows(IllegalArgumentException.class, () -> Tensor.cat(0, cpu, sim));
        // copy_ is the exception, as in PyTorch: it copies between devices
        Tensor target = Tensor.zeros(2).to(SIM);
        target.copy_(Tensor.of(7, 8));
        assertEquals(SIM, target.device());
        assertArrayEquals(new float[] {7, 8}, target.toFloatArray(), 0);
        // Java scalars follow the tensor's device.
        assertEquals(SIM, sim.mul(3).device());
    }

    @Test
    void gradientsFlowBackAcrossDevices() {
        Tensor w = Tensor.tensor(new double[] {0.5, -1.5, 2}, DType.FLOAT64, 3).requiresGrad_();
        Tensor onSim = w.to(SIM);
        assertEquals("ToCopyBackward0", onSim.gradFn().name());
        Tensor loss = onSim.mul(onSim).sum();
        loss.backward();
        assertEquals(Device.CPU, w.grad().device());
        assertArrayEquals(new double[] {1, -3, 4}, w.grad().toArray(), 0);
    }

    @Test
    void anMlpStepOnTheOtherDeviceMatchesTheCpu() {
        Generator g = new Generator(11);
        Tensor x = Tensor.randn(g, 8, 5);
        Tensor w1 = Tensor.randn(g, 5, 4);
        Tensor w2 = Tensor.randn(g, 4, 1);
        double[][] grads = new double[2][];
        for (int run = 0; run < 2; run++) {
            Device d = run == 0 ? Device.CPU : SIM;
            Tensor a = w1.to(d).clone().detach().requiresGrad_();
            Tensor b = w2.to(d).clone().detach().requiresGrad_();
            Tensor out = x.to(d).mm(a).clampMin(0).mm(b).sub(1).pow(2).mean();
            out.backward();
            assertEquals(d, a.grad().device());
            grads[run] = a.grad().toArray();
        }
        assertArrayEquals(grads[0], grads[1], 0);
    }

    @Test
    void moduleToMovesParametersInPlaceSoAnEarlierOptimizerStillUpdatesThem() {
        float[][] result = new float[2][];
        for (int run = 0; run < 2; run++) {
            Sequential net = new Sequential(new Linear(3, 4, true, new Generator(5)), new ReLU(),
                    new Linear(4, 1, true, new Generator(6)));
            Parameter w = net.parameters().get(0);
            SGD opt = new SGD(net.parameters(), 0.1);
            Device d = run == 0 ? Device.CPU : SIM;
            assertSame(net, net.to(d));
            assertSame(w, net.parameters().get(0), "the same parameter object, now on " + d);
            assertEquals(d, w.device());
            assertTrue(w.requiresGrad() && w.isLeaf());
            Tensor x = Tensor.randn(new Generator(7), 6, 3).to(d);
            net.forward(x).pow(2).mean().backward();
            assertEquals(d, w.grad().device());
            opt.step();
            result[run] = w.toFloatArray();
        }
        assertArrayEquals(result[0], result[1], 0);
    }

    @Test
    void moduleToItsOwnDeviceChangesNothing() {
        Linear l = new Linear(2, 2, true, new Generator(1));
        Tensor w = l.parameters().get(0);
        float[] before = w.toFloatArray();
        l.to(Device.CPU);
        assertTrue(w.isLeaf() && w.requiresGrad());
        assertSame(w, w.detach_(), "still a plain leaf, not a view of itself");
        assertArrayEquals(before, w.toFloatArray(), 0);
    }

    @Test
    void moduleToMovesGradients() {
        Linear l = new Linear(2, 2, true, new Generator(1));
        l.forward(Tensor.ones(1, 2)).sum().backward();
        float[] g = l.parameters().get(0).grad().toFloatArray();
        l.to(SIM);
        assertEquals(SIM, l.parameters().get(0).grad().device());
        assertArrayEquals(g, l.parameters().get(0).grad().toFloatArray(), 0);
        l.to(Device.CPU);
        assertEquals(Device.CPU, l.parameters().get(1).device());
    }

    @Test
    void setDataSwapsValuesOfALeafAndRefusesNonLeaves() {
        Tensor p = Tensor.of(1, 2, 3).requiresGrad_();
        p.mul(2).sum().backward();
        p.setData(Tensor.of(5, 6, 7));
        assertArrayEquals(new float[] {5, 6, 7}, p.toFloatArray(), 0);
        assertTrue(p.requiresGrad());
        assertArrayEquals(new float[] {2, 2, 2}, p.grad().toFloatArray(), 0, "a gradient that still fits stays");
        p.setData(Tensor.of(1, 2));
        assertEquals(null, p.grad(), "a gradient of the old shape goes");
        assertArrayEquals(new int[] {2}, p.shape());
        Tensor y = p.mul(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.setData(Tensor.of(1, 2)));
        assertEquals("setData is for leaf tensors (e.g. parameters); this tensor was made by MulBackward0. "
                + "Use detach() to get a leaf first", e.getMessage());
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> p.setData(Tensor.ofLongs(1, 2)));
        assertTrue(t.getMessage().contains("can't take data of type int64"), t.getMessage());
    }

    @Test
    void anUnknownDeviceTypeSaysWhy() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Tensor.of(1).to(Device.of("tpu", 0)));
        assertEquals("No backend for device tpu:0: no BackendProvider for 'tpu' is on the class path", e.getMessage());
        assertFalse(Devices.cudaAvailable(), "no CUDA provider on the engine's test class path");
        assertEquals(Device.CPU, Devices.auto());
    }
}
