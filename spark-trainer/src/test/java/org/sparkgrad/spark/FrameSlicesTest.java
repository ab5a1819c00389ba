package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * What the step loop does to save passes over a big model's vectors, against the plain way: frames encoded from a
 * slice of a vector (checksummed as they are copied) against frames of the slice's copy, values decoded straight into
 * a vector at an offset, a frame read in slices (checksummed as they arrive) over a real socket, its damage anywhere
 * detected, a received frame forwarded with the checksum it came with, and gradient ranges added as whole sums are.
 */
class FrameSlicesTest {
    private static float[] randomFloats(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i % 101 == 0 ? -0f : (float) r.nextGaussian();
        }
        return v;
    }

    /** The frame's wire bytes with a checksum computed afresh over its payload. */
    private static byte[] freshlyEncoded(StepFrame f) {
        return new StepFrame(f.kind(), f.step(), f.payload().clone()).encode();
    }

    @Test
    void framesOfASliceAreTheFramesOfItsCopyWithTheSameChecksum() {
        float[] flat = randomFloats(200_003, 1); // several 64k blocks and a partial one
        for (int[] range : new int[][] {{0, flat.length}, {0, 70_001}, {70_001, 130_002}, {199_999, 4}, {5, 0}}) {
            int off = range[0];
            int len = range[1];
            float[] copy = Arrays.copyOfRange(flat, off, off + len);
            StepFrame sliced = StepFrame.parameters(9, 2, 10, 20, flat, off, len, null);
            StepFrame copied = StepFrame.parameters(9, 2, 10, 20, copy);
            assertArrayEquals(copied.payload(), sliced.payload(), "parameters " + off + "+" + len);
            assertArrayEquals(freshlyEncoded(copied), sliced.encode(), "the checksum made while copying");
            assertEquals(len, sliced.floatCount());

            GradientSum whole = new GradientSum();
            whole.grad = flat;
            whole.loss = 2.5;
            whole.count = 3;
            whole.devices = "cpu";
            GradientSum part = new GradientSum();
            part.grad = copy;
            part.loss = 2.5;
            part.count = 3;
            part.devices = "cpu";
            StepFrame g = StepFrame.gradient(4, whole, off, len, null);
            assertArrayEquals(StepFrame.gradient(4, part).payload(), g.payload(), "gradient " + off + "+" + len);
            assertArrayEquals(freshlyEncoded(g), g.encode());
            assertEquals(len, g.gradientLength());
        }
        GradientSum none = new GradientSum();
        StepFrame empty = StepFrame.gradient(4, none, 10, 5, null);
        assertEquals(-1, empty.gradientLength(), "a task without rows sends no gradient, whatever the slice");
        assertArrayEquals(StepFrame.gradient(4, none).payload(), empty.payload());
        // a spare of the frame's size is written into
        StepFrame first = StepFrame.parameters(1, 0, 0, 1, flat, 3, 100, null);
        assertSame(first.payload(), StepFrame.parameters(2, 0, 0, 1, flat, 7, 100, first.payload()).payload());
    }

    @Test
    void valuesDecodeIntoAVectorAtAnOffset() {
        float[] values = randomFloats(1000, 2);
        float[] into = new float[1500];
        Arrays.fill(into, 7f);
        StepFrame.parameters(0, 0, 0, 1, values).floatsInto(into, 250);
        assertArrayEquals(values, Arrays.copyOfRange(into, 250, 1250));
        assertEquals(7f, into[249]);
        assertEquals(7f, into[1250]);
        Arrays.fill(into, 7f);
        GradientSum s = new GradientSum();
        s.grad = values;
        s.devices = "cuda:0 (Spark GPU address 0)"; // the devices' length decides where the values start
        StepFrame.gradient(0, s).gradientInto(into, 500);
        assertArrayEquals(values, Arrays.copyOfRange(into, 500, 1500));
        assertEquals(7f, into[499]);
        TrainingException e = assertThrows(TrainingException.class,
                () -> new StepFrame(StepFrame.Kind.PARAMETERS, 3, new byte[30]).floatCount());
        assertEquals("a PARAMETERS frame of step 4 has 30 bytes, not a batch and a whole number of floats", e.getMessage());
    }

    @Test
    void gradientRangesAddAsWholeSumsMerge() {
        float[] a = randomFloats(500, 3);
        float[] b = randomFloats(500, 4);
        a[10] = -0f;
        b[10] = -0f;
        a[11] = -0f; // -0 first, then +0 added: +0 in both
        b[11] = 0f;
        GradientSum merged = new GradientSum();
        merged.merge(sumOf(Arrays.copyOfRange(a, 100, 300)));
        merged.merge(sumOf(Arrays.copyOfRange(b, 100, 300)));
        GradientSum ranges = new GradientSum();
        float[] spare = new float[200];
        Arrays.fill(spare, 9f);
        ranges.addRange(a, 100, 200, spare);
        ranges.addRange(b, 100, 200, null);
        assertSame(spare, ranges.grad, "the first range goes into the spare of its length");
        assertArrayEquals(merged.grad, ranges.grad);
        for (int i = 0; i < 200; i++) {
            assertEquals(Float.floatToRawIntBits(merged.grad[i]), Float.floatToRawIntBits(ranges.grad[i]), "element " + i);
        }
        GradientSum fresh = new GradientSum();
        fresh.addRange(a, 0, 10, new float[3]);
        assertArrayEquals(Arrays.copyOf(a, 10), fresh.grad, "a spare of another length is not taken");
        assertEquals("gradient sums of different sizes: 10 and 4 (the model differs between executors)",
                assertThrows(TrainingException.class, () -> fresh.addRange(a, 0, 4, null)).getMessage());
    }

    private static GradientSum sumOf(float[] grad) {
        GradientSum s = new GradientSum();
        s.grad = grad;
        return s;
    }

    /** A channel reading what a plain socket writes (no handshake: the raw wire format). */
    private interface RawPair {
        void run(FrameChannel reader, OutputStream writer) throws Exception;
    }

    private static void rawPair(RawPair test) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            try (Socket socket = new Socket("127.0.0.1", ((InetSocketAddress) server.getLocalAddress()).getPort());
                    FrameChannel reader = FrameChannel.accepted(server.accept(), 10_000)) {
                test.run(reader, socket.getOutputStream());
            }
        }
    }

    @Test
    void aFrameOfManySlicesArrivesWholeAndDamageInAnySliceFailsItsChecksum() throws Exception {
        float[] flat = randomFloats(3 * FrameChannel.SLICE / 4 + 12_345, 5); // about 3 slices of bytes
        StepFrame frame = StepFrame.parameters(6, 1, 2, 3, flat);
        byte[] wire = frame.encode();
        rawPair((reader, writer) -> {
            writer.write(wire);
            writer.flush();
            StepFrame got = reader.read("the parameters");
            assertArrayEquals(flat, got.floats());
            assertArrayEquals(new long[] {1, 2, 3}, got.batch());
            for (int at : new int[] {StepFrame.HEADER + 5, StepFrame.HEADER + FrameChannel.SLICE + 1, wire.length - 1}) {
                byte[] damaged = wire.clone();
                damaged[at] ^= 0x04;
                writer.write(damaged);
                writer.flush();
                TrainingException e = assertThrows(TrainingException.class, () -> reader.read("the parameters"));
                assertTrue(e.getMessage().startsWith("a PARAMETERS frame of step 7 from an unauthenticated connection"
                        + " from ") && e.getMessage().contains(" fails its checksum (CRC32 "), at + ": " + e.getMessage());
            }
        });
    }

    @Test
    void aReceivedFrameKeepsItsChecksumAndReusesOneBufferPerSize() throws Exception {
        StepFrame big = StepFrame.parameters(2, 0, 0, 1, randomFloats(100_000, 6));
        GradientSum s = new GradientSum();
        s.grad = randomFloats(60_000, 7);
        s.devices = "cpu";
        StepFrame other = StepFrame.gradient(2, s);
        rawPair((reader, writer) -> {
            byte[][] firstPayloads = new byte[2][];
            for (int round = 0; round < 3; round++) {
                writer.write(big.encode());
                writer.write(other.encode());
                writer.flush();
                StepFrame a = reader.readReusing("the parameters");
                StepFrame b = reader.readReusing("the gradient");
                // forwarded as it came: the same wire bytes, its checksum the one it arrived with
                assertArrayEquals(big.encode(), a.encode());
                assertArrayEquals(other.encode(), b.encode());
                assertArrayEquals(freshlyEncoded(a), a.encode());
                assertNotSame(a.payload(), b.payload());
                if (round == 0) {
                    firstPayloads[0] = a.payload();
                    firstPayloads[1] = b.payload();
                } else {
                    assertSame(firstPayloads[0], a.payload(), "frames of one size alternating with another reuse theirs");
                    assertSame(firstPayloads[1], b.payload());
                }
            }
            writer.write(big.encode());
            writer.flush();
            assertNotSame(firstPayloads[0], reader.read("a frame").payload(), "read (not reusing) keeps nothing");
        });
    }
}
