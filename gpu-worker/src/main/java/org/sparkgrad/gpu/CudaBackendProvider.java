package org.sparkgrad.gpu;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.sparkgrad.engine.backend.Backend;
import org.sparkgrad.engine.backend.BackendProvider;

/**
 * Offers {@link CudaBackend}s for device type {@code cuda} (registered for {@link java.util.ServiceLoader}).
 * When CUDA cannot be used it returns empty and logs one line per JVM saying why and that the job runs on the
 * CPU; it never throws.
 */
public final class CudaBackendProvider implements BackendProvider {
    private static final System.Logger LOG = System.getLogger(CudaBackendProvider.class.getName());
    private static final AtomicBoolean LOGGED = new AtomicBoolean();
    private static final Map<Integer, Opened> BACKENDS = new ConcurrentHashMap<>();

    /** What opening a device gave: a backend, or the reason there is none. */
    record Opened(Backend backend, String reason) {
    }

    private final IntFunction<CudaProbe.Result> probe;
    private final Consumer<String> log;
    private final AtomicBoolean logged;
    private final Map<Integer, Opened> backends;

    /** The provider ServiceLoader creates: probes real devices, logs through System.Logger. */
    public CudaBackendProvider() {
        this(CudaProbe::probe, m -> LOG.log(System.Logger.Level.WARNING, m), LOGGED, BACKENDS);
    }

    CudaBackendProvider(IntFunction<CudaProbe.Result> probe, Consumer<String> log, AtomicBoolean logged,
            Map<Integer, Opened> backends) {
        this.probe = probe;
        this.log = log;
        this.logged = logged;
        this.backends = backends;
    }

    @Override
    public String deviceType() {
        return "cuda";
    }

    @Override
    public Optional<Backend> backend(int index) {
        return Optional.ofNullable(backends.computeIfAbsent(index, this::open).backend());
    }

    @Override
    public Optional<String> unavailableReason(int index) {
        Opened o = backends.get(index);
        return o == null ? Optional.empty() : Optional.ofNullable(o.reason());
    }

    private Opened open(int index) {
        CudaProbe.Result r;
        try {
            r = probe.apply(index);
        } catch (Throwable t) {
            r = new CudaProbe.Result(null, CudaProbe.describe("probing CUDA", t));
        }
        if (r.available()) {
            try {
                return new Opened(new CudaBackend(r.context()), null);
            } catch (Throwable t) {
                // e.g. the kernels do not compile or load for this device/driver: give the device back
                r.context().close();
                r = new CudaProbe.Result(null, CudaProbe.describe("starting the CUDA backend", t));
            }
        }
        if (logged.compareAndSet(false, true)) {
            log.accept(message(index, r.reason()));
        }
        return new Opened(null, r.reason());
    }

    /** The one log line for an unusable device. */
    static String message(int index, String reason) {
        return "CUDA device cuda:" + index + " is not usable, so this job runs on the CPU: " + reason
                + ". GPU executors need the CUDA 12 driver (libcuda.so.1) and libcublas.so.12 (and libnvrtc.so.12).";
    }
}
