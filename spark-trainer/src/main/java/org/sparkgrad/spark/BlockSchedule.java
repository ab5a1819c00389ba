package org.sparkgrad.spark;

import java.util.Arrays;

/**
 * One block's rows in one epoch's order: each row's position in the epoch's {@link KeyedPermutation},
 * sorted, with the row behind each position. Computed once per block and epoch; then every step finds its
 * rows (positions {@code [from, to)}) by two binary searches, without moving any data.
 */
final class BlockSchedule {
    private final long[] sortedPositions;
    private final int[] rowAt;

    private BlockSchedule(long[] sortedPositions, int[] rowAt) {
        this.sortedPositions = sortedPositions;
        this.rowAt = rowAt;
    }

    /** The schedule of a block whose row r has global index firstGlobal + r. */
    static BlockSchedule of(int rows, long firstGlobal, KeyedPermutation order) {
        long[] positions = new long[rows];
        for (int r = 0; r < rows; r++) {
            positions[r] = order.position(firstGlobal + r);
        }
        long[] sorted = positions.clone();
        Arrays.sort(sorted);
        int[] rowAt = new int[rows];
        for (int r = 0; r < rows; r++) {
            rowAt[Arrays.binarySearch(sorted, positions[r])] = r;
        }
        return new BlockSchedule(sorted, rowAt);
    }

    /** The first index i whose position is at least p (positions are distinct). */
    int lowerBound(long p) {
        int i = Arrays.binarySearch(sortedPositions, p);
        return i >= 0 ? i : -i - 1;
    }

    /** The block rows in position order (indices [lowerBound(from), lowerBound(to)) form a step's share). */
    int[] rows() {
        return rowAt;
    }
}
