package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link KeyedPermutation} checked by brute force: every element of {@code [0, n)} lands on a distinct position of
 * {@code [0, n)} and indexAt inverts position, for many sizes and keys; a step's batch is the same set of samples
 * however the samples are split into blocks ({@link BlockSchedule} per block, as the executors find their rows).
 */
class KeyedPermutationTest {
    private static final long[][] KEYS = {{0, 0}, {0, 1}, {1, 0}, {42, 7}, {-3, 2}, {Long.MAX_VALUE, Long.MIN_VALUE}};

    @Test
    void isABijectionOnZeroToNForManySizesAndKeys() {
        List<Long> sizes = new ArrayList<>();
        for (long n = 0; n <= 300; n++) {
            sizes.add(n);
        }
        // around powers of two (where the Feistel domain grows) and a few odd sizes
        sizes.addAll(List.of(511L, 512L, 513L, 1000L, 1023L, 1024L, 1025L, 4095L, 4097L, 10007L, 65535L, 65537L));
        for (long n : sizes) {
            for (long[] key : KEYS) {
                KeyedPermutation p = new KeyedPermutation(n, key[0], key[1]);
                assertEquals(n, p.size());
                boolean[] taken = new boolean[(int) n];
                for (long i = 0; i < n; i++) {
                    long pos = p.position(i);
                    String where = "n=" + n + " key=" + Arrays.toString(key) + " index " + i;
                    assertTrue(pos >= 0 && pos < n, where + " -> position " + pos);
                    assertFalse(taken[(int) pos], where + " -> position " + pos + ", taken twice");
                    taken[(int) pos] = true;
                    assertEquals(i, p.indexAt(pos), where + ": indexAt(position) is not the index");
                }
            }
        }
    }

    @Test
    void invertsOnHugeSizes() {
        SplittableRandom r = new SplittableRandom(5);
        for (long n : new long[] {(1L << 62), (1L << 62) - 1, 3_000_000_000_007L, (1L << 31) + 1}) {
            KeyedPermutation p = new KeyedPermutation(n, 9, 1);
            for (int k = 0; k < 2000; k++) {
                long i = k < 2 ? (k == 0 ? 0 : n - 1) : r.nextLong(n);
                long pos = p.position(i);
                assertTrue(pos >= 0 && pos < n, "n=" + n + " index " + i + " -> " + pos);
                assertEquals(i, p.indexAt(pos), "n=" + n + " index " + i);
            }
        }
    }

    @Test
    void theKeyDecidesTheOrderAndTheSameKeyGivesTheSameOrder() {
        int n = 1000;
        long[] a = order(new KeyedPermutation(n, 42, 0));
        assertTrue(Arrays.equals(a, order(new KeyedPermutation(n, 42, 0))), "same (n, seed, epoch), same order");
        for (long[] other : new long[][] {order(new KeyedPermutation(n, 42, 1)), order(new KeyedPermutation(n, 43, 0))}) {
            int same = 0;
            for (int i = 0; i < n; i++) {
                same += a[i] == other[i] ? 1 : 0;
            }
            // independent random orders agree at about 1 of n positions
            assertTrue(same < 10, same + " of " + n + " positions agree between two keys");
        }
        int fixed = 0;
        for (int i = 0; i < n; i++) {
            fixed += a[i] == i ? 1 : 0;
        }
        assertTrue(fixed < 10, fixed + " fixed points: hardly shuffled");
    }

    @Test
    void eachPositionIsAboutEquallyLikelyOverSeeds() {
        int n = 10;
        int seeds = 20_000;
        int[] counts = new int[n];
        for (int s = 0; s < seeds; s++) {
            counts[(int) new KeyedPermutation(n, s, 0).position(3)]++;
        }
        // 2000 expected per position, standard deviation about 42
        for (int pos = 0; pos < n; pos++) {
            assertTrue(Math.abs(counts[pos] - seeds / n) < 300, "element 3 at position " + pos + " for " + counts[pos]
                    + " of " + seeds + " seeds: " + Arrays.toString(counts));
        }
    }

