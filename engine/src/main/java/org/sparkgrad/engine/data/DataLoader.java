package org.sparkgrad.engine.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;

/**
 * Batches of a dataset, like {@code torch.utils.data.DataLoader}: iterating gives one epoch of
 * {@code Tensor[]} batches (element k of a batch stacks element k of its samples along dim 0).
 *
 * <p>Each call of {@link #iterator()} starts the next epoch (0, 1, 2, ...). With shuffling, an epoch's
 * order is a fresh permutation drawn from a {@link Generator} seeded by (seed, epoch number), so the order
 * of every epoch is reproducible from the seed alone, and different epochs see different orders. Without
 * shuffling, samples come in index order.
 *
 * <pre>{@code
 * DataLoader loader = new DataLoader(new TensorDataset(features, labels), 10, true, 42, false);
 * for (int epoch = 0; epoch < 3; epoch++) {
 *     for (Tensor[] batch : loader) {
 *         Tensor l = loss.forward(net.forward(batch[0]), batch[1]);
 *         ...
 *     }
 * }
 * }</pre>
 */
public final class DataLoader implements Iterable<Tensor[]> {
    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final AtomicLong nextEpoch = new AtomicLong();

    /**
     * A loader over dataset.
     *
     * @param batchSize samples per batch (the last batch may be smaller unless dropLast)
     * @param shuffle whether each epoch visits the samples in a new random order
     * @param seed the seed of the epochs' orders (unused without shuffling)
     * @param dropLast whether to drop a last batch smaller than batchSize
     * @throws IllegalArgumentException when batchSize is not positive
     */
    public DataLoader(Dataset dataset, int batchSize, boolean shuffle, long seed, boolean dropLast) {
        this.dataset = Objects.requireNonNull(dataset, "dataset must not be null");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch_size should be a positive integer value, but got batch_size=" + batchSize);
        }
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
    }

    /** A loader that keeps the last partial batch. */
    public DataLoader(Dataset dataset, int batchSize, boolean shuffle, long seed) {
        this(dataset, batchSize, shuffle, seed, false);
    }

    /** A loader in index order (no shuffling) that keeps the last partial batch. */
    public DataLoader(Dataset dataset, int batchSize) {
        this(dataset, batchSize, false, 0, false);
    }

    /** The dataset batches are drawn from. */
    public Dataset dataset() {
        return dataset;
    }

    /** Samples per batch. */
    public int batchSize() {
        return batchSize;
    }

    /** The number of batches in one epoch: ceil(n / batchSize), or floor(n / batchSize) with dropLast. */
    public int size() {
        int n = dataset.size();
        return dropLast ? n / batchSize : (int) ((n + (long) batchSize - 1) / batchSize);
    }

    /** The number of the epoch that the next {@link #iterator()} call starts. */
    public long epoch() {
        return nextEpoch.get();
    }

    /**
     * Sets the number of the epoch that the next {@link #iterator()} call starts, e.g. to resume training
     * at a given epoch with the same orders as an uninterrupted run.
     */
    public void setEpoch(long epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        nextEpoch.set(epoch);
    }

    /**
     * The order in which an epoch visits the sample indices: 0..n-1 without shuffling, else a
     * permutation determined by (seed, epoch). Batches are consecutive runs of this order.
     */
    public int[] order(long epoch) {
        int n = dataset.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            Generator gen = new Generator(epochSeed(seed, epoch));
            for (int i = n - 1; i > 0; i--) { // Fisher-Yates
                int j = gen.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** Starts the next epoch: its batches, in order. */
    @Override
    public Iterator<Tensor[]> iterator() {
        int[] order = order(nextEpoch.getAndIncrement());
        int batches = size();
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < batches;
            }

            @Override
            public Tensor[] next() {
                if (next >= batches) {
                    throw new NoSuchElementException("the epoch has " + batches + " batches, all of them taken");
                }
                int from = next * batchSize;
                int to = Math.min(from + batchSize, order.length);
                int[] indices = new int[to - from];
                System.arraycopy(order, from, indices, 0, indices.length);
                next++;
                return dataset.getBatch(indices);
            }
        };
    }

    /** A seed for one epoch's generator that differs well between neighbouring seeds and epochs. */
    static long epochSeed(long seed, long epoch) {
        return mix(mix(seed) + epoch * 0x9E3779B97F4A7C15L);
    }

    /** The 64-bit finaliser of MurmurHash3. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
