package org.sparkgrad.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/** {@link TensorDataset}, the default batching of {@link Dataset}, and {@link DataLoader}'s epochs. */
class DataLoaderTest {
    /** Features [n, 2] with row i = (i, 10 i), labels [n] = i as int64: every row says which sample it is. */
    private static TensorDataset numbered(int n) {
        double[] x = new double[2 * n];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = 10 * i;
            y[i] = i;
        }
        return new TensorDataset(Tensor.tensor(x, DType.FLOAT32, n, 2), Tensor.ofLongs(y));
    }

    /** The sample ids of one epoch's batches, checking that features and labels agree. */
    private static List<long[]> epoch(DataLoader loader) {
        List<long[]> out = new ArrayList<>();
        for (Tensor[] batch : loader) {
            assertEquals(2, batch.length);
            long[] ids = batch[1].toLongArray();
            float[] x = batch[0].toFloatArray();
            assertArrayEquals(new int[] {ids.length, 2}, batch[0].shape());
            assertEquals(DType.INT64, batch[1].dtype());
            for (int i = 0; i < ids.length; i++) {
                assertEquals(ids[i], x[2 * i]);
                assertEquals(10 * ids[i], x[2 * i + 1]);
            }
            out.add(ids);
        }
        return out;
    }

    private static long[] flat(List<long[]> batches) {
        return batches.stream().flatMapToLong(Arrays::stream).toArray();
    }

    private static void assertPermutation(long[] ids, int n) {
        long[] sorted = ids.clone();
        Arrays.sort(sorted);
        long[] expected = new long[n];
        for (int i = 0; i < n; i++) {
            expected[i] = i;
        }
        assertArrayEquals(expected, sorted, "each sample exactly once");
    }

    // =====================================================================================================
    // TensorDataset

    @Test
    void tensorDatasetSamplesAreRows() {
        TensorDataset ds = numbered(5);
        assertEquals(5, ds.size());
        Tensor[] s = ds.get(3);
        assertEquals(2, s.length);
        assertArrayEquals(new float[] {3, 30}, s[0].toFloatArray());
        assertArrayEquals(new int[] {2}, s[0].shape());
        assertArrayEquals(new int[0], s[1].shape());
        assertEquals(3.0, s[1].item());
    }

    @Test
    void tensorDatasetBatchGathersRows() {
        Tensor[] b = numbered(6).getBatch(new int[] {4, 0, 4});
        assertArrayEquals(new float[] {4, 40, 0, 0, 4, 40}, b[0].toFloatArray());
        assertArrayEquals(new long[] {4, 0, 4}, b[1].toLongArray());
    }

    @Test
    void tensorDatasetChecksItsTensors() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> new TensorDataset(Tensor.zeros(4, 2), Tensor.zeros(3, 1), Tensor.zeros(4)));
        assertEquals("Size mismatch between tensors: first dimensions [4, 3, 4] (shapes [4, 2], [3, 1], [4]) must all be equal",
                ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> new TensorDataset(Tensor.zeros(4), Tensor.scalar(1)));
        assertEquals("TensorDataset needs tensors of at least one dimension, but tensor 1 is 0-d", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, TensorDataset::new);
        assertEquals("TensorDataset needs at least one tensor", ex.getMessage());
    }

    @Test
    void tensorDatasetIndexOutOfRange() {
        TensorDataset ds = numbered(3);
        assertEquals("index 3 is out of range for a dataset of size 3",
                assertThrows(IndexOutOfBoundsException.class, () -> ds.get(3)).getMessage());
        assertEquals("index -1 is out of range for a dataset of size 3",
                assertThrows(IndexOutOfBoundsException.class, () -> ds.getBatch(new int[] {0, -1})).getMessage());
    }

    @Test
    void batchesOfATensorDatasetCarryGradientsToItsTensors() {
        Tensor x = Tensor.of(1, 2, 3).requiresGrad_();
        Tensor[] b = new TensorDataset(x).getBatch(new int[] {2, 2, 0});
        b[0].sum().backward();
        assertArrayEquals(new float[] {1, 0, 2}, x.grad().toFloatArray());
    }

    // =====================================================================================================
    // Default batching of a Dataset

    /** Samples computed on the fly: {[i, i^2] as float64, i as a 0-d int64}. */
    private static final Dataset SQUARES = new Dataset() {
        @Override
        public int size() {
            return 7;
        }

        @Override
        public Tensor[] get(int i) {
            return new Tensor[] {Tensor.tensor(new double[] {i, i * i}, DType.FLOAT64, 2), Tensor.scalar(i, DType.INT64)};
        }
    };

    @Test
    void defaultBatchingStacksSamples() {
        Tensor[] b = SQUARES.getBatch(new int[] {3, 1});
        assertArrayEquals(new int[] {2, 2}, b[0].shape());
        assertArrayEquals(new double[] {3, 9, 1, 1}, b[0].toArray());
        assertArrayEquals(new long[] {3, 1}, b[1].toLongArray());
        DataLoader loader = new DataLoader(SQUARES, 3);
        List<Tensor[]> batches = new ArrayList<>();
        loader.forEach(batches::add);
        assertEquals(3, batches.size());
        assertArrayEquals(new long[] {6}, batches.get(2)[1].toLongArray());
        assertArrayEquals(new double[] {6, 36}, batches.get(2)[0].toArray());
    }

    @Test
    void defaultBatchingRejectsRaggedSamples() {
        Dataset ragged = new Dataset() {
            @Override
            public int size() {
                return 2;
            }

            @Override
            public Tensor[] get(int i) {
                return i == 0 ? new Tensor[] {Tensor.of(1)} : new Tensor[] {Tensor.of(1), Tensor.of(2)};
            }
        };
        assertEquals("sample 1 has 2 tensors, but sample 0 has 1",
                assertThrows(IllegalStateException.class, () -> ragged.getBatch(new int[] {0, 1})).getMessage());
    }

    // =====================================================================================================
    // DataLoader

    @Test
    void inOrderWithALastPartialBatch() {
        DataLoader loader = new DataLoader(numbered(10), 4);
        assertEquals(3, loader.size());
        List<long[]> batches = epoch(loader);
        assertEquals(3, batches.size());
        assertArrayEquals(new long[] {0, 1, 2, 3}, batches.get(0));
        assertArrayEquals(new long[] {4, 5, 6, 7}, batches.get(1));
        assertArrayEquals(new long[] {8, 9}, batches.get(2));
        assertArrayEquals(flat(batches), flat(epoch(loader)), "without shuffling every epoch is the same");
    }

    @Test
    void dropLastDropsOnlyAPartialBatch() {
        DataLoader loader = new DataLoader(numbered(10), 4, false, 0, true);
        assertEquals(2, loader.size());
        List<long[]> batches = epoch(loader);
        assertEquals(2, batches.size());
        assertArrayEquals(new long[] {4, 5, 6, 7}, batches.get(1));
        DataLoader exact = new DataLoader(numbered(8), 4, true, 1, true);
        assertEquals(2, exact.size());
        assertPermutation(flat(epoch(exact)), 8);
        assertEquals(0, new DataLoader(numbered(3), 4, false, 0, true).size());
        assertFalse(new DataLoader(numbered(3), 4, false, 0, true).iterator().hasNext());
    }

    @Test
    void shuffledEpochsVisitEachSampleOnceInDifferentOrders() {
        DataLoader loader = new DataLoader(numbered(23), 5, true, 42, false);
        assertEquals(5, loader.size());
        List<long[]> orders = new ArrayList<>();
        for (int e = 0; e < 4; e++) {
            List<long[]> batches = epoch(loader);
            assertEquals(5, batches.size());
            assertEquals(3, batches.get(4).length, "last partial batch");
            long[] ids = flat(batches);
            assertPermutation(ids, 23);
            orders.add(ids);
        }
        long[] identity = flat(epoch(new DataLoader(numbered(23), 5)));
        for (int a = 0; a < orders.size(); a++) {
            assertFalse(Arrays.equals(identity, orders.get(a)), "epoch " + a + " is shuffled");
            for (int b = a + 1; b < orders.size(); b++) {
                assertFalse(Arrays.equals(orders.get(a), orders.get(b)), "epochs " + a + " and " + b + " differ");
            }
        }
    }

    @Test
    void ordersAreReproducibleFromTheSeed() {
        DataLoader a = new DataLoader(numbered(50), 8, true, 7, false);
        DataLoader b = new DataLoader(numbered(50), 8, true, 7, false);
        DataLoader other = new DataLoader(numbered(50), 8, true, 8, false);
        List<long[]> epochsA = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
            long[] ia = flat(epoch(a));
            assertArrayEquals(ia, flat(epoch(b)), "epoch " + e);
            assertFalse(Arrays.equals(ia, flat(epoch(other))), "another seed gives another order in epoch " + e);
            epochsA.add(ia);
        }
        assertEquals(3, a.epoch());
        // Resuming at epoch 1 replays epoch 1's order; order(e) is what iteration uses.
        DataLoader resumed = new DataLoader(numbered(50), 8, true, 7, false);
        resumed.setEpoch(1);
        assertArrayEquals(epochsA.get(1), flat(epoch(resumed)));
        assertArrayEquals(epochsA.get(2), Arrays.stream(resumed.order(2)).asLongStream().toArray());
        assertEquals(2, resumed.epoch());
    }

    @Test
    void shuffleIsRoughlyUniform() {
        // Over 600 epochs of 4 samples, each sample comes first about 150 times (binomial sd ~10.6).
        DataLoader loader = new DataLoader(numbered(4), 4, true, 3, false);
        int[] first = new int[4];
        for (int e = 0; e < 600; e++) {
            first[loader.order(e)[0]]++;
        }
        for (int c : first) {
            assertTrue(c > 100 && c < 200, Arrays.toString(first));
        }
    }

    @Test
    void iteratorEndsWithNoSuchElement() {
        Iterator<Tensor[]> it = new DataLoader(numbered(2), 2).iterator();
        assertTrue(it.hasNext());
        it.next();
        assertFalse(it.hasNext());
        assertEquals("the epoch has 1 batches, all of them taken",
                assertThrows(NoSuchElementException.class, it::next).getMessage());
    }

    @Test
    void emptyDatasetHasNoBatches() {
        TensorDataset empty = new TensorDataset(Tensor.zeros(0, 3));
        DataLoader loader = new DataLoader(empty, 4, true, 1, false);
        assertEquals(0, loader.size());
        assertFalse(loader.iterator().hasNext());
    }

    @Test
    void argumentChecks() {
        TensorDataset ds = numbered(3);
        assertEquals("batch_size should be a positive integer value, but got batch_size=0",
                assertThrows(IllegalArgumentException.class, () -> new DataLoader(ds, 0)).getMessage());
        assertEquals("batch_size should be a positive integer value, but got batch_size=-2",
                assertThrows(IllegalArgumentException.class, () -> new DataLoader(ds, -2, true, 0, true)).getMessage());
        assertEquals("dataset must not be null",
                assertThrows(NullPointerException.class, () -> new DataLoader(null, 1)).getMessage());
        assertEquals("epoch must be >= 0, got -1",
                assertThrows(IllegalArgumentException.class, () -> new DataLoader(ds, 1).setEpoch(-1)).getMessage());
    }

    @Test
    void epochSeedsDifferForNeighbours() {
        assertNotEquals(DataLoader.epochSeed(1, 0), DataLoader.epochSeed(0, 1));
        assertNotEquals(DataLoader.epochSeed(0, 0), DataLoader.epochSeed(0, 1));
        assertEquals(DataLoader.epochSeed(5, 9), DataLoader.epochSeed(5, 9));
    }
}
