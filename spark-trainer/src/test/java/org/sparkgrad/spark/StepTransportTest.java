package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The barrier stage's transport without Spark: frames, checksums, authentication, timeouts. */
class StepTransportTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @Test
    void parameterAndGradientFramesRoundTrip() {
        float[] flat = {1.5f, -0f, Float.MIN_VALUE, 3e38f, -7.25f};
        StepFrame p = StepFrame.decode(StepFrame.parameters(41, 2, 300, 310, flat).encode(), "test");
        assertEquals(StepFrame.Kind.PARAMETERS, p.kind());
        assertEquals(41, p.step());
        assertArrayEquals(new long[] {2, 300, 310}, p.batch());
        assertArrayEquals(flat, p.floats());

        GradientSum sum = new GradientSum();
        sum.grad = new float[] {0.25f, -1f, 8f};
        sum.loss = 12.375;
        sum.count = 9;
        sum.devices = "cpu\ncuda:1 (Spark GPU address 1)";
        GradientSum back = StepFrame.decode(StepFrame.gradient(7, sum).encode(), "test").gradientSum();
        assertArrayEquals(sum.grad, back.grad);
        assertEquals(12.375, back.loss);
        assertEquals(9, back.count);
        assertEquals(sum.devices, back.devices);

        GradientSum empty = StepFrame.decode(StepFrame.gradient(0, new GradientSum()).encode(), "test").gradientSum();
        assertNull(empty.grad, "a task without rows in the step sends no gradient vector");
        assertEquals(0, empty.count);
        assertEquals("stuck", StepFrame.decode(StepFrame.text(StepFrame.Kind.FAILED, 3, "stuck").encode(), "t").text());
    }

    @Test
    void aDamagedFrameFailsItsChecksumNamingStepAndSender() {
        byte[] bytes = StepFrame.parameters(4, 0, 0, 1, new float[] {1f, 2f, 3f}).encode();
        bytes[StepFrame.HEADER + 30] ^= 0x10;
        TrainingException e = assertThrows(TrainingException.class, () -> StepFrame.decode(bytes, "partition 2"));
        assertTrue(e.getMessage().contains("PARAMETERS frame of step 5 from partition 2 fails its checksum"), e.getMessage());

        byte[] stepChanged = StepFrame.parameters(4, 0, 0, 1, new float[] {1f}).encode();
        stepChanged[12] ^= 1; // the low byte of the step: the checksum covers the header's step too
        assertTrue(assertThrows(TrainingException.class, () -> StepFrame.decode(stepChanged, "p")).getMessage()
                .contains("fails its checksum"));

        byte[] truncated = java.util.Arrays.copyOf(StepFrame.parameters(4, 0, 0, 1, new float[] {1f, 2f}).encode(), 20);
        assertTrue(assertThrows(TrainingException.class, () -> StepFrame.decode(truncated, "p")).getMessage()
                .contains("truncated"));
    }

    @Test
    void aConnectionWithoutTheSecretIsRefusedAndTheOthersAreServed() throws Exception {
        try (StepEndpoint endpoint = new StepEndpoint("127.0.0.1", "127.0.0.1", SECRET, "spark-secret", 10_000)) {
            StepLink good = endpoint.link();
            StepLink wrong = new StepLink(good.address(), "another fit's secret...........".getBytes(StandardCharsets.UTF_8),
                    good.timeoutMillis());
            TrainingException e = assertThrows(TrainingException.class, () -> wrong.connect(0, 0, "3", "hostA", "spark-secret"));
            assertTrue(e.getMessage().contains("refused") && e.getMessage().contains("partition 0 (executor 3 on host hostA)")
                    && e.getMessage().contains("did not present this fit's secret"), e.getMessage());
            // the fit's secret alone is not enough when Spark's authentication secret is set
            assertThrows(TrainingException.class, () -> good.connect(1, 0, "4", "hostB", null));

            try (FrameChannel t0 = good.connect(0, 0, "3", "hostA", "spark-secret");
                    FrameChannel t1 = good.connect(1, 0, "4", "hostB", "spark-secret")) {
                endpoint.awaitPeers(2, "test stage", 10_000);
                assertEquals(2, endpoint.refusals().size(), endpoint.refusals().toString());
                for (int p = 0; p < 2; p++) {
                    endpoint.peer(p).write(StepFrame.parameters(5, 0, 0, 1, new float[] {p, 10f}), "sending");
                }
                for (FrameChannel t : new FrameChannel[] {t0, t1}) {
                    float[] params = t.expect(StepFrame.Kind.PARAMETERS, "parameters").floats();
                    GradientSum s = new GradientSum();
                    s.grad = new float[] {params[0] * 2, params[1]};
                    s.count = 1;
                    t.write(StepFrame.gradient(5, s), "sending the gradient");
                }
                for (int p = 0; p < 2; p++) {
                    StepFrame g = endpoint.peer(p).expect(StepFrame.Kind.GRADIENT, "the gradient");
                    assertEquals(5, g.step());
                    assertArrayEquals(new float[] {2f * p, 10f}, g.gradientSum().grad);
                    assertEquals("partition " + p + " (executor " + (3 + p) + " on host host" + (p == 0 ? "A" : "B") + ")",
                            endpoint.peer(p).peer());
                }
            }
        }
    }

    @Test
    void aSilentTaskTimesOutNamingPartitionExecutorAndHost() throws Exception {
        try (StepEndpoint endpoint = new StepEndpoint("127.0.0.1", "127.0.0.1", SECRET, null, 300);
                FrameChannel task = endpoint.link().connect(2, 0, "7", "worker-3", null)) {
            TrainingException e = assertThrows(TrainingException.class, () -> endpoint.awaitPeers(3, "stage of steps 1-4", 300));
            assertTrue(e.getMessage().startsWith("stage of steps 1-4: the tasks of partitions [0, 1] did not connect")
                    && e.getMessage().contains("within 0.3 s"), e.getMessage());
        }
        try (StepEndpoint endpoint = new StepEndpoint("127.0.0.1", "127.0.0.1", SECRET, null, 300);
                FrameChannel task = endpoint.link().connect(0, 0, "7", "worker-3", null)) {
            endpoint.awaitPeers(1, "stage", 10_000);
            long start = System.nanoTime();
            TrainingException e = assertThrows(TrainingException.class,
                    () -> endpoint.peer(0).expect(StepFrame.Kind.GRADIENT, "the gradient of step 3"));
            assertTrue(e.getMessage().contains("no progress from partition 0 (executor 7 on host worker-3) for 0.3 s while"
                    + " waiting for the gradient of step 3"), e.getMessage());
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "timed out within its timeout, not later");
        }
    }

    @Test
    void abortWakesAWaitingReadWithTheCause() throws Exception {
        try (StepEndpoint endpoint = new StepEndpoint("127.0.0.1", "127.0.0.1", SECRET, null, 60_000);
                FrameChannel task = endpoint.link().connect(0, 0, "1", "h", null)) {
            endpoint.awaitPeers(1, "stage", 10_000);
            Thread aborter = new Thread(() -> endpoint.abort(new TrainingException("the barrier stage failed: boom")));
            FrameChannel driverSide = endpoint.peer(0);
            aborter.start();
            TrainingException e = assertThrows(TrainingException.class,
                    () -> driverSide.expect(StepFrame.Kind.GRADIENT, "the gradient of step 1"));
            aborter.join();
            assertTrue(e.getMessage().contains("the barrier stage failed: boom"), e.getMessage());
        }
    }

    @Test
    void aTaskFailureFrameBecomesTheDriversError() throws Exception {
        try (StepEndpoint endpoint = new StepEndpoint("127.0.0.1", "127.0.0.1", SECRET, null, 10_000);
                FrameChannel task = endpoint.link().connect(0, 0, "1", "h", null)) {
            endpoint.awaitPeers(1, "stage", 10_000);
            task.write(StepFrame.text(StepFrame.Kind.FAILED, 2, "out of memory in a micro-batch"), "failing");
            TrainingException e = assertThrows(TrainingException.class,
                    () -> endpoint.peer(0).expect(StepFrame.Kind.GRADIENT, "the gradient of step 3"));
            assertEquals("partition 0 (executor 1 on host h) failed while the other side waited for the gradient of step 3:"
                    + " out of memory in a micro-batch", e.getMessage());
        }
    }
}
