package org.sparkgrad.gpu;

/** Thrown when the device has no room for an allocation even after the allocator's cache was released. */
public final class DeviceOutOfMemoryError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error naming the device, the requested bytes and the memory the driver reports. */
    DeviceOutOfMemoryError(String device, long requested, long free, long total, long cached) {
        super("CUDA out of memory on " + device + ": tried to allocate " + requested + " bytes ("
                + mib(requested) + "); the driver reports " + free + " bytes (" + mib(free) + ") free of " + total
                + " bytes (" + mib(total) + ") after releasing " + cached + " cached bytes");
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024.0));
    }
}
