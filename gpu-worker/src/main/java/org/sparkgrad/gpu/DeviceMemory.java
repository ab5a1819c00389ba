package org.sparkgrad.gpu;

/**
 * The raw device-memory calls the {@link CachingAllocator} needs, so its logic can be tested without a GPU.
 *
 * @param <P> the device pointer type
 */
interface DeviceMemory<P> {
    /** Allocates bytes on the device, or returns null when the device is out of memory. */
    P allocate(long bytes);

    /** Frees a block returned by {@link #allocate}. */
    void free(P block);

    /** The free device memory in bytes, as the driver reports it. */
    long freeBytes();

    /** The total device memory in bytes, as the driver reports it. */
    long totalBytes();
}
