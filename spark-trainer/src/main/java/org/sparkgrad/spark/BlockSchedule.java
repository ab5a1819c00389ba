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
        long[] sorted = new long[rows];
        int[] rowAt = new int[rows];
        if (rows > 0 && order.size() <= Long.MAX_VALUE / rows) {
            // one sort of (position, row) packed into a long: position * rows + row, then split again
            for (int r = 0; r < rows; r++) {
                sorted[r] = order.position(firstGlobal + r) * rows + r;
            }
            Arrays.sort(sorted);
            for (int i = 0; i < rows; i++) {
                rowAt[i] = (int) (sorted[i] % rows);
                sorted[i] /= rows;
            }
            return new BlockSchedule(sorted, rowAt);
        }
        long[] positions = new long[rows];
        for (int r = 0; r < rows; r++) {
            positions[r] = order.position(firstGlobal + r);
        }
        System.arraycopy(positions, 0, sorted, 0, rows);
        Arrays.sort(sorted);
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
