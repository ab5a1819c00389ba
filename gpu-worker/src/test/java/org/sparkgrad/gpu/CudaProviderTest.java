package org.sparkgrad.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.backend.BackendProvider;

/** The provider on a machine without CUDA: unavailable with a reason, one log line, never an exception. */
class CudaProviderTest {
    @Test
    void probeReportsUnavailableWithTheReason() {
        CudaProbe.Result r = CudaProbe.probe(0);
        assumeFalse(r.available(), "a CUDA device is usable here");
        String reason = r.reason();
        assertTrue(reason.contains("libcuda") || reason.contains("driver"), reason);
    }

    @Test
    void providerIsRegisteredAndReturnsEmptyWithoutCuda() {
        assumeFalse(CudaProbe.probe(0).available(), "a CUDA device is usable here");
        List<BackendProvider> found = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class).forEach(found::add);
        BackendProvider cuda = found.stream().filter(p -> p.deviceType().equals("cuda")).findFirst().orElseThrow();
        assertTrue(cuda instanceof CudaBackendProvider);
        assertEquals(Optional.empty(), cuda.backend(0));
        assertEquals(Optional.empty(), cuda.backend(7));
    }

    @Test
    void logsOneLineOncePerJvmAndProbesEachIndexOnce() {
        List<String> log = new ArrayList<>();
        AtomicInteger probes = new AtomicInteger();
        CudaBackendProvider p = new CudaBackendProvider(i -> {
            probes.incrementAndGet();
            return new CudaProbe.Result(null, "cuInit (the CUDA driver) failed: CudaException: CUDA_ERROR_NO_DEVICE");
        }, log::add, new AtomicBoolean(), new ConcurrentHashMap<>());
        assertEquals(Optional.empty(), p.unavailableReason(0), "not asked yet");
        assertEquals(Optional.empty(), p.backend(0));
        assertEquals(Optional.empty(), p.backend(0));
        assertEquals(Optional.empty(), p.backend(1));
        assertEquals(Optional.of("cuInit (the CUDA driver) failed: CudaException: CUDA_ERROR_NO_DEVICE"),
                p.unavailableReason(1));
        assertEquals(1, log.size(), log.toString());
        assertEquals(2, probes.get());
        String line = log.get(0);
        assertTrue(line.contains("cuda:0"), line);
        assertTrue(line.contains("CUDA_ERROR_NO_DEVICE"), line);
        assertTrue(line.contains("runs on the CPU"), line);
        assertTrue(line.contains("CUDA 12 driver") && line.contains("libcublas.so.12"), line);
    }

    @Test
    void aThrowingProbeBecomesEmpty() {
        List<String> log = new ArrayList<>();
        CudaBackendProvider p = new CudaBackendProvider(i -> {
            throw new NoClassDefFoundError("jcuda/driver/JCudaDriver");
        }, log::add, new AtomicBoolean(), new ConcurrentHashMap<>());
        assertEquals(Optional.empty(), p.backend(0));
        assertEquals(1, log.size());
        assertTrue(log.get(0).contains("JCuda jars are not on the class path"), log.get(0));
    }

    @Test
    void aBackendThatCannotStartFallsBackWithOneLine() {
        assumeFalse(CudaProbe.probe(0).available(), "a CUDA device is usable here");
        List<String> log = new ArrayList<>();
        // A probe that passed, then a backend whose kernels cannot load (here: no driver at all): the provider
        // gives the context back and falls back to the CPU instead of throwing.
        CudaBackendProvider p = new CudaBackendProvider(i -> new CudaProbe.Result(
                new CudaContext(i, new jcuda.driver.CUdevice(), new jcuda.driver.CUcontext(), null, 8, 6), null),
                log::add, new AtomicBoolean(), new ConcurrentHashMap<>());
        assertEquals(Optional.empty(), p.backend(0));
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("starting the CUDA backend failed"), log.get(0));
        assertTrue(log.get(0).contains("runs on the CPU"), log.get(0));
        assertTrue(p.unavailableReason(0).orElseThrow().startsWith("starting the CUDA backend failed"));
    }

    @Test
    void describeNamesTheUsualCauses() {
        assertTrue(CudaProbe.describe("s", new UnsatisfiedLinkError("libcuda.so.1: cannot open shared object file"))
                .contains("no CUDA driver: libcuda.so.1 is not installed"));
        assertTrue(CudaProbe.describe("s", new UnsatisfiedLinkError("libcublas.so.12: cannot open"))
                .contains("libcublas.so.12 is not installed"));
        assertTrue(CudaProbe.describe("s", new RuntimeException("CUDA_ERROR_INSUFFICIENT_DRIVER"))
                .contains("older than CUDA 12"));
        assertTrue(CudaProbe.describe("s", new RuntimeException("CUDA_ERROR_OUT_OF_MEMORY"))
                .contains("out of memory at start"));
        String m = CudaProbe.describe("cuInit (the CUDA driver)", new RuntimeException("CUDA_ERROR_NO_DEVICE"));
        assertEquals("cuInit (the CUDA driver) failed: RuntimeException: CUDA_ERROR_NO_DEVICE (no CUDA device is visible)", m);
        assertFalse(m.isEmpty());
    }
}
