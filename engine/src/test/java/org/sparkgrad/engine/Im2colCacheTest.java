package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The im2col table cache: the same geometry gives the same table, and the cache stays within its entry budget. */
class Im2colCacheTest {
    private static Im2col geometry(int h, int w) {
        return Im2col.conv(h, w, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1});
    }

    @AfterEach
    void emptyTheCache() {
        Im2col.clearCache(); // the large tables of the budget test would stay in the test JVM otherwise
    }

    @Test
    void theSameGeometryReusesItsTable() {
        Im2col g = geometry(9, 7);
        Tensor a = g.tableTensor(2, Device.CPU);
        assertSame(a, geometry(9, 7).tableTensor(2, Device.CPU));
        assertArrayEquals(g.table(2), a.toLongArray());
    }

    @Test
    void changingSizesStayWithinTheEntryBudget() {
        // 128 channels, 3 x 3, 32 x (32 + i) positions: about 1.2M entries each, 40 sizes would be 58M (budget 33.5M)
        for (int i = 0; i < 40; i++) {
            geometry(32, 32 + i).tableTensor(128, Device.CPU);
            long cached = Im2col.cachedEntries();
            assertTrue(cached <= Im2col.MAX_TABLE_ENTRIES, "cached " + cached + " entries after " + (i + 1) + " sizes");
        }
    }
}
