package org.sparkgrad.gpu;

import jcuda.driver.CUdeviceptr;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.backend.Backend;
import org.sparkgrad.engine.backend.Storage;

/**
 * Device storage: a block of the backend's {@link CachingAllocator}, returned to it when the storage becomes
 * unreachable. Elements are float (FLOAT32), double (FLOAT64), long long (INT64) or one byte (BOOL).
 */
final class CudaStorage implements Storage {
    private final CudaBackend backend;
    private final DType dtype;
    private final int length;
    final CUdeviceptr pointer;

    CudaStorage(CudaBackend backend, DType dtype, int length, CUdeviceptr pointer) {
        this.backend = backend;
        this.dtype = dtype;
        this.length = length;
        this.pointer = pointer;
    }

    /** The device address of element {@code index}. */
    CUdeviceptr at(int index) {
        return pointer.withByteOffset((long) index * dtype.itemSize());
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public Backend backend() {
        return backend;
    }
}
