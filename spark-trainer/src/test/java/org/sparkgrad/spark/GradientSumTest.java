package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@link GradientSum#merge} against sums computed element by element: partial sums of small integers (exact in
 * float) merged in any order and tree shape give the exact totals; random floats agree with a double sum to float
 * rounding.
 */
class GradientSumTest {
    private static final int SIZE = 37;

    /** A partial sum of rows with integer-valued gradients in [-50, 50]; null grad for a task without rows. */
    private static GradientSum partial(SplittableRandom r, boolean empty, String device) {
        GradientSum s = new GradientSum();
        if (!empty) {
            float[] g = new float[SIZE];
            for (int i = 0; i < SIZE; i++) {
                g[i] = r.nextInt(-50, 51);
            }
            s.addGradient(SIZE, 0, g);
            s.loss = r.nextInt(0, 1000) / 4.0;
            s.count = r.nextInt(1, 100);
            s.addDevice(device);
        }
        return s;
    }

    @Test
    void mergingInAnyOrderAndShapeGivesTheElementwiseTotals() {
        SplittableRandom r = new SplittableRandom(11);
        for (int trial = 0; trial < 200; trial++) {
            int k = 1 + r.nextInt(9);
            List<GradientSum> parts = new ArrayList<>();
            long[] grad = new long[SIZE];
            double loss = 0;
            long count = 0;
            TreeSet<String> devices = new TreeSet<>();
            boolean anyGradient = false;
            for (int p = 0; p < k; p++) {
                GradientSum s = partial(r, r.nextInt(4) == 0, "cuda:" + r.nextInt(3));
                if (s.grad != null) {
                    anyGradient = true;
                    for (int i = 0; i < SIZE; i++) {
                        grad[i] += (long) s.grad[i];
                    }
                    devices.add(s.devices);
                }
                loss += s.loss;
                count += s.count;
                parts.add(s);
            }
            Collections.shuffle(parts, new java.util.Random(trial));
            GradientSum total = mergeRandomTree(parts, r);
            assertEquals(count, total.count, "trial " + trial);
            assertEquals(loss, total.loss, "trial " + trial);
            assertEquals(devices, total.deviceSet(), "trial " + trial);
            if (!anyGradient) {
                assertNull(total.grad, "trial " + trial + ": no rows, no gradient");
                continue;
            }
            for (int i = 0; i < SIZE; i++) {
                assertEquals((float) grad[i], total.grad[i], "trial " + trial + " element " + i);
            }
        }
    }

    /** Merges parts pairwise in a random binary tree (as treeAggregate's stages or the driver's loop might). */
    private static GradientSum mergeRandomTree(List<GradientSum> parts, SplittableRandom r) {
        List<GradientSum> level = new ArrayList<>(parts);
        while (level.size() > 1) {
            int i = r.nextInt(level.size() - 1);
            GradientSum merged = level.get(i).merge(level.get(i + 1));
            level.set(i, merged);
            level.remove(i + 1);
        }
        return level.get(0);
    }

