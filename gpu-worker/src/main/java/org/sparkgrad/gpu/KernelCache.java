package org.sparkgrad.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;
import jcuda.nvrtc.JNvrtc;
import jcuda.nvrtc.nvrtcProgram;

/**
 * The backend's kernels: the {@code .cu} sources of {@link KernelNames#SOURCES}, read from the class path,
 * compiled with NVRTC for the device's architecture on first use and loaded as modules; functions are looked
 * up by name and cached (one cache per device, held by its backend).
 */
final class KernelCache {
    private final CudaContext context;
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private List<CUmodule> modules;

    KernelCache(CudaContext context) {
        this.context = context;
    }

    /** The kernel with this entry-point name. */
    CUfunction function(String name) {
        return functions.computeIfAbsent(name, this::find);
    }

    private synchronized CUfunction find(String name) {
        if (modules == null) {
            modules = compileAll();
        }
        for (CUmodule m : modules) {
            CUfunction f = new CUfunction();
            try {
                JCudaDriver.cuModuleGetFunction(f, m, name);
                return f;
            } catch (jcuda.CudaException e) {
                // not in this module; try the next
            }
        }
        throw new IllegalStateException("No CUDA kernel named '" + name + "' in " + String.join(", ", KernelNames.SOURCES));
    }

    private List<CUmodule> compileAll() {
        context.makeCurrent();
        List<CUmodule> out = new ArrayList<>();
        for (String source : KernelNames.SOURCES) {
            CUmodule m = new CUmodule();
            JCudaDriver.cuModuleLoadData(m, compile(source, read(source), context.computeArch()));
            out.add(m);
        }
        return out;
    }

    /** PTX for one source, or an error carrying NVRTC's log. */
    static String compile(String name, String code, String arch) {
        nvrtcProgram program = new nvrtcProgram();
        JNvrtc.nvrtcCreateProgram(program, code, name, 0, null, null);
        try {
            try {
                JNvrtc.nvrtcCompileProgram(program, 2, new String[] {"--gpu-architecture=" + arch, "-std=c++14"});
            } catch (RuntimeException e) {
                String[] log = new String[1];
                JNvrtc.nvrtcGetProgramLog(program, log);
                throw new IllegalStateException("NVRTC could not compile " + name + " for " + arch + ":\n" + log[0], e);
            }
            String[] ptx = new String[1];
            JNvrtc.nvrtcGetPTX(program, ptx);
            return ptx[0];
        } finally {
            JNvrtc.nvrtcDestroyProgram(program);
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
