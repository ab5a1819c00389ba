package org.sparkgrad.spark;

import java.io.Serializable;

/**
 * What partitions send back for one step and treeAggregate adds up: the sum of per-sample gradients
 * (flat, in the model's namedParameters() order), the sum of per-sample losses, the number of samples and the devices that computed them.
 * The gradient array is allocated on first use, so the zero value Spark serializes into every task is a
 * few bytes.
 */
final class GradientSum implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Null until a gradient was added. */
    float[] grad;
    double loss;
    long count;
    /**
     * For a model with batch norm in a barrier stage, the buffers after the step of the first partition (in partition
     * order) that had rows of it; else null. Only the driver sets it (it is not serialized).
     */
    transient double[] buffers;
    /** The distinct device descriptions of the tasks that added rows, sorted, one per line ("" for none). */
    String devices = "";

    /**
     * A zeroed-on-use array the first gradient may go into instead of a new one (a barrier task's previous step's,
     * already sent); not serialized.
     */
    transient float[] spare;

    /** Adds the device lines of another sum. */
    void addDevices(String lines) {
        devices = unionOfLines(devices, lines);
    }

    /** Notes that a task computed on a device (see {@link DeviceChoice.TaskDevice#description()}). */
    void addDevice(String description) {
        devices = unionOfLines(devices, description);
    }

    /** The device descriptions as a sorted set. */
    java.util.SortedSet<String> deviceSet() {
        return lines(devices);
    }

    private static java.util.TreeSet<String> lines(String text) {
        java.util.TreeSet<String> set = new java.util.TreeSet<>();
        for (String line : text.split("\n")) {
            if (!line.isEmpty()) {
                set.add(line);
            }
        }
        return set;
    }

    private static String unionOfLines(String a, String b) {
        if (b.isEmpty() || a.equals(b)) {
            return a;
        }
        return String.join("\n", lines(a + "\n" + b));
    }

    /** Allocates the flat gradient (zeros) of size total unless there is one. */
    void ensureGradient(int total) {
        if (grad == null) {
            if (spare != null && spare.length == total) {
                java.util.Arrays.fill(spare, 0f);
                grad = spare;
            } else {
                grad = new float[total];
            }
            spare = null;
        } else if (grad.length != total) {
            throw new TrainingException("gradient sums of different sizes: " + grad.length + " and " + total);
        }
    }

    /**
     * An array of size total for a first gradient that the caller overwrites completely: the spare (not zeroed) when
     * it has that size, else a new one.
     */
    float[] takeGradient(int total) {
        float[] g = spare != null && spare.length == total ? spare : new float[total];
        spare = null;
        return g;
    }

    /** Adds values into the flat gradient at offset (allocating a vector of size total first). */
    void addGradient(int total, int offset, float[] values) {
        ensureGradient(total);
        for (int i = 0; i < values.length; i++) {
            grad[offset + i] += values[i];
        }
    }

    /**
     * Adds {@code src[off, off + len)} into the gradient as {@link #merge} adds another sum's: the first copied (into
     * spare when it has length len, else a new array), later ones added element by element.
     */
    void addRange(float[] src, int off, int len, float[] spare) {
        if (grad == null) {
            grad = spare != null && spare.length == len ? spare : new float[len];
            System.arraycopy(src, off, grad, 0, len);
        } else if (grad.length != len) {
            throw differentSizes(grad.length, len);
        } else {
            float[] g = grad;
            for (int i = 0; i < len; i++) {
                g[i] += src[off + i];
            }
        }
    }

    /** The error of two partitions' gradient sums of different sizes. */
    static TrainingException differentSizes(int a, int b) {
        return new TrainingException("gradient sums of different sizes: " + a + " and " + b
                + " (the model differs between executors)");
    }

    /** Adds other into this in place and returns this (treeAggregate's combOp). */
    GradientSum merge(GradientSum other) {
        if (other == null || other == this) {
            return this;
        }
        loss += other.loss;
        count += other.count;
        devices = unionOfLines(devices, other.devices);
        if (other.grad != null) {
            if (grad == null) {
                grad = other.grad;
            } else if (grad.length != other.grad.length) {
                throw differentSizes(grad.length, other.grad.length);
            } else {
                float[] g = grad;
                float[] o = other.grad;
                for (int i = 0; i < g.length; i++) {
                    g[i] += o[i];
                }
            }
        }
        return this;
    }
}
