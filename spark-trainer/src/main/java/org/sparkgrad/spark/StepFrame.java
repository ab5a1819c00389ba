package org.sparkgrad.spark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * One message between the driver and a barrier task: a kind, the 0-based global step it belongs to and a payload.
 * On the wire a frame is a 17-byte header (payload length, kind, step, CRC32 of kind, step and payload) followed by
 * the payload, so a frame damaged on the way is detected rather than read as parameters. Headers are big-endian;
 * payloads little-endian, so float vectors go in and out of them as bulk copies on x86 and ARM. {@link FrameChannel}
 * sends a payload over {@link #MAX_PAYLOAD} as several wire frames (chunks: the kind byte's {@link #CONTINUED} bit
 * says more follow) and may encrypt each ({@link FrameCipher}); a frame as such is up to {@link #MAX_MESSAGE} bytes.
 */
final class StepFrame {
    /** Header bytes: int length, byte kind, long step, int checksum. */
    static final int HEADER = 4 + 1 + 8 + 4;
    /** The largest payload one wire frame carries (1 GiB); {@link FrameChannel} chunks bigger ones. */
    static final int MAX_PAYLOAD = 1 << 30;
    /** The largest payload of a frame (one Java byte array); a larger vector has to be sharded. */
    static final int MAX_MESSAGE = Integer.MAX_VALUE - 16;
    /** Bit of a wire frame's kind byte: the frame is a chunk of a longer payload, and more chunks follow. */
    static final int CONTINUED = 0x80;
    /** Header bytes before the checksum (length, kind, step): what an encrypted frame authenticates with its payload. */
    static final int AAD = HEADER - 4;

    /** What a frame says. */
    enum Kind {
        /** driver -> task on connect: a random nonce to answer. */
        CHALLENGE,
        /** task -> driver: the nonce's HMAC, partition, attempt, its own nonce (for the keys), executor and host. */
        HELLO,
        /** driver -> task: authenticated. */
        WELCOME,
        /** driver -> task: not authenticated (payload: the reason), then the driver closes. */
        REFUSED,
        /** driver -> task: the flat parameters of a step (float32). */
        PARAMETERS,
        /** task -> driver: the task's gradient sum of a step. */
        GRADIENT,
        /** driver -> task: the stage's steps are done. */
        STOP,
        /** task -> driver: the task failed the step (payload: the message). */
        FAILED,
        /**
         * task -> driver: one all-reduce of batch statistics (doubles); driver -> task: their sum over all partitions
         * (models with batch norm).
         */
        STATS,
        /**
         * driver -> task: the model's buffers for the step (doubles); task -> driver: no more STATS this step, and the
         * replica's buffers after it (none when the task had no rows of the step).
         */
        BUFFERS
    }

    /** Bytes before the floats of a PARAMETERS frame: epoch, first and end position of the step's batch. */
    private static final int BATCH = 3 * 8;

    private final Kind kind;
    private final long step;
    private final byte[] payload;
    /** The payload's checksum as one wire frame, once computed (a frame is sent unchanged, maybe to several tasks). */
    private int checksum;
    private boolean checksummed;

    StepFrame(Kind kind, long step, byte[] payload) {
        this.kind = kind;
        this.step = step;
        this.payload = payload;
    }

    /** A frame whose one-wire-frame checksum is known (it arrived with it, checked), so forwarding it needs no pass. */
    StepFrame(Kind kind, long step, byte[] payload, int checksum) {
        this(kind, step, payload);
        this.checksum = checksum;
        this.checksummed = true;
    }

    Kind kind() {
        return kind;
    }

    /** The 0-based global step (-1 for the handshake). */
    long step() {
        return step;
    }

    byte[] payload() {
        return payload;
    }

    static StepFrame text(Kind kind, long step, String message) {
        return new StepFrame(kind, step, message.getBytes(StandardCharsets.UTF_8));
    }

    String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /**
     * A PARAMETERS frame: the step's epoch and batch positions {@code [from, to)} of the epoch's order, then the flat
     * parameters.
     */
    static StepFrame parameters(long step, long epoch, long from, long to, float[] flat) {
        return parameters(step, epoch, from, to, flat, null);
    }

    /**
     * As {@link #parameters(long, long, long, long, float[])}, in spare when it has the frame's size (a step loop
     * passes the payload of its previous frame, written out by then, so a big model's frames are not reallocated).
     */
    static StepFrame parameters(long step, long epoch, long from, long to, float[] flat, byte[] spare) {
        return parameters(step, epoch, from, to, flat, 0, flat.length, spare);
    }

    /** As {@link #parameters(long, long, long, long, float[], byte[])} with {@code flat[off, off + len)} (a slice). */
    static StepFrame parameters(long step, long epoch, long from, long to, float[] flat, int off, int len, byte[] spare) {
        ByteBuffer b = payload(Kind.PARAMETERS, BATCH + 4L * len, spare);
        b.putLong(epoch).putLong(from).putLong(to);
        return withFloats(Kind.PARAMETERS, step, b, flat, off, len);
    }

    /** The epoch, from and to of a PARAMETERS frame. */
    long[] batch() {
        ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        return new long[] {b.getLong(), b.getLong(), b.getLong()};
    }

    /** The flat parameters of a PARAMETERS frame. */
    float[] floats() {
        return floats(null);
    }

    /** The flat parameters of a PARAMETERS frame, in spare when it has their length. */
    float[] floats(float[] spare) {
        int n = floatCount();
        float[] v = spare != null && spare.length == n ? spare : new float[n];
        floatsInto(v, 0);
        return v;
    }

    /** The number of floats of a PARAMETERS frame. */
    int floatCount() {
        if (payload.length < BATCH || (payload.length - BATCH) % 4 != 0) {
            throw new TrainingException("a " + kind + " frame of step " + (step + 1) + " has " + payload.length
                    + " bytes, not a batch and a whole number of floats");
        }
        return (payload.length - BATCH) / 4;
    }

    /** Copies the floats of a PARAMETERS frame into {@code dst[off, off + floatCount())}. */
    void floatsInto(float[] dst, int off) {
        int n = floatCount();
        ByteBuffer.wrap(payload, BATCH, payload.length - BATCH).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                .get(dst, off, n);
    }

    /** A GRADIENT frame: loss sum, sample count, devices, and the gradient (length -1 when the task had no rows). */
    static StepFrame gradient(long step, GradientSum sum) {
        return gradient(step, sum, null);
    }

    /** As {@link #gradient(long, GradientSum)}, in spare when it has the frame's size. */
    static StepFrame gradient(long step, GradientSum sum, byte[] spare) {
        return gradient(step, sum, 0, sum.grad == null ? 0 : sum.grad.length, spare);
    }

    /**
     * As {@link #gradient(long, GradientSum, byte[])} with {@code sum.grad[off, off + len)} as the gradient (a slice;
     * none when sum.grad is null).
     */
    static StepFrame gradient(long step, GradientSum sum, int off, int len, byte[] spare) {
        byte[] devices = sum.devices.getBytes(StandardCharsets.UTF_8);
        int n = sum.grad == null ? 0 : len;
        ByteBuffer b = payload(Kind.GRADIENT, 8 + 8 + 4 + devices.length + 4 + 4L * n, spare);
        b.putDouble(sum.loss).putLong(sum.count).putInt(devices.length).put(devices);
        b.putInt(sum.grad == null ? -1 : n);
        return withFloats(Kind.GRADIENT, step, b, sum.grad, off, n);
    }

    /** The gradient sum of a GRADIENT frame. */
    GradientSum gradientSum() {
        GradientSum sum = new GradientSum();
        mergeInto(sum, null);
        return sum;
    }

    /**
     * Adds this GRADIENT frame's sum into sum, as {@code sum.merge(gradientSum())} does but without decoding the
     * gradient into an array of its own: a first gradient is copied into spare (when it has its length) or a new
     * array, a later one added straight from the payload. The same float additions in the same order.
     */
    void mergeInto(GradientSum sum, float[] spare) {
        ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        sum.loss += b.getDouble();
        sum.count += b.getLong();
        byte[] devices = new byte[b.getInt()];
        b.get(devices);
        sum.addDevices(new String(devices, StandardCharsets.UTF_8));
        int n = b.getInt();
        if (n < 0) {
            return;
        }
        java.nio.FloatBuffer f = gradientValues(b, n);
        if (sum.grad == null) {
            sum.grad = spare != null && spare.length == n ? spare : new float[n];
            f.get(sum.grad);
        } else if (sum.grad.length != n) {
            throw GradientSum.differentSizes(sum.grad.length, n);
        } else {
            float[] g = sum.grad;
            for (int i = 0; i < n; i++) {
                g[i] += f.get(i);
            }
        }
    }

    /** Floats in 64k blocks: the checksum reads each block while it is in cache. */
    private static final int BLOCK = 1 << 16;

    /**
     * The frame of a payload whose bytes before b's position are written and whose remaining ones are values: copies
     * them in block by block, checksumming each block as one wire frame's body right after copying it (what
     * {@link #header()} would compute in a pass of its own).
     */
    private static StepFrame withFloats(Kind kind, long step, ByteBuffer b, float[] values, int off, int len) {
        byte[] a = b.array();
        int at = b.position();
        CRC32 crc = checksumStart(kind.ordinal(), step);
        crc.update(a, 0, at);
        java.nio.FloatBuffer f = b.asFloatBuffer();
        for (int i = 0; i < len; i += BLOCK) {
            int m = Math.min(BLOCK, len - i);
            f.put(values, off + i, m);
            crc.update(a, at + 4 * i, 4 * m);
        }
        StepFrame frame = new StepFrame(kind, step, a);
        frame.checksum = (int) crc.getValue();
        frame.checksummed = true;
        return frame;
    }

    /** The gradient values after a GRADIENT payload's count n, checked against it. */
    private java.nio.FloatBuffer gradientValues(ByteBuffer b, int n) {
        java.nio.FloatBuffer f = b.asFloatBuffer();
        if (f.remaining() != n) {
            throw new TrainingException("a GRADIENT frame of step " + (step + 1) + " announces " + n + " values and has "
                    + f.remaining());
        }
        return f;
    }

    /** The GRADIENT payload after its loss, count and devices, at the gradient's count. */
    private ByteBuffer gradientCount() {
        ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        return b.position(8 + 8 + 4 + b.getInt(8 + 8)); // after loss, count, the devices' length and bytes
    }

    /** The number of gradient values of a GRADIENT frame, -1 when it has none (the task had no rows). */
    int gradientLength() {
        return gradientCount().getInt();
    }

    /** Copies the gradient values of a GRADIENT frame (one that has some) into {@code dst[off, off + length)}. */
    void gradientInto(float[] dst, int off) {
        ByteBuffer b = gradientCount();
        int n = b.getInt();
        gradientValues(b, n).get(dst, off, n);
    }

    private static ByteBuffer payload(Kind kind, long bytes, byte[] spare) {
        if (bytes > MAX_MESSAGE) {
            throw new TrainingException("a " + kind + " frame of " + bytes + " bytes is over the " + MAX_MESSAGE
                    + "-byte limit of one Java array: shard the model's exchange (a lower shardAbove, more partitions)");
        }
        byte[] a = spare != null && spare.length == bytes ? spare : new byte[(int) bytes];
        return ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A frame of kind whose payload is values (little-endian doubles). */
    static StepFrame doubles(Kind kind, long step, double[] values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(values);
        return new StepFrame(kind, step, b.array());
    }

    /** The doubles of a {@link #doubles} frame. */
    double[] doubleValues() {
        if (payload.length % 8 != 0) {
            throw new TrainingException("a " + kind + " frame of step " + (step + 1) + " has " + payload.length
                    + " bytes, not a whole number of doubles");
        }
        double[] v = new double[payload.length / 8];
        ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(v);
        return v;
    }

    /** The header for this frame's payload (the payload follows it on the wire), as one wire frame. */
    ByteBuffer header() {
        if (!checksummed) {
            checksum = checksum(kind.ordinal(), step, payload, 0, payload.length);
            checksummed = true;
        }
        ByteBuffer h = ByteBuffer.allocate(HEADER);
        h.put(aad(kind.ordinal(), step, payload.length)).putInt(checksum);
        return h.flip();
    }

    /** The first {@link #AAD} bytes of a wire header: body length, kind byte (with flags) and step. */
    static byte[] aad(int kindByte, long step, int bodyLength) {
        return ByteBuffer.allocate(AAD).putInt(bodyLength).put((byte) kindByte).putLong(step).array();
    }

    /** The wire header of body[off, off + len) under a kind byte (kind and flags), its checksum included. */
    static ByteBuffer header(int kindByte, long step, byte[] body, int off, int len) {
        ByteBuffer h = ByteBuffer.allocate(HEADER);
        h.put(aad(kindByte, step, len)).putInt(checksum(kindByte, step, body, off, len));
        return h.flip();
    }

    /** Payload length from a header, checked against the limit. */
    static int payloadLength(ByteBuffer header, String from) {
        int n = header.getInt(0);
        if (n < 0 || n > MAX_PAYLOAD) {
            throw new TrainingException("a frame from " + from + " announces " + n + " payload bytes (limit "
                    + MAX_PAYLOAD + "): the stream is corrupted or not from a sparkgrad task");
        }
        return n;
    }

    /** The kind of a wire header's kind byte (its flags masked off), checked. */
    static Kind kind(ByteBuffer header, String from) {
        int kind = header.get(4) & 0xff & ~CONTINUED;
        if (kind >= Kind.values().length) {
            throw new TrainingException("a frame from " + from + " has unknown kind " + kind
                    + ": the stream is corrupted or not from a sparkgrad task");
        }
        return Kind.values()[kind];
    }

    /** Checks a wire frame's kind and checksum: a frame damaged on the way fails naming its kind, step and sender. */
    static void check(ByteBuffer header, byte[] body, String from) {
        check(header, checksum(header.get(4) & 0xff, header.getLong(5), body, 0, body.length), from);
    }

    /**
     * As {@link #check(ByteBuffer, byte[], String)}, given the body's checksum: {@link #checksumOfHeader} with the
     * body added ({@link FrameChannel} adds it slice by slice as it arrives).
     */
    static void check(ByteBuffer header, int actual, String from) {
        Kind kind = kind(header, from);
        long step = header.getLong(5);
        int expected = header.getInt(AAD);
        if (actual != expected) {
            throw new TrainingException("a " + kind + " frame of step " + (step + 1) + " from " + from
                    + " fails its checksum (CRC32 " + Integer.toHexString(actual) + ", header says "
                    + Integer.toHexString(expected) + "): it was damaged on the way");
        }
    }

    /** The frame of a header and payload, after checking the kind and checksum. */
    private static StepFrame decode(ByteBuffer header, byte[] payload, String from) {
        check(header, payload, from);
        return new StepFrame(kind(header, from), header.getLong(5), payload);
    }

    /** The whole frame as bytes (header then payload). */
    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length);
        b.put(header()).put(payload);
        return b.array();
    }

    /** The frame in bytes (as {@link #encode()} writes them), checked. */
    static StepFrame decode(byte[] bytes, String from) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (bytes.length < HEADER || payloadLength(b, from) != bytes.length - HEADER) {
            throw new TrainingException("a frame from " + from + " of " + bytes.length + " bytes is truncated or too long");
        }
        byte[] payload = new byte[bytes.length - HEADER];
        System.arraycopy(bytes, HEADER, payload, 0, payload.length);
        return decode(b, payload, from);
    }

    private static int checksum(int kindByte, long step, byte[] body, int off, int len) {
        CRC32 crc = checksumStart(kindByte, step);
        crc.update(body, off, len);
        return (int) crc.getValue();
    }

    /** The checksum of a wire header's kind byte and step, to which the body is added. */
    static CRC32 checksumOfHeader(ByteBuffer header) {
        return checksumStart(header.get(4) & 0xff, header.getLong(5));
    }

    private static CRC32 checksumStart(int kindByte, long step) {
        CRC32 crc = new CRC32();
        crc.update(ByteBuffer.allocate(9).put((byte) kindByte).putLong(step).flip());
        return crc;
    }
}
