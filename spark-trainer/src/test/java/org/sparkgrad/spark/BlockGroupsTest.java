package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockGroupsTest {
    private static List<List<String>> uncached(int partitions) {
        List<List<String>> where = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            where.add(List.of());
        }
        return where;
    }

    @Test
    void atLeastAsManySlotsAsPartitionsGiveOneTaskPerPartitionNamedByIt() {
        BlockGroups g = BlockGroups.of(uncached(3), 8);
        assertEquals(3, g.tasks());
        assertTrue(g.onePerTask());
        for (int p = 0; p < 3; p++) {
            assertArrayEquals(new int[] {p}, g.members(p));
            assertEquals(p, g.owner(p));
            assertEquals("partition " + p, g.name(p));
        }
    }

    @Test
    void fewerSlotsCutThePartitionsIntoNearlyEqualRuns() {
        BlockGroups g = BlockGroups.of(uncached(20), 8);
        assertEquals(8, g.tasks());
        assertFalse(g.onePerTask());
        int[][] expected = {{0, 1}, {2, 3, 4}, {5, 6}, {7, 8, 9}, {10, 11}, {12, 13, 14}, {15, 16}, {17, 18, 19}};
        for (int t = 0; t < 8; t++) {
            assertArrayEquals(expected[t], g.members(t), "task " + t);
            for (int p : expected[t]) {
                assertEquals(t, g.owner(p));
            }
        }
        assertEquals("task 1 (partitions 2-4)", g.name(1));
        BlockGroups five = BlockGroups.of(uncached(5), 4);
        assertArrayEquals(new int[] {3, 4}, five.members(3));
        assertEquals("task 0 (partition 0)", five.name(0));
    }

    @Test
    void partitionsCachedOnOneExecutorGoToTheSameTaskWhichPrefersIt() {
        // partitions alternate between two executors: each of the 2 tasks gets one executor's partitions
        List<List<String>> where = new ArrayList<>();
        for (int p = 0; p < 6; p++) {
            where.add(List.of(p % 2 == 0 ? "executor_h1_0" : "executor_h2_1"));
        }
        BlockGroups g = BlockGroups.of(where, 2);
        assertArrayEquals(new int[] {0, 2, 4}, g.members(0));
        assertArrayEquals(new int[] {1, 3, 5}, g.members(1));
        assertEquals(List.of("executor_h1_0"), g.locations(0));
        assertEquals(List.of("executor_h2_1"), g.locations(1));
        assertEquals("task 1 (partitions 1, 3, 5)", g.name(1));
        // no slot reported: still one task for all partitions
        assertEquals(1, BlockGroups.of(where, 0).tasks());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, BlockGroups.of(where, 0).members(0));
        assertEquals("task 0 (partitions 0-5)", BlockGroups.of(where, 0).name(0));
    }
}
