package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Device;

/**
 * The per-task device choice, with the engine's test device "sim" standing in for a GPU type (any index
 * opens) and "cuda", which has no provider on this module's test class path, for an unusable GPU.
 */
class DeviceChoiceTest {
    private static final String[] NONE = {};

    @Test
    void cpuIsAlwaysTheCpu() {
        assertEquals(new DeviceChoice.TaskDevice(Device.CPU, "cpu"), DeviceChoice.parse("cpu").select(new String[] {"1"}));
    }

    @Test
    void aDeviceTypeTakesTheGpuAddressSparkAssignedToTheTask() {
        DeviceChoice sim = DeviceChoice.parse("sim");
        assertEquals(new DeviceChoice.TaskDevice(Device.of("sim", 1), "sim:1 (Spark GPU address 1)"),
                sim.select(new String[] {"1", "2"}));
        assertEquals(new DeviceChoice.TaskDevice(Device.of("sim", 0), "sim:0"), sim.select(NONE));
        // a fixed index wins over Spark's address
        assertEquals(new DeviceChoice.TaskDevice(Device.of("sim", 3), "sim:3"),
                DeviceChoice.parse(" SIM:3 ").select(new String[] {"1"}));
    }

    @Test
    void autoFallsBackToTheCpuSayingWhy() {
        assertEquals(new DeviceChoice.TaskDevice(Device.CPU, "cpu, because cuda:0 is not usable: no BackendProvider for "
                + "'cuda' is on the class path (add the gpu-worker module)"), DeviceChoice.parse("auto").select(NONE));
        assertEquals(new DeviceChoice.TaskDevice(Device.CPU, "cpu, because cuda:2 (Spark GPU address 2) is not usable: no "
                + "BackendProvider for 'cuda' is on the class path (add the gpu-worker module)"),
                DeviceChoice.AUTO.select(new String[] {"2"}));
    }

    @Test
    void aRequiredDeviceThatCannotBeUsedFailsTheTaskWithTheReason() {
        TrainingException e = assertThrows(TrainingException.class,
                () -> DeviceChoice.parse("cuda").select(new String[] {"0"}));
        assertEquals("device 'cuda' was asked for, but cuda:0 (Spark GPU address 0) is not usable: no BackendProvider for "
                + "'cuda' is on the class path (add the gpu-worker module); use device(\"auto\") to fall back to the CPU",
                e.getMessage());
    }

    @Test
    void badSettingsAndAddressesAreClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceChoice.parse("gpu#1"));
        assertEquals("device must be auto, cpu, cuda or cuda:N (e.g. cuda:0), got 'gpu#1'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DeviceChoice.parse(null));
        assertThrows(IllegalArgumentException.class, () -> DeviceChoice.parse("cuda:-1"));
        TrainingException t = assertThrows(TrainingException.class,
                () -> DeviceChoice.parse("sim").select(new String[] {"GPU-8f2e"}));
        assertEquals("Spark assigned this task GPU address 'GPU-8f2e', which is not a device index: the GPU discovery "
                + "script must list indices such as 0, 1 (as conf/gpu-discovery.sh does)", t.getMessage());
    }
}
