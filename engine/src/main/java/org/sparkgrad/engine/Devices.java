package org.sparkgrad.engine;

import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import org.sparkgrad.engine.backend.Backend;
import org.sparkgrad.engine.backend.BackendProvider;
import org.sparkgrad.engine.backend.CpuBackend;

/**
 * Finds the backend for a device. The CPU is built in; other device types come from
 * {@link BackendProvider}s on the class path (ServiceLoader), so {@code engine} needs no GPU library.
 */
public final class Devices {
    private static final Map<Device, Backend> BACKENDS = new ConcurrentHashMap<>();

    private Devices() {
    }

    /** The backend of a device, or an error saying why it cannot be used. */
    public static Backend backend(Device device) {
        if (device.equals(Device.CPU)) {
            return CpuBackend.INSTANCE;
        }
        return BACKENDS.computeIfAbsent(device, d -> find(d).orElseThrow(() -> new IllegalStateException(
                "No backend for device " + d + ": " + unavailableReason(d))));
    }

    /**
     * Why a device cannot be used, as its provider reports it (e.g. no CUDA driver), or that no provider for
     * its type is on the class path. Meant for error messages and logs once {@link #backend} or
     * {@link #cudaAvailable()} said no.
     */
    public static String unavailableReason(Device device) {
        boolean provided = false;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.deviceType().equals(device.type())) {
                provided = true;
                Optional<String> why = p.unavailableReason(device.index());
                if (why.isPresent()) {
                    return why.get();
                }
            }
        }
        return provided ? "the " + BackendProvider.class.getSimpleName() + " for '" + device.type() + "' could not open it"
                : "no " + BackendProvider.class.getSimpleName() + " for '" + device.type() + "' is on the class path"
                        + ("cuda".equals(device.type()) ? " (add the gpu-worker module)" : "");
    }

    /** Waits for the work queued on a device to finish (see {@link Backend#synchronize()}). */
    public static void synchronize(Device device) {
        backend(device).synchronize();
    }

    /** Whether a device's backend can be used in this JVM (opening it on first use). */
    public static boolean available(Device device) {
        return device.equals(Device.CPU) || find(device).isPresent();
    }

    /** Whether a CUDA device can be used in this JVM. */
    public static boolean cudaAvailable() {
        return available(Device.cuda(0));
    }

    /** A CUDA device when one is usable, else the CPU. */
    public static Device auto() {
        return cudaAvailable() ? Device.cuda(0) : Device.CPU;
    }

    private static Optional<Backend> find(Device device) {
        Backend known = BACKENDS.get(device);
        if (known != null) {
            return Optional.of(known);
        }
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.deviceType().equals(device.type())) {
                Optional<Backend> b = p.backend(device.index());
                if (b.isPresent()) {
                    return b;
                }
            }
        }
        return Optional.empty();
    }
}