    @Test
    void stepBatchesAreTheSameHoweverTheSamplesAreSplitIntoBlocks() {
        int n = 1000;
        long seed = 17;
        SplittableRandom r = new SplittableRandom(3);
        List<int[]> splits = new ArrayList<>();
        splits.add(new int[] {n});
        splits.add(new int[] {500, 500});
        splits.add(new int[] {1, 0, 998, 1});
        for (int k = 0; k < 5; k++) {
            splits.add(randomSplit(n, 1 + r.nextInt(12), r));
        }
        for (long epoch = 0; epoch < 3; epoch++) {
            KeyedPermutation p = new KeyedPermutation(n, seed, epoch);
            // brute force: the samples sorted by their positions
            Long[] byPosition = new Long[n];
            for (int i = 0; i < n; i++) {
                byPosition[i] = (long) i;
            }
            Arrays.sort(byPosition, (x, y) -> Long.compare(p.position(x), p.position(y)));
            for (int[] split : splits) {
                List<BlockSchedule> schedules = new ArrayList<>();
                long first = 0;
                for (int rows : split) {
                    schedules.add(BlockSchedule.of(rows, first, new KeyedPermutation(n, seed, epoch)));
                    first += rows;
                }
                for (int batch : new int[] {1, 7, 64, 333, 1000}) {
                    for (int from = 0; from < n; from += batch) {
                        int to = Math.min(n, from + batch);
                        assertEquals(Arrays.asList(byPosition).subList(from, to), batch(split, schedules, p, from, to),
                                "epoch " + epoch + " positions [" + from + ", " + to + ") with blocks "
                                        + Arrays.toString(split));
                    }
                }
            }
        }
    }

    /** The samples of positions [from, to) as the blocks find them, merged in position order. */
    private static List<Long> batch(int[] split, List<BlockSchedule> schedules, KeyedPermutation p, long from, long to) {
        TreeMap<Long, Long> byPosition = new TreeMap<>();
        long first = 0;
        for (int b = 0; b < split.length; b++) {
            BlockSchedule s = schedules.get(b);
            long previous = -1;
            for (int k = s.lowerBound(from); k < s.lowerBound(to); k++) {
                long global = first + s.rows()[k];
                long pos = p.position(global);
                assertTrue(pos > previous, "a block's rows come in position order");
                previous = pos;
                assertNull(byPosition.put(pos, global), "position " + pos + " taken by two blocks");
            }
            first += split[b];
        }
        return new ArrayList<>(byPosition.values());
    }

    private static int[] randomSplit(int n, int blocks, SplittableRandom r) {
        int[] cuts = new int[blocks + 1];
        for (int b = 1; b < blocks; b++) {
            cuts[b] = r.nextInt(n + 1);
        }
        cuts[blocks] = n;
        Arrays.sort(cuts);
        int[] sizes = new int[blocks];
        for (int b = 0; b < blocks; b++) {
            sizes[b] = cuts[b + 1] - cuts[b];
        }
        return sizes;
    }

    private static long[] order(KeyedPermutation p) {
        long[] out = new long[(int) p.size()];
        for (int pos = 0; pos < out.length; pos++) {
            out[pos] = p.indexAt(pos);
        }
        return out;
    }

    @Test
    void outOfRangeArgumentsSayWhatIsAllowed() {
        assertEquals("a permutation needs 0 <= n <= 2^62 elements, got n=-1",
                assertThrows(IllegalArgumentException.class, () -> new KeyedPermutation(-1, 0, 0)).getMessage());
        assertEquals("a permutation needs 0 <= n <= 2^62 elements, got n=" + ((1L << 62) + 1),
                assertThrows(IllegalArgumentException.class, () -> new KeyedPermutation((1L << 62) + 1, 0, 0))
                        .getMessage());
        KeyedPermutation p = new KeyedPermutation(5, 0, 0);
        assertEquals("index 5 is out of range for a permutation of 5 elements",
                assertThrows(IndexOutOfBoundsException.class, () -> p.position(5)).getMessage());
        assertEquals("position -1 is out of range for a permutation of 5 elements",
                assertThrows(IndexOutOfBoundsException.class, () -> p.indexAt(-1)).getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> new KeyedPermutation(0, 0, 0).position(0));
    }
}
