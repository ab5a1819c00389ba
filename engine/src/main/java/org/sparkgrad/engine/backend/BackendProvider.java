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
}
