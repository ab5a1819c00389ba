package org.sparkgrad.engine.backend;

import java.util.Optional;

/**
 * A {@link java.util.ServiceLoader} service that offers backends for devices other than the CPU
 * (registered in {@code META-INF/services/org.sparkgrad.engine.backend.BackendProvider}).
 */
public interface BackendProvider {
    /** The device type served, e.g. {@code cuda}. */
    String deviceType();

    /**
     * The backend for a device, or empty with the reason logged when the device cannot be used
     * (missing driver, natives or hardware).
     */
    Optional<Backend> backend(int index);

    /**
     * Why {@link #backend(int)} gave nothing for a device (e.g. "cuInit failed: no CUDA driver"), once it was
     * asked; empty when the device is usable or was not tried.
     */
    default Optional<String> unavailableReason(int index) {
        return Optional.empty();
    }
}
