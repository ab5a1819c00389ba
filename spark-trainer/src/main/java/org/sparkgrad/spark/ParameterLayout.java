package org.sparkgrad.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Parameter;

/**
 * The flat-vector layout of a model's parameters: names and shapes in namedParameters() order and each
 * one's offset in the flat float vector the driver broadcasts and the gradient sums use.
 */
final class ParameterLayout implements Serializable {
    private static final long serialVersionUID = 1L;

    final String[] names;
    final int[][] shapes;
    final int[] offsets;
    final int total;

    private ParameterLayout(String[] names, int[][] shapes) {
        this.names = names;
        this.shapes = shapes;
        this.offsets = new int[names.length];
        long t = 0;
        for (int i = 0; i < names.length; i++) {
            offsets[i] = (int) t;
            long n = 1;
            for (int d : shapes[i]) {
                n *= d;
            }
            t += n;
            if (t > Integer.MAX_VALUE - 8) {
                throw new TrainingException("the model has more than " + (Integer.MAX_VALUE - 8)
                        + " parameter values; one flat float vector cannot hold them");
            }
        }
        this.total = (int) t;
    }

    /** The layout of named parameters (a module's namedParameters()). */
    static ParameterLayout of(Map<String, Parameter> params) {
        if (params.isEmpty()) {
            throw new TrainingException("the model has no parameters to train");
        }
        List<String> names = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        params.forEach((k, v) -> {
            if (v.dtype() != DType.FLOAT32) {
                throw new TrainingException("parameter '" + k + "' is " + v.dtype().pyName()
                        + "; the trainer ships parameters as float32 (build the model in float32)");
            }
            names.add(k);
            shapes.add(v.shape());
        });
        return new ParameterLayout(names.toArray(new String[0]), shapes.toArray(new int[0][]));
    }

    /** The number of elements of parameter i. */
    int size(int i) {
        return (i + 1 < offsets.length ? offsets[i + 1] : total) - offsets[i];
    }

    /**
     * The parameter element at flat index i, e.g. {@code 0.weight[3]} (the index within the parameter counts its
     * elements row-major).
     */
    String element(int i) {
        if (i < 0 || i >= total) {
            throw new IndexOutOfBoundsException("flat index " + i + " is outside the " + total + " parameter values");
        }
        int p = 0;
        while (p + 1 < offsets.length && offsets[p + 1] <= i) {
            p++;
        }
        return names[p] + "[" + (i - offsets[p]) + "]";
    }

    /**
     * Null when other (the model an executor built) has this layout, else a message naming every
     * difference with both shapes.
     */
    String mismatch(ParameterLayout executor) {
        List<String> problems = new ArrayList<>();
        int n = Math.max(names.length, executor.names.length);
        for (int i = 0; i < n; i++) {
            String dn = i < names.length ? names[i] + " " + Arrays.toString(shapes[i]) : "(none)";
            String en = i < executor.names.length ? executor.names[i] + " " + Arrays.toString(executor.shapes[i]) : "(none)";
            if (!dn.equals(en)) {
                problems.add("parameter " + i + ": driver " + dn + ", executor " + en);
            }
        }
        if (problems.isEmpty()) {
            return null;
        }
        return "the model built on the executor differs from the driver's (" + String.join("; ", problems)
                + "); the model factory must build the same model on the driver and on every executor";
    }

    /** The parameters' values as one flat float vector. */
    float[] flatten(List<Parameter> params) {
        return flatten(params, null);
    }

    /** As {@link #flatten(List)}, into spare when it has the total length. */
    float[] flatten(List<Parameter> params, float[] spare) {
        float[] flat = spare != null && spare.length == total ? spare : new float[total];
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i).detach();
                if (p.device().equals(org.sparkgrad.engine.Device.CPU)) {
                    part(flat, i).copy_(p); // straight into the flat vector, no array per parameter
                } else {
                    float[] v = p.toFloatArray();
                    System.arraycopy(v, 0, flat, offsets[i], v.length);
                }
            }
        }
        return flat;
    }

    /** Copies a flat vector into the parameters' storage (no autograd). */
    void load(List<Parameter> params, float[] flat) {
        place(params, flat, false);
    }

    /**
     * Makes CPU parameters views of a flat vector ({@link Tensor#setData}: no copy; later writes to the vector show in
     * them) and copies it into the others, as {@link #load} does. For a replica that only reads its parameters, on a
     * vector that stays unchanged while it computes.
     */
    void share(List<Parameter> params, float[] flat) {
        place(params, flat, true);
    }

    /** {@link #share} (CPU parameters become views of flat) or {@link #load} (every parameter copies it). */
    private void place(List<Parameter> params, float[] flat, boolean view) {
        if (flat.length != total) {
            throw new TrainingException("the broadcast parameter vector has " + flat.length + " values, the model needs "
                    + total);
        }
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                if (!p.device().equals(org.sparkgrad.engine.Device.CPU)) {
                    p.copy_(Tensor.tensor(Arrays.copyOfRange(flat, offsets[i], offsets[i] + size(i)), shapes[i]));
                } else if (view) {
                    p.setData(part(flat, i));
                } else {
                    p.copy_(part(flat, i));
                }
            }
        }
    }

    /** Parameter i's part of a flat vector as a CPU tensor of its shape sharing the vector's memory. */
    Tensor part(float[] flat, int i) {
        return Tensor.fromArray(flat, flat.length).narrow(0, offsets[i], size(i)).view(shapes[i]);
    }

    /** Slice i of a flat vector as a tensor of parameter i's shape. */
    Tensor slice(float[] flat, int i) {
        return Tensor.tensor(Arrays.copyOfRange(flat, offsets[i], offsets[i] + size(i)), shapes[i]);
    }
}
