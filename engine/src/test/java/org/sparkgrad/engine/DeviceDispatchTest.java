package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

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
    void anUnknownDeviceTypeSaysWhy() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Tensor.of(1).to(Device.of("tpu", 0)));
        assertTrue(e.getMessage().startsWith("No backend for device tpu:0"), e.getMessage());
        assertFalse(Devices.cudaAvailable(), "no CUDA provider on the engine's test class path");
        assertEquals(Device.CPU, Devices.auto());
    }
}
