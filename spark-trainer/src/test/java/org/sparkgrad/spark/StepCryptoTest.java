package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The step transport's encryption (AES-GCM per frame after the handshake) and chunking (no wire frame over
 * {@link FrameChannel#chunkBytes}), without Spark, through a man in the middle on 127.0.0.1.
 */
class StepCryptoTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = 0.5f + i * 0.25f;
        }
        return v;
    }

    private static GradientSum sum(float[] grad) {
        GradientSum s = new GradientSum();
        s.grad = grad;
        s.loss = 3.5;
        s.count = 7;
        s.devices = "cpu";
        return s;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void encryptedFramesCarryNoPlaintextAndRoundTrip() throws Exception {
        float[] flat = ramp(64);
        try (StepEndpoint endpoint = new StepEndpoint("127.0.0.1", "127.0.0.1", SECRET, "spark-secret", 10_000, true);
                TamperingProxy proxy = new TamperingProxy(endpoint.address(), -1, -1);
                FrameChannel task = endpoint.link().at(proxy.address()).connect(0, 0, "3", "hostA", "spark-secret")) {
            endpoint.awaitPeers(1, "test stage", 10_000);
            endpoint.peer(0).write(StepFrame.parameters(5, 1, 20, 29, flat), "sending");
            StepFrame p = task.expect(StepFrame.Kind.PARAMETERS, "parameters");
            assertArrayEquals(flat, p.floats());
            assertArrayEquals(new long[] {1, 20, 29}, p.batch());
            task.write(StepFrame.gradient(5, sum(ramp(10))), "sending the gradient");
            GradientSum g = endpoint.peer(0).expect(StepFrame.Kind.GRADIENT, "the gradient").gradientSum();
            assertArrayEquals(ramp(10), g.grad);
            assertEquals(3.5, g.loss);

            // on the wire: CHALLENGE, WELCOME in the clear, then the PARAMETERS frame sealed (16-byte tag)
            byte[] plain = StepFrame.parameters(5, 1, 20, 29, flat).payload();
            byte[] sealed = proxy.toTask.get(2);
            assertEquals(plain.length + FrameCipher.TAG, sealed.length);
            assertEquals(-1, indexOf(sealed, Arrays.copyOfRange(plain, 24, 40)), "parameter bytes in the clear on the wire");
            byte[] gradientPlain = StepFrame.gradient(5, sum(ramp(10))).payload();
            assertEquals(-1, indexOf(proxy.toDriver.get(1), Arrays.copyOfRange(gradientPlain, 30, 46)));

            // a task without the secret is still refused on an encrypting endpoint
            StepLink wrong = new StepLink(endpoint.address(), new byte[32], 5_000, true);
            TrainingException e = assertThrows(TrainingException.class, () -> wrong.connect(1, 0, "9", "elsewhere",
                    "spark-secret"));
            assertTrue(e.getMessage().contains("did not present this fit's secret"), e.getMessage());
        }
    }

    @Test
    void aFrameAlteredOnTheWayFailsItsTagNamingThePeer() throws Exception {
        // driver -> task wire frames: 0 CHALLENGE, 1 WELCOME, 2 the first sealed one; the proxy fixes the CRC32
        try (StepEndpoint endpoint = new StepEndpoint("127.0.0.1", "127.0.0.1", SECRET, null, 10_000, true);
                TamperingProxy proxy = new TamperingProxy(endpoint.address(), 2, -1);
                FrameChannel task = endpoint.link().at(proxy.address()).connect(0, 0, "3", "hostA", null)) {
            endpoint.awaitPeers(1, "test stage", 10_000);
            endpoint.peer(0).write(StepFrame.parameters(5, 0, 0, 9, ramp(32)), "sending");
            TrainingException e = assertThrows(TrainingException.class, () -> task.read("the parameters"));
            assertEquals("a PARAMETERS frame of step 6 from the driver at " + proxy.address() + " fails its"
                    + " authentication (AES-GCM tag, frame 0 of the connection): it was altered on the way, replayed or"
                    + " reordered, or not sent by a holder of this fit's secret", e.getMessage());
        }
        // task -> driver: 0 HELLO, 1 the first sealed frame
        try (StepEndpoint endpoint = new StepEndpoint("127.0.0.1", "127.0.0.1", SECRET, null, 10_000, true);
                TamperingProxy proxy = new TamperingProxy(endpoint.address(), -1, 1);
                FrameChannel task = endpoint.link().at(proxy.address()).connect(0, 0, "3", "hostA", null)) {
            endpoint.awaitPeers(1, "test stage", 10_000);
            task.write(StepFrame.gradient(5, sum(ramp(8))), "sending the gradient");
            TrainingException e = assertThrows(TrainingException.class, () -> endpoint.peer(0).read("the gradient"));
            assertTrue(e.getMessage().startsWith("a GRADIENT frame of step 6 from partition 0 (executor 3 on host hostA)"
                    + " fails its authentication (AES-GCM tag"), e.getMessage());
        }
    }

    @Test
    void aReplayedFrameFailsItsTag() throws Exception {
        // the first sealed frame to the task arrives twice: the copy is opened with the next frame counter
        try (StepEndpoint endpoint = new StepEndpoint("127.0.0.1", "127.0.0.1", SECRET, null, 10_000, true);
                TamperingProxy proxy = new TamperingProxy(endpoint.address(), 2, -1, true);
                FrameChannel task = endpoint.link().at(proxy.address()).connect(0, 0, "3", "hostA", null)) {
            endpoint.awaitPeers(1, "test stage", 10_000);
            endpoint.peer(0).write(StepFrame.parameters(0, 0, 0, 9, ramp(4)), "sending");
            assertArrayEquals(ramp(4), task.read("the parameters").floats());
            TrainingException e = assertThrows(TrainingException.class, () -> task.read("the next parameters"));
            assertTrue(e.getMessage().startsWith("a PARAMETERS frame of step 1 from the driver at " + proxy.address()
                    + " fails its authentication (AES-GCM tag, frame 1 of the connection): it was altered on the way,"
                    + " replayed or reordered"), e.getMessage());
        }
    }

    @Test
    void aLongPayloadTravelsInChunksUnderTheLimitAndIsJoined() throws Exception {
        int saved = FrameChannel.chunkBytes;
        FrameChannel.chunkBytes = 1000;
        try {
            for (boolean encrypt : new boolean[] {false, true}) {
                float[] flat = ramp(2000); // 24 + 8000 bytes: 8 chunks of 1000 and one of 1024 - 1000
                try (StepEndpoint endpoint = new StepEndpoint("127.0.0.1", "127.0.0.1", SECRET, null, 10_000, encrypt);
                        TamperingProxy proxy = new TamperingProxy(endpoint.address(), -1, -1);
                        FrameChannel task = endpoint.link().at(proxy.address()).connect(0, 0, "1", "h", null)) {
                    endpoint.awaitPeers(1, "test stage", 10_000);
                    endpoint.peer(0).write(StepFrame.parameters(3, 0, 0, 9, flat), "sending");
                    endpoint.peer(0).write(StepFrame.text(StepFrame.Kind.STOP, 3, ""), "stopping");
                    assertArrayEquals(flat, task.expect(StepFrame.Kind.PARAMETERS, "parameters").floats());
                    assertEquals(StepFrame.Kind.STOP, task.read("stop").kind(), "the frame after the chunks");
                    task.write(StepFrame.gradient(3, sum(ramp(3000))), "sending the gradient");
                    assertArrayEquals(ramp(3000), endpoint.peer(0).read("the gradient").gradientSum().grad);

                    List<byte[]> parameterChunks = proxy.toTask.subList(2, proxy.toTask.size() - 1);
                    int tag = encrypt ? FrameCipher.TAG : 0;
                    assertEquals(9, parameterChunks.size(), "encrypt " + encrypt);
                    for (int i = 0; i < 8; i++) {
                        assertEquals(1000 + tag, parameterChunks.get(i).length);
                    }
                    assertEquals(24 + tag, parameterChunks.get(8).length);
                    assertTrue(proxy.toDriver.stream().allMatch(b -> b.length <= 1000 + tag), "encrypt " + encrypt);
                }
            }
        } finally {
            FrameChannel.chunkBytes = saved;
        }
    }

    @Test
    void chunksThatDoNotMakeOneFrameAreRefused() throws Exception {
        int continued = StepFrame.Kind.PARAMETERS.ordinal() | StepFrame.CONTINUED;
        // a chunk of another kind amid a frame's chunks
        assertEquals("a GRADIENT frame of step 2 (chunk 2) from the sender arrived amid the chunks of a PARAMETERS frame"
                + " of step 2: the stream is corrupted", readOf(new int[] {continued, StepFrame.Kind.GRADIENT.ordinal()},
                        new int[] {1, 1}, new int[] {8, 8}));
        // a chunk of another step
        assertEquals("a PARAMETERS frame of step 3 (chunk 2) from the sender arrived amid the chunks of a PARAMETERS"
                + " frame of step 2: the stream is corrupted", readOf(new int[] {continued,
                        StepFrame.Kind.PARAMETERS.ordinal()}, new int[] {1, 2}, new int[] {8, 8}));
        // a last chunk longer than the others
        assertEquals("a PARAMETERS frame of step 2 (chunk 2) from the sender has 9 bytes after chunks of 8: the chunks"
                + " of one frame are equal and not empty but for a shorter last one", readOf(new int[] {continued,
                        StepFrame.Kind.PARAMETERS.ordinal()}, new int[] {1, 1}, new int[] {8, 9}));
    }

    /** The error of reading the wire frames (kind byte, step, body length each) sent as they are. */
    private static String readOf(int[] kinds, int[] steps, int[] lengths) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            try (Socket raw = new Socket("127.0.0.1", ((InetSocketAddress) server.getLocalAddress()).getPort());
                    FrameChannel ch = FrameChannel.accepted(server.accept(), 5_000)) {
                ch.peer("the sender");
                DataOutputStream out = new DataOutputStream(raw.getOutputStream());
                for (int i = 0; i < kinds.length; i++) {
                    byte[] body = new byte[lengths[i]];
                    ByteBuffer h = StepFrame.header(kinds[i], steps[i], body, 0, body.length);
                    out.write(h.array());
                    out.write(body);
                }
                out.flush();
                return assertThrows(TrainingException.class, () -> ch.read("a frame")).getMessage();
            }
        }
    }
}
