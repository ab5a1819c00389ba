package org.sparkgrad.gpu;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.nvrtc.JNvrtc;

/**
 * Finds out whether a CUDA device can be used, step by step (JCuda classes and natives, the driver, the
 * device, cuBLAS, NVRTC, free memory), and says which step failed. Never throws: every failure, including a
 * missing class or native library, becomes an unavailable {@link Result} with a reason.
 */
public final class CudaProbe {
    /** The least free device memory a backend starts with. */
    static final long MIN_FREE_BYTES = 64L << 20;

    /**
     * The outcome of a probe.
     *
     * @param context the opened device when available, else null
     * @param reason why the device cannot be used, null when available
     */
    public record Result(CudaContext context, String reason) {
        /** Whether the device can be used. */
        public boolean available() {
            return context != null;
        }
    }

    private static final java.util.regex.Pattern MISSING_LIBRARY =
            java.util.regex.Pattern.compile("(lib[\\w.+-]+\\.so[\\w.]*): cannot open shared object file");

    /** The first failure to load JCuda: later attempts only see "Could not initialize class". */
    private static volatile String loadFailure;

    private CudaProbe() {
    }

    /** Probes CUDA device {@code index}; opens its primary context, cuBLAS handle and checks memory. */
    public static Result probe(int index) {
        String failed = loadFailure;
        if (failed != null) {
            return unavailable(failed);
        }
        String step = "loading JCuda (jcuda classes and the libJCudaDriver native library, which needs libcuda.so.1)";
        CUdevice device = null; // set once its primary context is retained: failures after that release it
        cublasHandle handle = null;
        try {
            JCudaDriver.setExceptionsEnabled(true);
            step = "cuInit (the CUDA driver)";
            JCudaDriver.cuInit(0);
            step = "cuDeviceGetCount";
            int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            if (index >= count[0]) {
                return unavailable("device index " + index + " is out of range: the driver reports " + count[0]
                        + " CUDA device(s)");
            }
            step = "opening device " + index;
            CUdevice d = new CUdevice();
            JCudaDriver.cuDeviceGet(d, index);
            CUcontext ctx = new CUcontext();
            JCudaDriver.cuDevicePrimaryCtxRetain(ctx, d);
            device = d;
            JCudaDriver.cuCtxSetCurrent(ctx);
            int[] major = new int[1];
            int[] minor = new int[1];
            JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d);
            JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d);
            step = "cuMemGetInfo";
            long[] free = new long[1];
            long[] total = new long[1];
            JCudaDriver.cuMemGetInfo(free, total);
            if (free[0] < MIN_FREE_BYTES) {
                CudaContext.release(device, null);
                return unavailable("out of memory at start: device " + index + " has " + free[0] + " bytes free of "
                        + total[0] + " (need at least " + MIN_FREE_BYTES + ")");
            }
            step = "loading cuBLAS (libJCublas2, which needs libcublas.so.12)";
            JCublas2.setExceptionsEnabled(true);
            cublasHandle h = new cublasHandle();
            JCublas2.cublasCreate(h);
            handle = h;
            step = "loading NVRTC (libJNvrtc, which needs libnvrtc.so.12)";
            JNvrtc.setExceptionsEnabled(true);
            JNvrtc.nvrtcVersion(new int[1], new int[1]);
            return new Result(new CudaContext(index, d, ctx, h, major[0], minor[0]), null);
        } catch (Throwable t) {
            if (device != null) {
                CudaContext.release(device, handle);
            }
            String reason = describe(step, t);
            if (step.startsWith("loading JCuda")) {
                loadFailure = reason;
            }
            return unavailable(reason);
        }
    }

    /** A reason naming the failed step and the error, with hints for the usual causes. */
    static String describe(String step, Throwable t) {
        String text = String.valueOf(t.getMessage());
        String msg = t.getClass().getSimpleName() + ": " + text.lines().findFirst().orElse("");
        java.util.regex.Matcher missing = MISSING_LIBRARY.matcher(text);
        if (missing.find()) {
            msg += " (" + missing.group() + ")";
        }
        String hint = "";
        if (t instanceof NoClassDefFoundError && text.startsWith("Could not initialize class")) {
            hint = " (its static initializer failed earlier, usually because libcuda.so.1 is missing)";
        } else if (t instanceof NoClassDefFoundError || t instanceof ClassNotFoundException) {
            hint = " (the JCuda jars are not on the class path)";
        } else if (t instanceof UnsatisfiedLinkError) {
            if (text.contains("libcuda")) {
                hint = " (no CUDA driver: libcuda.so.1 is not installed)";
            } else if (text.contains("cublas")) {
                hint = " (libcublas.so.12 is not installed)";
            } else if (text.contains("nvrtc")) {
                hint = " (libnvrtc.so.12 is not installed)";
            } else {
                hint = " (a native library is missing; the CUDA driver libcuda.so.1 may not be installed)";
            }
        } else if (text.contains("CUDA_ERROR_INSUFFICIENT_DRIVER")) {
            hint = " (the installed driver is older than CUDA 12)";
        } else if (text.contains("CUDA_ERROR_NO_DEVICE")) {
            hint = " (no CUDA device is visible)";
        } else if (text.contains("OUT_OF_MEMORY") || text.contains("ALLOC_FAILED")) {
            hint = " (out of memory at start)";
        }
        return step + " failed: " + msg + hint;
    }

    private static Result unavailable(String reason) {
        return new Result(null, reason);
    }
}
