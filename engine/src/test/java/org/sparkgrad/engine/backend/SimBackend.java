package org.sparkgrad.engine.backend;

import java.util.Optional;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Device;

/**
 * A second device for tests: storages of its own type (so a kernel handed a CPU storage fails), computed by
 * unwrapping to the CPU kernels. It proves ops dispatch through the Backend interface and that devices
 * never mix silently. Registered for device type "sim" in META-INF/services.
 */
public final class SimBackend implements Backend {
    /** The ServiceLoader entry point. */
    public static final class Provider implements BackendProvider {
        @Override
        public String deviceType() {
            return "sim";
        }

        @Override
        public Optional<Backend> backend(int index) {
            return Optional.of(new SimBackend(Device.of("sim", index)));
        }
    }

    private static final class SimStorage implements Storage {
        final Storage inner;
        final SimBackend owner;

        SimStorage(Storage inner, SimBackend owner) {
            this.inner = inner;
            this.owner = owner;
        }

        @Override
        public DType dtype() {
            return inner.dtype();
        }

        @Override
        public int length() {
            return inner.length();
        }

        @Override
        public Backend backend() {
            return owner;
        }
    }

    private final Device device;
    private final CpuBackend cpu = CpuBackend.INSTANCE;

    private SimBackend(Device device) {
        this.device = device;
    }

    private Strided in(Strided v) {
        if (!(v.storage() instanceof SimStorage s) || s.owner != this) {
            throw new IllegalArgumentException("sim backend handed a storage of " + v.storage().backend().device());
        }
        return new Strided(s.inner, v.offset(), v.shape(), v.strides());
    }

    private Storage wrap(Storage s) {
        return new SimStorage(s, this);
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public Storage allocate(DType dtype, int length) {
        return wrap(cpu.allocate(dtype, length));
    }

    @Override
    public Storage fromHost(DType dtype, double[] values) {
        return wrap(cpu.fromHost(dtype, values));
    }

    @Override
    public Storage fromHost(float[] values) {
        return wrap(cpu.fromHost(values));
    }

    @Override
    public double[] toHostDouble(Strided src) {
        return cpu.toHostDouble(in(src));
    }

    @Override
    public float[] toHostFloat(Strided src) {
        return cpu.toHostFloat(in(src));
    }

    @Override
    public void copy(Strided src, Strided dst) {
        cpu.copy(in(src), in(dst));
    }

    @Override
    public void fill(Strided dst, double value) {
        cpu.fill(in(dst), value);
    }

    @Override
    public void unary(UnaryOp op, Strided x, Strided out) {
        cpu.unary(op, in(x), in(out));
    }

    @Override
    public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
        cpu.binary(op, in(a), in(b), in(out));
    }

    @Override
    public void axpy(double alpha, Strided x, Strided y) {
        cpu.axpy(alpha, in(x), in(y));
    }

    @Override
    public void where(Strided cond, Strided a, Strided b, Strided out) {
        cpu.where(in(cond), in(a), in(b), in(out));
    }

    @Override
    public void reduce(ReduceOp op, Strided x, boolean[] reduce, Strided out) {
        cpu.reduce(op, in(x), reduce, in(out));
    }

    @Override
    public void softmax(boolean log, Strided x, int dim, Strided out) {
        cpu.softmax(log, in(x), dim, in(out));
    }

    @Override
    public void softmaxBackward(boolean log, Strided y, Strided gy, int dim, Strided gx) {
        cpu.softmaxBackward(log, in(y), in(gy), dim, in(gx));
    }

    @Override
    public void argReduce(boolean max, Strided x, int dim, Strided values, Strided indices) {
        cpu.argReduce(max, in(x), dim, in(values), in(indices));
    }

    @Override
    public void matmul(Strided a, Strided b, Strided out) {
        cpu.matmul(in(a), in(b), in(out));
    }

    @Override
    public void gather(Strided x, int dim, Strided index, Strided out) {
        cpu.gather(in(x), dim, in(index), in(out));
    }

    @Override
    public void scatterAdd(Strided out, int dim, Strided index, Strided src) {
        cpu.scatterAdd(in(out), dim, in(index), in(src));
    }
}
