package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Comparator;
import org.junit.jupiter.api.Test;

/** A block's rows in an epoch's order, against sorting the rows by their positions directly. */
class BlockScheduleTest {
    private static void assertScheduleOf(int rows, long firstGlobal, KeyedPermutation order) {
        BlockSchedule s = BlockSchedule.of(rows, firstGlobal, order);
        Integer[] byPosition = new Integer[rows];
        for (int r = 0; r < rows; r++) {
            byPosition[r] = r;
        }
        Arrays.sort(byPosition, Comparator.comparingLong(r -> order.position(firstGlobal + r)));
        int[] expected = Arrays.stream(byPosition).mapToInt(Integer::intValue).toArray();
        assertArrayEquals(expected, s.rows(), rows + " rows from " + firstGlobal + " of " + order.size());
        for (int i = 0; i < rows; i++) {
            long p = order.position(firstGlobal + expected[i]);
            assertEquals(i, s.lowerBound(p), "the position of the i-th row");
            assertEquals(i + 1, s.lowerBound(p + 1), "just after it");
        }
        assertEquals(rows, s.lowerBound(order.size()));
    }

    @Test
    void rowsComeInPositionOrderAndStepsFindTheirShareByPosition() {
        assertScheduleOf(1000, 3000, new KeyedPermutation(10_000, 5, 2)); // packed sort
        assertScheduleOf(7, 0, new KeyedPermutation(7, 1, 0));
        assertScheduleOf(0, 0, new KeyedPermutation(3, 1, 0));
        // positions * rows past a long: the sort of positions, then searches
        assertScheduleOf(5, 1L << 61, new KeyedPermutation(1L << 62, 9, 1));
    }
}
