package org.sparkgrad.gpu;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;

/**
 * An opened CUDA device: its primary context (made current on whichever thread calls the backend) and a
 * cuBLAS handle.
 */
public final class CudaContext {
    private final int index;
    private final CUdevice device;
    private final CUcontext context;
    private final cublasHandle cublas;
    private final int major;
    private final int minor;

    CudaContext(int index, CUdevice device, CUcontext context, cublasHandle cublas, int major, int minor) {
        this.index = index;
        this.device = device;
        this.context = context;
        this.cublas = cublas;
        this.major = major;
        this.minor = minor;
    }

    /** The device index. */
    public int index() {
        return index;
    }

    /** Makes this device's context current on the calling thread. */
    void makeCurrent() {
        JCudaDriver.cuCtxSetCurrent(context);
    }

    CUdevice device() {
        return device;
    }

    cublasHandle cublas() {
        return cublas;
    }

    /** The compute capability's major version (8 for an sm_86 device). */
    int major() {
        return major;
    }

    /** The compute capability's minor version (6 for an sm_86 device). */
    int minor() {
        return minor;
    }

    /**
     * Gives the device back when no backend will use it: destroys the cuBLAS handle and releases the primary
     * context (its memory reservation goes once no one else holds it). Never throws: it runs on failure paths.
     */
    void close() {
        release(device, cublas);
    }

    /** Destroys handle (when not null) and releases device's primary context, ignoring errors. */
    static void release(CUdevice device, cublasHandle handle) {
        if (handle != null) {
            try {
                JCublas2.cublasDestroy(handle);
            } catch (Throwable ignored) {
                // a failure path already has its reason
            }
        }
        try {
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
        } catch (Throwable ignored) {
            // as above
        }
    }
}
