package org.sparkgrad.engine.backend;

import java.util.Locale;

/**
 * A device backend could not allocate memory even after releasing what it had cached, like PyTorch's
 * {@code torch.cuda.OutOfMemoryError}. The message names the device, the requested size and what the device
 * reports free. An exception, not a JVM {@link OutOfMemoryError}: the Java heap is fine, and the caller can
 * recover (e.g. with smaller batches).
 */
public final class DeviceOutOfMemoryError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long requested;
    private final long free;

    /**
     * @param device the device, e.g. {@code cuda:0}
     * @param requested the bytes asked for
     * @param free the bytes the device reports free
     * @param total the device's memory in bytes
     * @param released the cached bytes given back to the device before giving up
     */
    public DeviceOutOfMemoryError(String device, long requested, long free, long total, long released) {
        super((device.startsWith("cuda") ? "CUDA" : device) + " out of memory on " + device + ": tried to allocate "
                + requested + " bytes (" + mib(requested) + "); the device reports " + free + " bytes (" + mib(free)
                + ") free of " + total + " bytes (" + mib(total) + ") after releasing " + released + " cached bytes");
        this.requested = requested;
        this.free = free;
    }

    /** The bytes asked for. */
    public long requested() {
        return requested;
    }

    /** The bytes the device reported free. */
    public long free() {
        return free;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024.0));
    }
}
