package org.sparkgrad.engine.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.CharBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Module;

/**
 * Reads and writes tensors in the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format, the file layout of Hugging Face models:
 *
 * <pre>
 * 8 bytes     N, the header length, unsigned little-endian
 * N bytes     JSON: {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
 *             padded with spaces to a multiple of 8
 * the rest    the tensors' bytes, row-major, little-endian, one after another; offsets count from here
 * </pre>
 *
 * Supported dtypes: {@code F32}, {@code F64}, {@code I64}, {@code BOOL}. Saving is atomic (the file is
 * written beside its destination and renamed into place), and loading checks the whole header against
 * the file before it reads any tensor, so a damaged file gives an {@link IOException} naming the file and
 * the problem, never a partial result.
 *
 * <pre>{@code
 * SafeTensors.saveModule(net, Path.of("model.safetensors"));
 * SafeTensors.loadModule(otherNet, Path.of("model.safetensors"));
 * Map<String, Tensor> state = SafeTensors.load(Path.of("model.safetensors"));
 * }</pre>
 *
 * For storage that is not a local path (a Hadoop file system, memory), {@link #write(Map, Map,
 * OutputStream)} and {@link #read(InputStream, long, String)} produce and check the same bytes through
 * streams; making such a write atomic is then the caller's job.
 */
public final class SafeTensors {
    private static final int CHUNK_BYTES = 1 << 16;
    /** int64 values beyond this magnitude are not exact in the engine's int64 storage (doubles). */
    private static final long MAX_EXACT_INT64 = 1L << 53;

    private SafeTensors() {
    }

    /** The tensors of a file (in header order) and its {@code __metadata__} (empty when absent). */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    /** Saves tensors to file (replacing it atomically), without metadata. */
    public static void save(Map<String, Tensor> tensors, Path file) throws IOException {
        save(tensors, file, Collections.emptyMap());
    }

