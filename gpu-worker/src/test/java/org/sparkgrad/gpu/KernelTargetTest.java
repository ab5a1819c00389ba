package org.sparkgrad.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The NVRTC target for a device, and the NVRTC log line a failure reports first. */
class KernelTargetTest {
    /** nvrtcGetSupportedArchs of NVRTC 12.6. */
    private static final int[] NVRTC_12_6 = {50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90};

    @Test
    void aDeviceNvrtcKnowsGetsSassForItsExactArchitecture() {
        assertEquals(new KernelTarget("sm_86", true), KernelTarget.choose(8, 6, NVRTC_12_6));
        assertEquals(new KernelTarget("sm_90", true), KernelTarget.choose(9, 0, NVRTC_12_6));
        assertEquals(new KernelTarget("sm_52", true), KernelTarget.choose(5, 2, NVRTC_12_6));
    }

    @Test
    void aDeviceNewerThanNvrtcGetsPtxForTheNewestArchitectureBelowIt() {
        assertEquals(new KernelTarget("compute_90", false), KernelTarget.choose(12, 0, NVRTC_12_6));
        assertEquals(new KernelTarget("compute_80", false), KernelTarget.choose(8, 6, new int[] {90, 75, 80}));
    }

    @Test
    void aDeviceOlderThanEveryArchitectureIsRejectedWithBoth() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KernelTarget.choose(3, 5, NVRTC_12_6));
        assertTrue(e.getMessage().contains("sm_35"), e.getMessage());
        assertTrue(e.getMessage().startsWith("NVRTC supports sm_50, sm_52"), e.getMessage());
    }

    @Test
    void theFirstErrorLineOfAnNvrtcLogLeadsTheReason() {
        String log = "\n/cuda/elementwise.cu(12): warning: unused variable\n"
                + "/cuda/elementwise.cu(285): error: no instance of overloaded function \"atomicAdd\" matches\n"
                + "1 error detected in the compilation of \"/cuda/elementwise.cu\".\n";
        assertEquals("/cuda/elementwise.cu(285): error: no instance of overloaded function \"atomicAdd\" matches",
                KernelCache.firstErrorLine(log));
        assertEquals("nvrtc: builtins failed", KernelCache.firstErrorLine("\n  nvrtc: builtins failed\n"));
        assertEquals("(empty log)", KernelCache.firstErrorLine(""));
        assertEquals("(empty log)", KernelCache.firstErrorLine(null));
    }
}
