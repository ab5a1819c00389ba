package org.sparkgrad.spark;

import java.io.Serializable;
import java.util.Locale;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Devices;

/**
 * Where executor tasks compute, as the trainer's {@code device(...)} setting says, and the per-task choice
 * made from it and the GPU addresses Spark assigned to the task ({@code TaskContext.resources().get("gpu")}).
 *
 * <ul>
 *   <li>{@code auto} (the default): the task's Spark-assigned GPU, else {@code cuda:0}, when CUDA is usable
 *       there; otherwise the CPU, with the reason in the run's device summary.</li>
 *   <li>{@code cpu}: always the CPU.</li>
 *   <li>{@code cuda} (or another device type, such as the tests' {@code sim}): the Spark-assigned GPU, else
 *       index 0; a task fails with the reason when that device cannot be used.</li>
 *   <li>{@code cuda:N}: that device, whatever Spark assigned.</li>
 * </ul>
 */
final class DeviceChoice implements Serializable {
    private static final long serialVersionUID = 1L;

    static final DeviceChoice AUTO = new DeviceChoice("auto", "cuda", -1, false);

    /** The device a task computes on, and how it came to be chosen (for the run's device summary). */
    record TaskDevice(Device device, String description) {
    }

    private final String spec;
    /** The device type tried, null for cpu. */
    private final String type;
    /** A fixed device index, or -1 to take the task's Spark GPU address (else 0). */
    private final int index;
    /** Whether an unusable device fails the task (else the task falls back to the CPU). */
    private final boolean required;

    private DeviceChoice(String spec, String type, int index, boolean required) {
        this.spec = spec;
        this.type = type;
        this.index = index;
        this.required = required;
    }

    /** Parses {@code auto}, {@code cpu}, {@code cuda}, {@code cuda:N} (any device type in place of cuda). */
    static DeviceChoice parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return AUTO;
        }
        if (s.equals("cpu")) {
            return new DeviceChoice(s, null, -1, false);
        }
        if (s.matches("[a-z][a-z0-9_]*")) {
            return new DeviceChoice(s, s, -1, true);
        }
        if (s.matches("[a-z][a-z0-9_]*:[0-9]{1,6}")) {
            int colon = s.indexOf(':');
            return new DeviceChoice(s, s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)), true);
        }
        throw new IllegalArgumentException("device must be auto, cpu, cuda or cuda:N (e.g. cuda:0), got '" + spec + "'");
    }

    /**
     * The device of a task that Spark gave these GPU addresses (empty when none were assigned): opens the
     * device's backend in this JVM on first use.
     *
     * @throws TrainingException when a required device cannot be used, or Spark's address is not an index
     */
    TaskDevice select(String[] gpuAddresses) {
        if (type == null) {
            return new TaskDevice(Device.CPU, "cpu");
        }
        int i = index;
        String origin = "";
        if (i < 0 && gpuAddresses.length > 0) {
            try {
                i = Integer.parseInt(gpuAddresses[0].trim());
            } catch (NumberFormatException e) {
                throw new TrainingException("Spark assigned this task GPU address '" + gpuAddresses[0] + "', which is "
                        + "not a device index: the GPU discovery script must list indices such as 0, 1 (as "
                        + "conf/gpu-discovery.sh does)");
            }
            origin = " (Spark GPU address " + gpuAddresses[0].trim() + ")";
        }
        Device d = Device.of(type, Math.max(i, 0));
        if (Devices.available(d)) {
            return new TaskDevice(d, d + origin);
        }
        String why = d + origin + " is not usable: " + Devices.unavailableReason(d);
        if (required) {
            throw new TrainingException("device '" + spec + "' was asked for, but " + why
                    + "; use device(\"auto\") to fall back to the CPU");
        }
        return new TaskDevice(Device.CPU, "cpu, because " + why);
    }

    @Override
    public String toString() {
        return spec;
    }
}