    /**
     * Saves tensors with string metadata to file. The tensors are laid out as the reference implementation
     * lays them out: by decreasing alignment ({@code I64}, {@code F64}, {@code F32}, {@code BOOL}), then by
     * name in UTF-8 byte order, so that every tensor starts at a multiple of its item size and the same
     * tensors give a byte-identical file (metadata keys keep the map's order). The file is written under
     * a temporary name in the same directory, flushed to disk, and renamed into place with an atomic move,
     * so readers see the old file or the complete new one, never a half-written file. Non-contiguous
     * tensors (e.g. transposed views) are written in row-major order of their shape.
     *
     * @throws IllegalArgumentException for a null or reserved ({@code __metadata__}) name, a null tensor, or
     *         metadata with null keys or values (nothing is written then)
     */
    public static void save(Map<String, Tensor> tensors, Path file, Map<String, String> metadata) throws IOException {
        Layout layout = layout(tensors, metadata);
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong());
        Path tmp = dir.resolve("." + target.getFileName() + "." + suffix + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeTo(ch, layout);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (Throwable ex) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException cleanup) {
                ex.addSuppressed(cleanup);
            }
            throw ex;
        }
        syncDirectory(dir);
    }

    /**
     * Writes tensors with string metadata in the safetensors format to a stream: the same bytes that
     * {@link #save(Map, Path, Map)} puts in a file, in the same layout. The stream is neither flushed
     * nor closed (the caller owns it); nothing is written when the arguments are invalid.
     *
     * @throws IllegalArgumentException for the same invalid names, tensors or metadata as {@code save}
     * @throws IOException when the stream fails
     */
    public static void write(Map<String, Tensor> tensors, Map<String, String> metadata, OutputStream out)
            throws IOException {
        Layout layout = layout(tensors, metadata);
        writeTo(Channels.newChannel(out), layout);
    }

    /** Loads every tensor of a file, by name in header order. */
    public static Map<String, Tensor> load(Path file) throws IOException {
        return read(file).tensors();
    }

    /**
     * Reads a file's tensors and metadata. The header is checked completely (length, UTF-8, JSON syntax,
     * dtypes, shapes, and that the byte ranges tile the data section with no gap or overlap) before any
     * tensor is read, and every value is checked as it is read (booleans must be 0 or 1, int64 values
     * within ±2^53, which the engine holds exactly). Hostile headers are refused in time linear in their
     * length and before anything they describe is allocated: at most 100000 tensors of at most 64
     * dimensions, numbers of at most 1000 characters, every tensor inside the file and no longer than the
     * longest Java array, and all of them within the maximum heap (-Xmx). A read tensor holds the array
     * its values were read into (no second copy).
     *
     * @throws IOException naming the file and the problem when the file can't be read or isn't valid
     */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw invalid(file, "the file has " + size + " bytes, fewer than the 8 of the header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long n = checkHeaderLength(lenBuf.flip().getLong(), size, file);
            String json = utf8(readHeader(ch, (int) n, file), file);
            long dataStart = 8 + n;
            SafeTensorsHeader.Decoded header;
            try {
                header = SafeTensorsHeader.decode(json, size - dataStart);
            } catch (IllegalArgumentException ex) {
                throw invalid(file, ex.getMessage());
            }
            checkHeap(header.entries(), file);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (SafeTensorsHeader.Entry e : header.entries()) {
                tensors.put(e.name(), readTensor(ch, dataStart, e, file));
            }
            return new Contents(tensors, header.metadata());
        }
    }

    /**
     * Reads safetensors bytes from a stream of known length (e.g. a file on a Hadoop file system, with
     * the length its directory listing gives), with every check of {@link #read(Path)}: the header is
     * validated completely against the length before any tensor is read (so a damaged header can't make
     * it allocate more than the data holds), every value as it is read, and the stream must hold exactly
     * {@code length} bytes. Tensors are read in the order of their data; the result lists them in header
     * order. The stream is not closed.
     *
     * @param in the bytes, from the header length on
     * @param length how many bytes the stream holds
     * @param sourceName what to call the source in error messages, e.g. a file's URI
     * @throws IOException naming the source and the problem when the bytes can't be read or aren't valid
     */
    public static Contents read(InputStream in, long length, String sourceName) throws IOException {
        if (length < 8) {
            throw invalid(sourceName, "the file has " + length + " bytes, fewer than the 8 of the header length");
        }
        byte[] lenBytes = readExactly(in, 8, 0, sourceName);
        long n = checkHeaderLength(ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong(), length, sourceName);
        String json = utf8(readExactly(in, (int) n, 8, sourceName), sourceName);
        long dataStart = 8 + n;
        SafeTensorsHeader.Decoded header;
        try {
            header = SafeTensorsHeader.decode(json, length - dataStart);
        } catch (IllegalArgumentException ex) {
            throw invalid(sourceName, ex.getMessage());
        }
        checkHeap(header.entries(), sourceName);
        List<SafeTensorsHeader.Entry> byOffset = new ArrayList<>(header.entries());
        byOffset.sort(Comparator.comparingLong(SafeTensorsHeader.Entry::begin));
        Map<String, Tensor> read = new HashMap<>();
        byte[] chunk = new byte[CHUNK_BYTES];
        for (SafeTensorsHeader.Entry e : byOffset) {
            int numel = e.numel();
            int item = e.dtype().itemSize();
            float[] f = e.dtype() == DType.FLOAT32 ? new float[numel] : null;
            double[] d = f == null ? new double[numel] : null;
            long pos = dataStart + e.begin();
            int i = 0;
            while (i < numel) {
                int count = Math.min(numel - i, CHUNK_BYTES / item);
                int bytes = count * item;
                int got = in.readNBytes(chunk, 0, bytes);
                if (got < bytes) {
                    throw endedEarly(sourceName, pos + got);
                }
                decodeValues(ByteBuffer.wrap(chunk, 0, bytes).order(ByteOrder.LITTLE_ENDIAN), e, f, d, i, count, sourceName);
                pos += bytes;
                i += count;
            }
            read.put(e.name(), newTensor(e, f, d));
        }
        if (in.read() >= 0) {
            throw invalid(sourceName, "there are more than the " + length
                    + " bytes the file was said to have (did it grow while being read?)");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (SafeTensorsHeader.Entry e : header.entries()) {
            tensors.put(e.name(), read.get(e.name()));
        }
        return new Contents(tensors, header.metadata());
    }

    /** Saves a module's {@link Module#stateDict()} to file. */
    public static void saveModule(Module module, Path file) throws IOException {
        save(module.stateDict(), file);
    }

    /**
     * Loads a file into a module's parameters and buffers with {@link Module#loadStateDict(Map)}: names,
     * shapes and dtypes must all match, or nothing is copied.
     */
    public static void loadModule(Module module, Path file) throws IOException {
        module.loadStateDict(load(file));
    }

    // -----------------------------------------------------------------------------------------------------
    // Writing

    /** What is written: the tensors in layout order and the encoded header. */
    private record Layout(List<Map.Entry<String, Tensor>> items, byte[] header) {
    }

    /** Checks the arguments and lays the tensors out (see {@link #save(Map, Path, Map)}). */
    private static Layout layout(Map<String, Tensor> tensors, Map<String, String> metadata) {
        List<Map.Entry<String, Tensor>> items = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = checkedString(e.getKey(), "tensor name");
            if (name.equals(SafeTensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("the tensor name " + SafeTensorsHeader.METADATA_KEY
                        + " is reserved for the file's metadata");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("tensor " + Json.quote(name) + " is null");
            }
            items.add(Map.entry(name, e.getValue()));
        }
        items.sort(SafeTensorsHeader.LAYOUT_ORDER);
        List<SafeTensorsHeader.Entry> entries = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : items) {
            Tensor t = e.getValue();
            long bytes = (long) t.numel() * t.dtype().itemSize();
            entries.add(new SafeTensorsHeader.Entry(e.getKey(), t.dtype(), t.shape(), offset, offset + bytes));
            offset += bytes;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        for (Map.Entry<String, String> m : metadata.entrySet()) {
            meta.put(checkedString(m.getKey(), "metadata key"), checkedString(m.getValue(), "metadata value"));
        }
        return new Layout(items, SafeTensorsHeader.encode(entries, meta));
    }

    /** Writes the header length, the header and every tensor's bytes. */
    private static void writeTo(WritableByteChannel ch, Layout layout) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(layout.header().length);
        flush(ch, buf);
        writeFully(ch, ByteBuffer.wrap(layout.header()));
        for (Map.Entry<String, Tensor> e : layout.items()) {
            writeData(ch, buf, e.getValue());
        }
        flush(ch, buf);
    }

    private static void writeData(WritableByteChannel ch, ByteBuffer buf, Tensor t) throws IOException {
        DType dtype = t.dtype();
        if (dtype == DType.FLOAT32) {
            for (float v : t.toFloatArray()) {
                room(ch, buf, 4).putFloat(v);
            }
            return;
        }
        double[] values = t.toArray();
        for (double v : values) {
            switch (dtype) {
                case FLOAT64 -> room(ch, buf, 8).putDouble(v);
                case INT64 -> room(ch, buf, 8).putLong((long) v);
                case BOOL -> room(ch, buf, 1).put(v != 0 ? (byte) 1 : (byte) 0);
                default -> throw new IllegalStateException("unhandled dtype " + dtype);
            }
        }
    }

    /** The buffer, flushed first when it has less than {@code bytes} left. */
    private static ByteBuffer room(WritableByteChannel ch, ByteBuffer buf, int bytes) throws IOException {
        if (buf.remaining() < bytes) {
            flush(ch, buf);
        }
        return buf;
    }

    private static void flush(WritableByteChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        writeFully(ch, buf);
        buf.clear();
    }

    private static void writeFully(WritableByteChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Makes the rename durable where the platform allows opening a directory; elsewhere a no-op. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not every platform can fsync a directory; the file itself is already on disk.
        }
    }

    private static String checkedString(String s, String what) {
        if (s == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (!Json.isWellFormed(s)) {
            throw new IllegalArgumentException(what + " " + Json.quote(s) + " has an unpaired surrogate, which UTF-8 can't hold");
        }
        return s;
    }

    // -----------------------------------------------------------------------------------------------------
    // Reading

    private static Tensor readTensor(FileChannel ch, long dataStart, SafeTensorsHeader.Entry e, Path file)
            throws IOException {
        int n = e.numel();
        int item = e.dtype().itemSize();
        // no bigger than the tensor: a file may list 100000 empty tensors
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, e.byteLength())).order(ByteOrder.LITTLE_ENDIAN);
        long pos = dataStart + e.begin();
        float[] f = e.dtype() == DType.FLOAT32 ? new float[n] : null;
        double[] d = f == null ? new double[n] : null;
        int i = 0;
        while (i < n) {
            int count = Math.min(n - i, CHUNK_BYTES / item);
            buf.clear().limit(count * item);
            readFully(ch, buf, pos, file);
            buf.flip();
            pos += (long) count * item;
            decodeValues(buf, e, f, d, i, count, file);
            i += count;
        }
        return newTensor(e, f, d);
    }

    /**
     * Decodes {@code count} little-endian values of entry e from buf into f (float32) or d (other types)
     * from element {@code start} on, checking each (int64 within ±2^53, booleans 0 or 1).
     */
    private static void decodeValues(ByteBuffer buf, SafeTensorsHeader.Entry e, float[] f, double[] d, int start,
            int count, Object source) throws IOException {
        for (int k = 0, i = start; k < count; k++, i++) {
            switch (e.dtype()) {
                case FLOAT32 -> f[i] = buf.getFloat();
                case FLOAT64 -> d[i] = buf.getDouble();
                case INT64 -> {
                    long v = buf.getLong();
                    if (v > MAX_EXACT_INT64 || v < -MAX_EXACT_INT64) {
                        throw invalid(source, "tensor " + Json.quote(e.name()) + " holds the int64 value " + v
                                + " at element " + i + ", beyond ±2^53, which this engine can't hold exactly");
                    }
                    d[i] = v;
                }
                case BOOL -> {
                    byte v = buf.get();
                    if (v != 0 && v != 1) {
                        throw invalid(source, "tensor " + Json.quote(e.name()) + " holds the byte " + (v & 0xff)
                                + " at element " + i + ", but a BOOL must be 0 or 1");
                    }
                    d[i] = v;
                }
                default -> throw new IllegalStateException("unhandled dtype " + e.dtype());
            }
        }
    }

    /** The tensor of entry e, holding f or d itself (the arrays were made for it: no second copy). */
    private static Tensor newTensor(SafeTensorsHeader.Entry e, float[] f, double[] d) {
        return f != null ? Tensor.fromArray(f, e.shape()) : Tensor.fromArray(d, e.dtype(), e.shape());
    }

    /** The n header bytes after the header length. */
    private static byte[] readHeader(FileChannel ch, int n, Path file) throws IOException {
        byte[] header = new byte[n];
        readFully(ch, ByteBuffer.wrap(header), 8, file);
        return header;
    }

    /**
     * The header bytes as text, refusing anything that is not valid UTF-8. They are checked through a small
     * buffer, so the text is the only copy made (a header may have up to 100 MB).
     */
    private static String utf8(byte[] bytes, Object source) throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(CHUNK_BYTES);
        CoderResult r;
        do {
            out.clear();
            r = decoder.decode(in, out, true);
            if (r.isError()) {
                throw invalid(source, "the header is not valid UTF-8");
            }
        } while (r.isOverflow());
        return new String(bytes, StandardCharsets.UTF_8); // valid, so this decodes to the same text
    }

    /**
     * Refuses, before any tensor is allocated, tensors the heap can't hold even when nothing else is in it:
     * one tensor, or all of them together (they are all held at once), above the maximum heap (-Xmx).
     */
    private static void checkHeap(List<SafeTensorsHeader.Entry> entries, Object source) throws IOException {
        long max = Runtime.getRuntime().maxMemory();
        long total = 0;
        for (SafeTensorsHeader.Entry e : entries) {
            long bytes = e.heapBytes();
            if (bytes > max) {
                throw tooLarge(source, "tensor " + Json.quote(e.name()) + " of dtype " + SafeTensorsHeader.formatName(e.dtype())
                        + " and shape " + Arrays.toString(e.shape()) + " takes " + bytes + " bytes in memory ("
                        + bytes / Math.max(1, e.numel()) + " per element), more than the maximum heap of " + max
                        + " bytes (-Xmx)");
            }
            total += bytes;
        }
        if (total > max) {
            throw tooLarge(source, "its " + entries.size() + " tensors take " + total
                    + " bytes in memory together, more than the maximum heap of " + max + " bytes (-Xmx)");
        }
    }

    private static IOException tooLarge(Object source, String problem) {
        return new IOException("safetensors file " + source + " is too large to load: " + problem);
    }

    /** The header length n, checked against the file's size and the limit on header sizes. */
    private static long checkHeaderLength(long n, long size, Object source) throws IOException {
        if (n < 0 || n > size - 8) {
            throw invalid(source, "the header length " + Long.toUnsignedString(n) + " is larger than the "
                    + (size - 8) + " bytes that follow it (truncated header?)");
        }
        if (n > SafeTensorsHeader.MAX_HEADER_BYTES) {
            throw invalid(source, "the header length " + n + " exceeds the limit of " + SafeTensorsHeader.MAX_HEADER_BYTES
                    + " bytes");
        }
        return n;
    }

    /** n bytes of the stream, read into one array of n (n is checked against the length first). */
    private static byte[] readExactly(InputStream in, int n, long position, Object source) throws IOException {
        byte[] b = new byte[n];
        int got = in.readNBytes(b, 0, n);
        if (got < n) {
            throw endedEarly(source, position + got);
        }
        return b;
    }

    private static IOException endedEarly(Object source, long position) {
        return invalid(source, "the file ended at byte " + position + " while reading (did it shrink while being read?)");
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                throw endedEarly(file, pos);
            }
            pos += r;
        }
    }

    /** An error naming the source (a path or a name) and the problem. */
    private static IOException invalid(Object source, String problem) {
        return new IOException("invalid safetensors file " + source + ": " + problem);
    }
}
