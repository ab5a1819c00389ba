package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The backend conformance suite on CUDA device 0: every op's forward and backward matches the CPU backend.
 * Skipped (reported as skipped, not passed) where no CUDA device is usable. In package org.sparkgrad.engine
 * to reach the engine's package-private test classes from the engine test-jar.
 */
class CudaConformanceTest extends BackendConformance {
    @Override
    protected Device device() {
        return Device.cuda(0);
    }

    @Override
    protected void assumeDeviceAvailable() {
        // through the engine's device lookup, as users reach it (the provider probes once per JVM)
        assumeTrue(Devices.cudaAvailable(), () -> "no usable CUDA device: " + Devices.unavailableReason(device()));
    }
}
