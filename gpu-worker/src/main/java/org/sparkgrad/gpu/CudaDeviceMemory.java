package org.sparkgrad.gpu;

import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/** {@link DeviceMemory} through the driver API (cuMemAlloc, cuMemFree, cuMemGetInfo) of the current context. */
final class CudaDeviceMemory implements DeviceMemory<CUdeviceptr> {
    private final CudaContext context;

    CudaDeviceMemory(CudaContext context) {
        this.context = context;
    }

    @Override
    public CUdeviceptr allocate(long bytes) {
        context.makeCurrent();
        CUdeviceptr p = new CUdeviceptr();
        try {
            JCudaDriver.cuMemAlloc(p, bytes);
        } catch (CudaException e) {
            if (String.valueOf(e.getMessage()).contains(CUresult.stringFor(CUresult.CUDA_ERROR_OUT_OF_MEMORY))) {
                return null;
            }
            throw e;
        }
        return p;
    }

    @Override
    public void free(CUdeviceptr block) {
        context.makeCurrent();
        JCudaDriver.cuMemFree(block);
    }

    @Override
    public long freeBytes() {
        return info()[0];
    }

    @Override
    public long totalBytes() {
        return info()[1];
    }

    private long[] info() {
        context.makeCurrent();
        long[] free = new long[1];
        long[] total = new long[1];
        JCudaDriver.cuMemGetInfo(free, total);
        return new long[] {free[0], total[0]};
    }
}
