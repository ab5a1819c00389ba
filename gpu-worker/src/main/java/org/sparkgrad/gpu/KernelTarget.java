package org.sparkgrad.gpu;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What NVRTC compiles the kernels to for one device. SASS for the device's exact architecture ({@code sm_XY},
 * loaded as a cubin) is the default: a cubin loads on any driver of the same CUDA major version, while PTX
 * from a newer NVRTC than the driver is rejected (CUDA_ERROR_UNSUPPORTED_PTX_VERSION). Only a device newer
 * than the installed NVRTC gets PTX for the newest architecture NVRTC knows below it ({@code compute_XY}),
 * which the driver JIT-compiles for the device.
 *
 * @param arch the value of NVRTC's {@code --gpu-architecture} option
 * @param cubin whether NVRTC emits a cubin (else PTX)
 */
record KernelTarget(String arch, boolean cubin) {
    /**
     * The target for a device of compute capability {@code major.minor} given NVRTC's supported architectures
     * ({@code nvrtcGetSupportedArchs}, e.g. 75 for sm_75).
     *
     * @throws IllegalStateException when the device is older than every architecture NVRTC supports
     */
    static KernelTarget choose(int major, int minor, int[] supported) {
        int device = major * 10 + minor;
        if (Arrays.stream(supported).anyMatch(a -> a == device)) {
            return new KernelTarget("sm_" + device, true);
        }
        int best = Arrays.stream(supported).filter(a -> a <= device).max().orElse(-1);
        if (best < 0) {
            throw new IllegalStateException("NVRTC supports " + Arrays.stream(supported).sorted()
                    .mapToObj(a -> "sm_" + a).collect(Collectors.joining(", ")) + ", none of them at or below the device's sm_"
                    + device);
        }
        return new KernelTarget("compute_" + best, false);
    }
}
