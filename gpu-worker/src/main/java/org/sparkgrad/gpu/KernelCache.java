package org.sparkgrad.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import jcuda.CudaException;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import jcuda.nvrtc.JNvrtc;
import jcuda.nvrtc.nvrtcProgram;
import jcuda.nvrtc.nvrtcResult;

/**
 * The backend's kernels: the {@code .cu} sources of {@link KernelNames#SOURCES}, read from the class path,
 * compiled with NVRTC for the device ({@link KernelTarget}) and loaded as modules when the cache is created,
 * so a device whose kernels do not compile or load is found out before the backend is used. Functions are
 * looked up by name and cached (one cache per device, held by its backend).
 *
 * <p>Every NVRTC and module call checks its result itself, so this does not depend on JCuda's global
 * exceptions flag (another library may turn it off).
 */
final class KernelCache {
    private final List<CUmodule> modules;
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();

    private KernelCache(List<CUmodule> modules) {
        this.modules = modules;
    }

    /**
     * Compiles and loads every kernel source for the context's device.
     *
     * @throws IllegalStateException when a source does not compile or load; the message's first line names the
     *     source, the architecture and the first line of NVRTC's log or the driver's error
     */
    static KernelCache load(CudaContext context) {
        context.makeCurrent();
        KernelTarget target = KernelTarget.choose(context.major(), context.minor(), supportedArchs());
        List<CUmodule> out = new ArrayList<>();
        try {
            for (String source : KernelNames.SOURCES) {
                out.add(loadModule(source, compile(source, read(source), target), target));
            }
        } catch (RuntimeException | Error e) {
            out.forEach(m -> {
                try {
                    JCudaDriver.cuModuleUnload(m);
                } catch (RuntimeException ignored) {
                    // the first failure is the one to report
                }
            });
            throw e;
        }
        return new KernelCache(List.copyOf(out));
    }

    /** The kernel with this entry-point name. */
    CUfunction function(String name) {
        return functions.computeIfAbsent(name, this::find);
    }

    private CUfunction find(String name) {
        for (CUmodule m : modules) {
            CUfunction f = new CUfunction();
            int rc;
            try {
                rc = JCudaDriver.cuModuleGetFunction(f, m, name);
            } catch (CudaException e) {
                rc = CUresult.CUDA_ERROR_NOT_FOUND; // exceptions enabled: not in this module
            }
            if (rc == CUresult.CUDA_SUCCESS) {
                return f;
            }
        }
        throw new IllegalStateException("No CUDA kernel named '" + name + "' in " + String.join(", ", KernelNames.SOURCES));
    }

    /** NVRTC's architectures (e.g. 75 for sm_75). */
    private static int[] supportedArchs() {
        int[] count = new int[1];
        nvrtc(() -> JNvrtc.nvrtcGetNumSupportedArchs(count), "nvrtcGetNumSupportedArchs");
        int[] archs = new int[count[0]];
        nvrtc(() -> JNvrtc.nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs");
        return archs;
    }

    /** A cubin or PTX (NUL-terminated) image of one source, or an error whose first line quotes NVRTC's log. */
    static byte[] compile(String name, String code, KernelTarget target) {
        nvrtcProgram program = new nvrtcProgram();
        nvrtc(() -> JNvrtc.nvrtcCreateProgram(program, code, name, 0, null, null), "nvrtcCreateProgram(" + name + ")");
        try {
            String failed = nvrtcError(() -> JNvrtc.nvrtcCompileProgram(program, 2,
                    new String[] {"--gpu-architecture=" + target.arch(), "-std=c++14"}));
            if (failed != null) {
                String log = programLog(program);
                throw new IllegalStateException("NVRTC could not compile " + name + " for " + target.arch() + ": "
                        + failed + ": " + firstErrorLine(log) + "\n" + log);
            }
            long[] size = new long[1];
            if (target.cubin()) {
                nvrtc(() -> JNvrtc.nvrtcGetCUBINSize(program, size), "nvrtcGetCUBINSize(" + name + ")");
                byte[] cubin = new byte[Math.toIntExact(size[0])];
                nvrtc(() -> JNvrtc.nvrtcGetCUBIN(program, cubin), "nvrtcGetCUBIN(" + name + ")");
                return cubin;
            }
            String[] ptx = new String[1];
            nvrtc(() -> JNvrtc.nvrtcGetPTX(program, ptx), "nvrtcGetPTX(" + name + ")");
            byte[] text = ptx[0].getBytes(StandardCharsets.US_ASCII);
            return Arrays.copyOf(text, text.length + 1); // the driver reads PTX up to a NUL
        } finally {
            nvrtcError(() -> JNvrtc.nvrtcDestroyProgram(program));
        }
    }

    private static CUmodule loadModule(String name, byte[] image, KernelTarget target) {
        CUmodule m = new CUmodule();
        int rc;
        try {
            rc = JCudaDriver.cuModuleLoadData(m, image);
        } catch (CudaException e) {
            throw new IllegalStateException("cuModuleLoadData rejected the " + (target.cubin() ? "cubin" : "PTX") + " of "
                    + name + " for " + target.arch() + ": " + e.getMessage(), e);
        }
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new IllegalStateException("cuModuleLoadData rejected the " + (target.cubin() ? "cubin" : "PTX") + " of "
                    + name + " for " + target.arch() + ": " + CUresult.stringFor(rc));
        }
        return m;
    }

    /** The line of an NVRTC log that says what went wrong: its first error, else its first non-blank line. */
    static String firstErrorLine(String log) {
        String text = log == null ? "" : log;
        return text.lines().map(String::strip).filter(l -> l.contains("error")).findFirst()
                .or(() -> text.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst())
                .orElse("(empty log)");
    }

    private static String programLog(nvrtcProgram program) {
        String[] log = new String[1];
        return nvrtcError(() -> JNvrtc.nvrtcGetProgramLog(program, log)) == null && log[0] != null ? log[0] : "";
    }

    /** Null when an NVRTC call succeeds, else its error (whether or not JNvrtc throws on errors). */
    private static String nvrtcError(IntSupplier call) {
        try {
            int rc = call.getAsInt();
            return rc == nvrtcResult.NVRTC_SUCCESS ? null : nvrtcResult.stringFor(rc);
        } catch (CudaException e) {
            return String.valueOf(e.getMessage());
        }
    }

    private static void nvrtc(IntSupplier call, String what) {
        String failed = nvrtcError(call);
        if (failed != null) {
            throw new IllegalStateException(what + " failed: " + failed);
        }
    }

    static String read(String resource) {
        try (InputStream in = KernelCache.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("CUDA source " + resource + " is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
