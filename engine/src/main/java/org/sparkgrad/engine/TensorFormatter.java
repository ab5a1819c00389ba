package org.sparkgrad.engine;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Prints tensors the way PyTorch does: one width for all elements, integer-valued floats as {@code 3.},
 * four decimals, scientific notation when magnitudes span more than 1000x (or exceed 1e8, or go below
 * 1e-4), rows wrapped at 80 columns, and the dtype / grad_fn / requires_grad suffixes.
 */
final class TensorFormatter {
    private static final int LINE_WIDTH = 80;
    private static final int THRESHOLD = 1000;
    private static final int EDGE_ITEMS = 3;

    private TensorFormatter() {
    }

    static String format(Tensor t) {
        String prefix = "tensor(";
        StringBuilder suffix = new StringBuilder();
        if (!t.device().equals(Device.CPU)) {
            suffix.append(", device='").append(t.device()).append('\'');
        }
        if (t.dtype() == DType.FLOAT64) {
            suffix.append(", dtype=torch.float64");
        }
        if (t.gradFn() != null) {
            suffix.append(", grad_fn=<").append(t.gradFn().name()).append('>');
        } else if (t.requiresGrad()) {
            suffix.append(", requires_grad=True");
        }
        double[] values = t.toArray();
        String body;
        if (t.numel() == 0) {
            body = "[]";
            if (t.dim() != 1) {
                suffix.insert(0, ", size=(" + join(t.shapeRef()) + ")");
            }
        } else {
            boolean summarize = values.length > THRESHOLD;
            Element fmt = new Element(t.dtype(), values, summarize ? summarySample(t, values) : null);
            body = t.dim() == 0 ? fmt.format(values[0]) : block(t.shapeRef(), values, 0, 0, prefix.length(), fmt, summarize);
        }
        return prefix + body + suffix + ")";
    }

    private static String join(int[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            sb.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return shape.length == 1 ? sb + "," : sb.toString();
    }

    /** The elements that will be printed when the tensor is summarized (PyTorch sizes widths on these). */
    private static double[] summarySample(Tensor t, double[] values) {
        java.util.List<Double> kept = new java.util.ArrayList<>();
        collect(t.shapeRef(), values, 0, 0, kept);
        double[] out = new double[kept.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = kept.get(i);
        }
        return out;
    }

    private static void collect(int[] shape, double[] v, int dim, int base, java.util.List<Double> out) {
        int stride = 1;
        for (int d = dim + 1; d < shape.length; d++) {
            stride *= shape[d];
        }
        for (int i = 0; i < shape[dim]; i++) {
            if (shape[dim] > 2 * EDGE_ITEMS && i == EDGE_ITEMS) {
                i = shape[dim] - EDGE_ITEMS;
            }
            if (dim == shape.length - 1) {
                out.add(v[base + i]);
            } else {
                collect(shape, v, dim + 1, base + i * stride, out);
            }
        }
    }

    private static String block(int[] shape, double[] v, int dim, int base, int indent, Element fmt, boolean summarize) {
        int n = shape[dim];
        int stride = 1;
        for (int d = dim + 1; d < shape.length; d++) {
            stride *= shape[d];
        }
        boolean cut = summarize && n > 2 * EDGE_ITEMS;
        StringBuilder sb = new StringBuilder("[");
        if (dim == shape.length - 1) {
            int perLine = Math.max(1, (LINE_WIDTH - indent - dim) / (fmt.width + 2));
            int onLine = 0;
            boolean firstItem = true;
            for (int i = 0; i < n; i++) {
                if (cut && i == EDGE_ITEMS) {
                    sb.append(firstItem ? "" : ", ").append(" ...");
                    i = n - EDGE_ITEMS;
                    onLine++;
                }
                if (!firstItem || (cut && i == n - EDGE_ITEMS)) {
                    if (onLine >= perLine) {
                        sb.append(",\n").append(" ".repeat(indent + dim + 1));
                        onLine = 0;
                    } else {
                        sb.append(", ");
                    }
                }
                sb.append(pad(fmt.format(v[base + i]), fmt.width));
                onLine++;
                firstItem = false;
            }
        } else {
            String sep = "," + "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + dim + 1);
            for (int i = 0; i < n; i++) {
                if (cut && i == EDGE_ITEMS) {
                    sb.append("...").append(sep);
                    i = n - EDGE_ITEMS;
                }
                sb.append(block(shape, v, dim + 1, base + i * stride, indent, fmt, summarize));
                if (i < n - 1) {
                    sb.append(sep);
                }
            }
        }
        return sb.append(']').toString();
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }

    /** The shared element format chosen from all values, as PyTorch's _Formatter. */
    private static final class Element {
        private final DType dtype;
        private boolean intMode = true;
        private boolean sciMode;
        private int width;

        Element(DType dtype, double[] all, double[] sample) {
            this.dtype = dtype;
            double[] values = sample != null ? sample : all;
            if (dtype.isFloatingPoint()) {
                double maxAbs = 0;
                double minAbs = Double.POSITIVE_INFINITY;
                boolean anyFinite = false;
                for (double v : values) {
                    if (!Double.isFinite(v)) {
                        continue;
                    }
                    if (v != Math.rint(v)) {
                        intMode = false;
                    }
                    double a = Math.abs(v);
                    if (a != 0) {
                        anyFinite = true;
                        maxAbs = Math.max(maxAbs, a);
                        minAbs = Math.min(minAbs, a);
                    }
                }
                if (anyFinite) {
                    if (intMode) {
                        sciMode = maxAbs / minAbs > 1000 || maxAbs > 1e8;
                    } else {
                        sciMode = maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4;
                    }
                }
            }
            for (double v : values) {
                width = Math.max(width, format(v).length());
            }
        }

        String format(double v) {
            if (dtype == DType.BOOL) {
                return v != 0 ? "True" : "False";
            }
            if (dtype == DType.INT64) {
                return Long.toString((long) v);
            }
            if (Double.isNaN(v)) {
                return "nan";
            }
            if (Double.isInfinite(v)) {
                return v > 0 ? "inf" : "-inf";
            }
            if (sciMode) {
                return scientific(v);
            }
            if (intMode) {
                return new BigDecimal(v).setScale(0, RoundingMode.HALF_EVEN).toPlainString() + ".";
            }
            return new BigDecimal(v).setScale(4, RoundingMode.HALF_EVEN).toPlainString();
        }

        /** Python's {@code '{:.4e}'}: 5 significant digits, exponent with sign and at least two digits. */
        private static String scientific(double v) {
            if (v == 0) {
                return (1 / v < 0 ? "-" : "") + "0.0000e+00";
            }
            BigDecimal d = new BigDecimal(v).round(new MathContext(5, RoundingMode.HALF_EVEN));
            int exp = d.precision() - d.scale() - 1;
            BigDecimal mant = d.movePointLeft(exp).setScale(4, RoundingMode.HALF_EVEN);
            String e = Integer.toString(Math.abs(exp));
            return mant.toPlainString() + "e" + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
        }
    }
}
