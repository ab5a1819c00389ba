package org.sparkgrad.engine;

import java.util.ArrayList;
import java.util.List;
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
    /**
     * The providers each class loader sees, loaded once: ServiceLoader scans every jar of the class path, and
     * Spark tasks ask for their device every step. Keyed by loader because an executor loads the job's jars in
     * its own loader (the tasks' context class loader).
     */
    private static final Map<ClassLoader, List<BackendProvider>> PROVIDERS = new ConcurrentHashMap<>();

    private Devices() {
    }

    /** The backend of a device, or an error saying why it cannot be used. */
    public static Backend backend(Device device) {
        if (device.equals(Device.CPU)) {
            return CpuBackend.INSTANCE;
        }
        return find(device).orElseThrow(() -> new IllegalStateException(
                "No backend for device " + device + ": " + unavailableReason(device)));
    }

    /**
     * Why a device cannot be used, as its provider reports it (e.g. no CUDA driver), or that no provider for
     * its type is on the class path. Meant for error messages and logs once {@link #backend} or
     * {@link #cudaAvailable()} said no.
     */
    public static String unavailableReason(Device device) {
        boolean provided = false;
        for (BackendProvider p : providers()) {
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
        for (BackendProvider p : providers()) {
            if (p.deviceType().equals(device.type())) {
                Optional<Backend> b = p.backend(device.index());
                if (b.isPresent()) {
                    BACKENDS.putIfAbsent(device, b.get());
                    return Optional.of(BACKENDS.get(device));
                }
            }
        }
        return Optional.empty();
    }

    private static List<BackendProvider> providers() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        ClassLoader key = loader != null ? loader : Devices.class.getClassLoader();
        return PROVIDERS.computeIfAbsent(key, l -> {
            List<BackendProvider> found = new ArrayList<>();
            ServiceLoader.load(BackendProvider.class, l).forEach(found::add);
            return List.copyOf(found);
        });
    }
}
