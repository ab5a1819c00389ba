package org.sparkgrad.engine.data;

import java.util.Arrays;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/**
 * A dataset of tensors that share their first dimension, like {@code torch.utils.data.TensorDataset}:
 * sample i is {@code {t[0][i], t[1][i], ...}}. Samples are views of the given tensors; a batch is one
 * {@link Tensor#indexSelect} per tensor.
 */
public final class TensorDataset implements Dataset {
    private final Tensor[] tensors;

    /**
     * A dataset over tensors whose first dimensions are all equal (e.g. features {@code [n, d]} and
     * labels {@code [n, 1]}).
     *
     * @throws IllegalArgumentException for no tensors, a 0-d tensor, or first dimensions that differ
     */
    public TensorDataset(Tensor... tensors) {
        if (tensors == null || tensors.length == 0) {
            throw new IllegalArgumentException("TensorDataset needs at least one tensor");
        }
        for (int k = 0; k < tensors.length; k++) {
            if (tensors[k] == null) {
                throw new IllegalArgumentException("tensor " + k + " of the TensorDataset is null");
            }
            if (tensors[k].dim() == 0) {
                throw new IllegalArgumentException("TensorDataset needs tensors of at least one dimension, but tensor " + k
                        + " is 0-d");
            }
        }
        int n = tensors[0].size(0);
        for (Tensor t : tensors) {
            if (t.size(0) != n) {
                int[] sizes = new int[tensors.length];
                String[] shapes = new String[tensors.length];
                for (int k = 0; k < tensors.length; k++) {
                    sizes[k] = tensors[k].size(0);
                    shapes[k] = Arrays.toString(tensors[k].shape());
                }
                throw new IllegalArgumentException("Size mismatch between tensors: first dimensions " + Arrays.toString(sizes)
                        + " (shapes " + String.join(", ", shapes) + ") must all be equal");
            }
        }
        this.tensors = tensors.clone();
    }

    /** The tensors this dataset reads from. */
    public Tensor[] tensors() {
        return tensors.clone();
    }

    @Override
    public int size() {
        return tensors[0].size(0);
    }

    @Override
    public Tensor[] get(int i) {
        checkIndex(i);
        Tensor[] out = new Tensor[tensors.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = tensors[k].select(0, i);
        }
        return out;
    }

    /** The rows at {@code indices} of every tensor, each gathered by one index_select. */
    @Override
    public Tensor[] getBatch(int[] indices) {
        double[] idx = new double[indices.length];
        for (int j = 0; j < indices.length; j++) {
            checkIndex(indices[j]);
            idx[j] = indices[j];
        }
        Tensor index = Tensor.tensor(idx, DType.INT64, idx.length);
        Tensor[] out = new Tensor[tensors.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = tensors[k].indexSelect(0, index);
        }
        return out;
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size()) {
            throw new IndexOutOfBoundsException("index " + i + " is out of range for a dataset of size " + size());
        }
    }
}