    @Test
    void randomFloatsAgreeWithADoubleSumToRounding() {
        SplittableRandom r = new SplittableRandom(4);
        int n = 1000;
        double[] exact = new double[n];
        GradientSum total = new GradientSum();
        for (int p = 0; p < 16; p++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) {
                g[i] = (float) r.nextGaussian();
                exact[i] += g[i];
            }
            GradientSum s = new GradientSum();
            s.addGradient(n, 0, g);
            total.merge(s);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(exact[i], total.grad[i], 1e-5 * 16, "element " + i);
        }
    }

    @Test
    void mergingNothingOrItselfChangesNothing() {
        GradientSum s = new GradientSum();
        s.addGradient(3, 0, new float[] {1, 2, 3});
        s.loss = 1.5;
        s.count = 2;
        assertSame(s, s.merge(null));
        assertSame(s, s.merge(s));
        assertSame(s, s.merge(new GradientSum()));
        assertArrayEquals(new float[] {1, 2, 3}, s.grad);
        assertEquals(1.5, s.loss);
        assertEquals(2, s.count);

        GradientSum empty = new GradientSum();
        assertSame(empty, empty.merge(s));
        assertArrayEquals(new float[] {1, 2, 3}, empty.grad);
        assertEquals(2, empty.count);
    }

    @Test
    void gradientsAddAtTheirOffsetsAndSizesMustAgree() {
        GradientSum s = new GradientSum();
        s.addGradient(6, 2, new float[] {1, 2});
        s.addGradient(6, 3, new float[] {10, 20, 30});
        assertArrayEquals(new float[] {0, 0, 1, 12, 20, 30}, s.grad);
        assertEquals("gradient sums of different sizes: 6 and 5",
                assertThrows(TrainingException.class, () -> s.addGradient(5, 0, new float[] {1})).getMessage());
        GradientSum other = new GradientSum();
        other.addGradient(4, 0, new float[] {1, 1, 1, 1});
        assertEquals("gradient sums of different sizes: 6 and 4 (the model differs between executors)",
                assertThrows(TrainingException.class, () -> s.merge(other)).getMessage());
    }

    @Test
    void devicesAreTheSortedUnionOfDistinctLines() {
        GradientSum a = new GradientSum();
        a.addDevice("cuda:1");
        a.addDevice("");
        a.addDevice("cpu, because cuda:0 is not usable");
        a.addDevice("cuda:1");
        GradientSum b = new GradientSum();
        b.addDevice("cuda:0");
        b.addDevice("cuda:1");
        assertEquals(List.of("cpu, because cuda:0 is not usable", "cuda:0", "cuda:1"), List.copyOf(a.merge(b).deviceSet()));
        assertEquals(List.of(), List.copyOf(new GradientSum().deviceSet()));
    }

    @Test
    void framesMergedStraightFromTheirBytesGiveBitwiseTheDecodedMerge() {
        GradientSum[] parts = new GradientSum[3];
        for (int p = 0; p < 3; p++) {
            parts[p] = new GradientSum();
            parts[p].loss = 0.1 * (p + 1);
            parts[p].count = p + 1;
            parts[p].addDevice("cpu" + (p % 2));
        }
        parts[0].addGradient(4, 0, new float[] {-0f, 1e-8f, 3f, -2f});
        parts[2].addGradient(4, 0, new float[] {0f, 1f, 1e8f, -0f}); // parts[1] had no rows: no gradient
        GradientSum decoded = new GradientSum();
        GradientSum direct = new GradientSum();
        float[] spare = {9, 9, 9, 9};
        for (GradientSum part : parts) {
            StepFrame f = StepFrame.gradient(7, part);
            decoded.merge(f.gradientSum());
            f.mergeInto(direct, spare);
        }
        assertSame(spare, direct.grad, "the first gradient goes into the spare of its length");
        assertArrayEquals(decoded.grad, direct.grad); // bit patterns: -0f + 0f is 0f in both
        assertEquals(decoded.loss, direct.loss, 0.0);
        assertEquals(6, direct.count);
        assertEquals(decoded.devices, direct.devices);
        // a frame's payload is reused when the spare has its size, not otherwise
        StepFrame first = StepFrame.gradient(7, parts[0]);
        assertSame(first.payload(), StepFrame.gradient(8, parts[0], first.payload()).payload());
        assertEquals(false, first.payload() == StepFrame.gradient(8, parts[1], first.payload()).payload());
        GradientSum other = new GradientSum();
        other.addGradient(3, 0, new float[] {1, 2, 3});
        GradientSum into = new GradientSum();
        StepFrame.gradient(1, parts[0]).mergeInto(into, null);
        assertEquals("gradient sums of different sizes: 4 and 3 (the model differs between executors)",
                assertThrows(TrainingException.class, () -> StepFrame.gradient(1, other).mergeInto(into, null))
                        .getMessage());
    }

    @Test
    void aSpareGradientIsZeroedAndTakenByTheFirstAddOnly() {
        GradientSum s = new GradientSum();
        float[] spare = {5, 5, 5};
        s.spare = spare;
        s.addGradient(3, 1, new float[] {1, 2});
        assertSame(spare, s.grad);
        assertArrayEquals(new float[] {0, 1, 2}, s.grad);
        GradientSum taker = new GradientSum();
        float[] kept = {7, 7};
        taker.spare = kept;
        assertSame(kept, taker.takeGradient(2), "taken as it is: the caller overwrites it");
        assertArrayEquals(new float[] {7, 7}, kept);
        assertEquals(3, taker.takeGradient(3).length);
        GradientSum wrongSize = new GradientSum();
        wrongSize.spare = new float[2];
        wrongSize.addGradient(3, 0, new float[] {1});
        assertArrayEquals(new float[] {1, 0, 0}, wrongSize.grad);
    }
}
