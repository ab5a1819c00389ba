package org.sparkgrad.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Devices;
import org.sparkgrad.engine.Tensor;

/** Device selection with gpu-worker on the class path but no usable GPU: everything stays on the CPU. */
class FallbackSelectionTest {
    @BeforeEach
    void noGpu() {
        assumeFalse(CudaProbe.probe(0).available(), "a CUDA device is usable here");
    }

    @Test
    void cudaIsNotAvailableAndAutoIsCpu() {
        assertFalse(Devices.cudaAvailable());
        assertEquals(Device.CPU, Devices.auto());
    }

    @Test
    void cudaTensorsFailWithTheEnginesError() {
        Tensor x = Tensor.of(1, 2, 3);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.to(Device.cuda(0)));
        assertTrue(e.getMessage().contains("No backend for device cuda:0"), e.getMessage());
        // the engine's error carries the provider's reason, the same one the probe gives
        assertTrue(e.getMessage().endsWith(CudaProbe.probe(0).reason()), e.getMessage());
        assertEquals(CudaProbe.probe(0).reason(), Devices.unavailableReason(Device.cuda(0)));
        assertEquals(Device.CPU, x.device());
    }
}
