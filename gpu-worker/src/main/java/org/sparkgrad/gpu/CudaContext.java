package org.sparkgrad.gpu;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;
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

    /** The NVRTC architecture option for this device, e.g. {@code compute_80}. */
    String computeArch() {
        return "compute_" + major + minor;
    }
}
