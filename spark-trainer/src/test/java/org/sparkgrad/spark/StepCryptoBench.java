package org.sparkgrad.spark;

/**
 * Measures what encrypting the step connections costs (not a test; speed is never asserted): the driver-task round
 * trip of a 1M-float PARAMETERS frame over 127.0.0.1 with and without {@link FrameCipher} (the task echoes the frame),
 * and one AES-GCM seal plus open of its 4 MB payload. Twice each, the first pass warming the JIT. Run from the
 * repository root after {@code mvn -o -q -pl spark-trainer -am test-compile}:
 * <pre>
 * CP=spark-trainer/target/classes:spark-trainer/target/test-classes:engine/target/classes:$(ls ~/.m2/repository/org/apache/spark/spark-core_2.13/*&#47;spark-core_2.13-*.jar | head -1)
 * java -cp $CP org.sparkgrad.spark.StepCryptoBench
 * </pre>
 */
final class StepCryptoBench {
    private StepCryptoBench() {
    }

    public static void main(String[] args) throws Exception {
        byte[] secret = PeerAuth.random(32);
        float[] flat = new float[1_000_000];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = i * 1e-3f;
        }
        for (boolean encrypt : new boolean[] {false, true, false, true}) {
            System.out.printf("encrypt=%s round trip of a 1M-float frame: %.2f ms%n", encrypt, roundTripMillis(secret,
                    flat, encrypt));
        }
        FrameCipher sealer = FrameCipher.acceptor(secret, new byte[16], new byte[16], 0, 0);
        FrameCipher opener = FrameCipher.connector(secret, new byte[16], new byte[16], 0, 0);
        byte[] payload = StepFrame.parameters(0, 0, 0, 1, flat).payload();
        byte[] aad = new byte[StepFrame.AAD];
        long start = 0;
        for (int i = 0; i < 300; i++) {
            if (i == 100) {
                start = System.nanoTime();
            }
            opener.open(aad, sealer.seal(aad, payload, 0, payload.length), "a frame", "the bench");
        }
        System.out.printf("seal+open of 4 MB: %.2f ms%n", (System.nanoTime() - start) / 200 / 1e6);
    }

    /** The mean round trip (after 50 warm-up ones) of 200 frames the task echoes. */
    private static double roundTripMillis(byte[] secret, float[] flat, boolean encrypt) throws Exception {
        try (StepEndpoint endpoint = new StepEndpoint("127.0.0.1", "127.0.0.1", secret, null, 60_000, encrypt);
                FrameChannel task = endpoint.link().connect(0, 0, "1", "h", null)) {
            endpoint.awaitPeers(1, "bench", 10_000);
            FrameChannel driver = endpoint.peer(0);
            Thread echo = new Thread(() -> {
                for (int i = 0; i < 250; i++) {
                    task.write(task.read("a frame"), "echoing");
                }
            });
            echo.start();
            long start = 0;
            for (int i = 0; i < 250; i++) {
                if (i == 50) {
                    start = System.nanoTime();
                }
                driver.write(StepFrame.parameters(i, 0, 0, 1, flat), "sending");
                driver.read("the echo");
            }
            echo.join();
            return (System.nanoTime() - start) / 200 / 1e6;
        }
    }
}
