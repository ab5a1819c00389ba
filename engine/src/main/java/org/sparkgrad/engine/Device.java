package org.sparkgrad.engine;

import java.util.Objects;

/** Where a tensor's storage lives: {@code cpu}, or {@code cuda:i}. */
public final class Device {
    /** The host. */
    public static final Device CPU = new Device("cpu", -1);

    private final String type;
    private final int index;

    private Device(String type, int index) {
        this.type = type;
        this.index = index;
    }

    /** The i-th CUDA device. */
    public static Device cuda(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("CUDA device index must be >= 0, got " + index);
        }
        return new Device("cuda", index);
    }

    /**
     * A device of any type a {@link org.sparkgrad.engine.backend.BackendProvider} serves, e.g. {@code of("cuda", 1)}.
     */
    public static Device of(String type, int index) {
        if (type.equals("cpu")) {
            return CPU;
        }
        if (!type.matches("[a-z][a-z0-9_]*") || index < 0) {
            throw new IllegalArgumentException("Expected a device type like 'cuda' and an index >= 0, got '" + type + "', "
                    + index);
        }
        return new Device(type, index);
    }

    /** Parses {@code cpu}, {@code cuda} (device 0) or {@code cuda:i}. */
    public static Device parse(String spec) {
        String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) {
            return CPU;
        }
        if (s.equals("cuda")) {
            return cuda(0);
        }
        if (s.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(s.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("Expected a device like 'cpu', 'cuda' or 'cuda:0', got '" + spec + "'");
    }

    /** {@code cpu} or {@code cuda}. */
    public String type() {
        return type;
    }

    /** The device index, -1 for the CPU. */
    public int index() {
        return index;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.type.equals(type) && d.index == index;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, index);
    }

    @Override
    public String toString() {
        return index < 0 ? type : type + ":" + index;
    }
}
