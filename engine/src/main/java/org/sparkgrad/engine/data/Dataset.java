package org.sparkgrad.engine.data;

import java.util.ArrayList;
import java.util.List;
import org.sparkgrad.engine.Tensor;

/**
 * A map-style dataset, like {@code torch.utils.data.Dataset}: {@link #size()} samples, each an array of
 * tensors (e.g. {@code {features, label}}), read by index. A {@link DataLoader} groups samples into
 * batches with {@link #getBatch(int[])}.
 */
public interface Dataset {
    /** The number of samples. */
    int size();

    /**
     * Sample {@code i} (0 &lt;= i &lt; size()) as an array of tensors; every sample has the same number of
     * tensors, and the tensors in one position have the same shape across samples.
     */
    Tensor[] get(int i);

    /**
     * The samples at {@code indices}, batched: element k of the result stacks element k of every sample
     * along a new first dimension, like PyTorch's default collate. Datasets that hold their samples in
     * tensors override this to gather a batch in one operation.
     */
    default Tensor[] getBatch(int[] indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one index");
        }
        Tensor[] first = get(indices[0]);
        List<List<Tensor>> columns = new ArrayList<>();
        for (int k = 0; k < first.length; k++) {
            columns.add(new ArrayList<>(indices.length));
        }
        for (int j = 0; j < indices.length; j++) {
            Tensor[] sample = j == 0 ? first : get(indices[j]);
            if (sample.length != first.length) {
                throw new IllegalStateException("sample " + indices[j] + " has " + sample.length + " tensors, but sample "
                        + indices[0] + " has " + first.length);
            }
            for (int k = 0; k < sample.length; k++) {
                columns.get(k).add(sample[k]);
            }
        }
        Tensor[] batch = new Tensor[first.length];
        for (int k = 0; k < batch.length; k++) {
            batch[k] = Tensor.stack(columns.get(k), 0);
        }
        return batch;
    }
}
