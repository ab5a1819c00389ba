package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link BatchPlan} against a loop that deals positions into batches one by one, as PyTorch's DataLoader does. */
class BatchPlanTest {
    /** The batches of one epoch as [first, last + 1) pairs, dealt position by position. */
    private static List<long[]> dealt(int rows, int batchSize, boolean dropLast) {
        List<long[]> batches = new ArrayList<>();
        long first = 0;
        int inBatch = 0;
        for (long pos = 0; pos < rows; pos++) {
            inBatch++;
            if (inBatch == batchSize) {
                batches.add(new long[] {first, pos + 1});
                first = pos + 1;
                inBatch = 0;
            }
        }
        if (inBatch > 0 && !dropLast) {
            batches.add(new long[] {first, rows});
        }
        return batches;
    }

    @Test
    void stepsAndRangesMatchDealingPositionsOneByOne() {
        for (int rows = 1; rows <= 80; rows++) {
            for (int b = 1; b <= 90; b++) {
                for (boolean dropLast : new boolean[] {false, true}) {
                    if (dropLast && rows < b) {
                        continue;
                    }
                    BatchPlan plan = new BatchPlan(rows, b, dropLast);
                    List<long[]> expected = dealt(rows, b, dropLast);
                    String what = "N=" + rows + " B=" + b + " dropLast=" + dropLast;
                    assertEquals(expected.size(), plan.stepsPerEpoch(), what + ": steps per epoch");
                    for (int t = 0; t < expected.size(); t++) {
                        assertEquals(expected.get(t)[0], plan.start(t), what + ": start of step " + t);
                        assertEquals(expected.get(t)[1], plan.end(t), what + ": end of step " + t);
                    }
                }
            }
        }
    }

    @Test
    void hugeEpochsNeedNoIntOverflow() {
        long rows = 3_000_000_000_007L;
        int b = 1_000_003;
        BigInteger n = BigInteger.valueOf(rows);
        BigInteger[] qr = n.divideAndRemainder(BigInteger.valueOf(b));
        long full = qr[0].longValueExact();
        BatchPlan keep = new BatchPlan(rows, b, false);
        BatchPlan drop = new BatchPlan(rows, b, true);
        assertEquals(full + (qr[1].signum() > 0 ? 1 : 0), keep.stepsPerEpoch());
        assertEquals(full, drop.stepsPerEpoch());
        long last = keep.stepsPerEpoch() - 1;
        assertEquals(BigInteger.valueOf(last).multiply(BigInteger.valueOf(b)).longValueExact(), keep.start(last));
        assertEquals(rows, keep.end(last));
        assertEquals(qr[1].longValueExact(), keep.end(last) - keep.start(last), "the last batch holds the remainder");
        assertEquals(full * b, drop.end(drop.stepsPerEpoch() - 1));
    }

    @Test
    void plansWithoutABatchSayWhy() {
        assertEquals("the global batch size must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> new BatchPlan(10, 0, false)).getMessage());
        assertEquals("there are no training rows (N=0)",
                assertThrows(IllegalArgumentException.class, () -> new BatchPlan(0, 4, false)).getMessage());
        assertEquals("with dropLast, 3 rows give no batch of 4; lower the batch size or keep the last partial batch",
                assertThrows(IllegalArgumentException.class, () -> new BatchPlan(3, 4, true)).getMessage());
        assertEquals(1, new BatchPlan(3, 4, false).stepsPerEpoch());
        assertEquals(3, new BatchPlan(3, 4, false).end(0));
    }
}
