package org.sparkgrad.engine;

/** Small tensors made from host arrays for the layer ops: index tables, masks, per-channel statistics. */
final class HostTensors {
    private HostTensors() {
    }

    /** values (row-major) as a tensor of like's dtype on like's device. */
    static Tensor like(double[] values, Tensor like, int... shape) {
        return Tensor.tensor(values, like.dtype(), shape).to(like.device());
    }

    /** int64 indices on a device. */
    static Tensor indices(long[] values, Device device, int... shape) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return Tensor.tensor(d, DType.INT64, shape).to(device);
    }

    /** The shape [1, c, 1, ...] of rank `rank`, to broadcast a per-channel vector over dimension 1. */
    static int[] channelShape(int rank, int c) {
        int[] s = new int[rank];
        java.util.Arrays.fill(s, 1);
        s[1] = c;
        return s;
    }

    /** Every dimension but 1. */
    static int[] allButChannel(int rank) {
        int[] dims = new int[rank - 1];
        for (int d = 0, k = 0; d < rank; d++) {
            if (d != 1) {
                dims[k++] = d;
            }
        }
        return dims;
    }
}
