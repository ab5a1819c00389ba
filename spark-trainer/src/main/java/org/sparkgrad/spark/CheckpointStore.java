package org.sparkgrad.spark;

import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkgrad.engine.io.SafeTensors;

/**
 * Training checkpoints in a directory of any Hadoop file system ({@code file://}, {@code hdfs://}, or any
 * scheme with a Hadoop {@link FileSystem}): one {@code .safetensors} file per checkpoint, named by step
 * ({@code ckpt-000000017.safetensors}, see {@link CheckpointFormat} for the contents), so the files sort by
 * step and open in Python.
 *
 * <ul>
 *   <li>{@link #save} writes to a hidden temporary name in the same directory
 *       ({@code .ckpt-000000017.safetensors.tmp-<uuid>}), closes it and renames it to the final name: a
 *       crash leaves at most a temporary file, which is never read, and never a half-written file under a
 *       final name. A failed save deletes its temporary file. After the new checkpoint is in place, the
 *       oldest are deleted so that the newest {@code keep} remain, and so are temporary files older than the
 *       new checkpoint (left by saves that crashed).
 *   <li>{@link #loadLatestValid} tries the checkpoints newest first and returns the first one that reads
 *       completely, passes its SHA-256 checksum and makes sense; each one it skips (truncated, corrupted,
 *       not a checkpoint) is logged as a WARNING naming the file and the reason.
 * </ul>
 *
 * <pre>{@code
 * CheckpointStore store = new CheckpointStore("hdfs://namenode:8020/runs/mlp/checkpoints", new Configuration());
 * Optional<TrainingState> resumed = store.loadLatestValid();
 * ...
 * store.save(new TrainingState(step, epoch, seed, model.stateDict(), optimizer.stateDict(), losses));
 * }</pre>
 *
 * File system errors (the directory can't be created or listed, a write fails) are thrown as
 * {@link UncheckedIOException}s naming the path. One store writes to a directory at a time; the store
 * itself is not thread-safe.
 */
public final class CheckpointStore {
    /** How many checkpoints are kept unless told otherwise. */
    public static final int DEFAULT_KEEP = 3;

    private static final Logger LOG = Logger.getLogger(CheckpointStore.class.getName());
    private static final Pattern FINAL_NAME = Pattern.compile("ckpt-(\\d{9,19})\\.safetensors");
    private static final Pattern TEMP_NAME = Pattern.compile("\\.ckpt-\\d{9,19}\\.safetensors\\.tmp-.+");

    private final Path directory;
    private final FileSystem fs;
    private final int keep;

    /**
     * A store in a directory (created on the first save) that keeps the newest {@value #DEFAULT_KEEP}
     * checkpoints.
     *
     * @param directoryUri the directory, e.g. {@code hdfs://nn:8020/ckpt}, {@code file:///tmp/ckpt}, or a
     *        path without a scheme, which means the configuration's default file system
     * @param conf the Hadoop configuration that selects and configures the file system
     */
    public CheckpointStore(String directoryUri, Configuration conf) {
        this(directoryUri, conf, DEFAULT_KEEP);
    }

    /**
     * A store in a directory that keeps the newest {@code keep} checkpoints.
     *
     * @throws IllegalArgumentException for a null or empty directory, a null configuration, or keep &lt; 1
     * @throws UncheckedIOException when no file system serves the directory's scheme
     */
    public CheckpointStore(String directoryUri, Configuration conf, int keep) {
        if (directoryUri == null || directoryUri.isBlank()) {
            throw new IllegalArgumentException("the checkpoint directory must be a URI or path, got "
                    + (directoryUri == null ? "null" : "\"" + directoryUri + "\""));
        }
        if (conf == null) {
            throw new IllegalArgumentException("the Hadoop configuration is null (use new Configuration())");
        }
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1 checkpoint, got " + keep);
        }
        Path dir = new Path(directoryUri);
        try {
            this.fs = FileSystem.get(dir.toUri(), conf);
        } catch (IOException ex) {
            throw new UncheckedIOException("no Hadoop file system for the checkpoint directory " + directoryUri + ": "
                    + ex.getMessage(), ex);
        }
        this.directory = fs.makeQualified(dir);
        this.keep = keep;
    }

    /** The directory, fully qualified (scheme and authority included). */
    public String directory() {
        return directory.toString();
    }

    /** How many of the newest checkpoints are kept. */
    public int keep() {
        return keep;
    }

    /** The final file name of the checkpoint of a step, e.g. {@code ckpt-000000017.safetensors}. */
    public static String fileName(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        return String.format("ckpt-%09d.safetensors", step);
    }

    /**
     * Writes a checkpoint of the state atomically (temporary name, close, rename), replacing an earlier
     * checkpoint of the same step, then deletes the oldest checkpoints beyond {@link #keep()} (never the
     * one just written). When anything fails the temporary file is deleted and the checkpoints already
     * there are untouched.
     *
     * @throws UncheckedIOException naming the file when writing or renaming fails
     * @throws IllegalArgumentException for a null state
     */
    public void save(TrainingState state) {
        if (state == null) {
            throw new IllegalArgumentException("the training state to save is null");
        }
        CheckpointFormat.Encoded encoded = CheckpointFormat.encode(state);
        String name = fileName(state.step());
        Path target = new Path(directory, name);
        Path tmp = new Path(directory, "." + name + ".tmp-" + UUID.randomUUID());
        try {
            try {
                if (!fs.mkdirs(directory)) {
                    throw new IOException("could not create the directory");
                }
                try (FSDataOutputStream out = fs.create(tmp, false)) {
                    SafeTensors.write(encoded.tensors(), encoded.metadata(), out);
                    out.hsync();
                }
                moveIntoPlace(tmp, target);
            } catch (IOException | RuntimeException | Error ex) {
                try {
                    fs.delete(tmp, false);
                } catch (IOException | RuntimeException cleanup) {
                    ex.addSuppressed(cleanup);
                }
                throw ex;
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("could not save checkpoint " + target + ": " + ex.getMessage(), ex);
        }
        LOG.info(() -> "saved checkpoint " + target + " (step " + state.step() + ")");
        deleteOld(state.step());
    }

    /**
     * The newest checkpoint that is valid, trying older ones when newer ones are truncated, corrupted or
     * not checkpoints at all (each logged as a WARNING with the file and the reason); empty when the
     * directory is missing or holds no valid checkpoint. Temporary files are never read.
     *
     * @throws UncheckedIOException when the directory can't be listed
     */
    public Optional<TrainingState> loadLatestValid() {
        return scan(state -> null).state();
    }

    /**
     * What {@link #scan} found: the newest checkpoint that is valid and fits (empty when none), its file, each
     * newer or unusable file skipped with the reason ({@code "<file>: <reason>"}), and how many checkpoints the
     * directory holds.
     */
    record Scan(Optional<TrainingState> state, String file, List<String> skipped, int checkpoints) {
    }

    /**
     * Like {@link #loadLatestValid} with a further check: fits gives null when a decoded state suits the run, else
     * the reason (e.g. a parameter of another shape), and an unsuitable checkpoint is skipped (logged as a WARNING
     * naming the file) like a damaged one.
     */
    Scan scan(java.util.function.Function<TrainingState, String> fits) {
        List<Checkpoint> found = checkpoints();
        List<String> skipped = new ArrayList<>();
        for (int i = found.size() - 1; i >= 0; i--) {
            Checkpoint c = found.get(i);
            String reason;
            try {
                TrainingState state = read(c);
                reason = fits.apply(state);
                if (reason == null) {
                    return new Scan(Optional.of(state), c.path().toString(), skipped, found.size());
                }
            } catch (IOException | RuntimeException ex) {
                reason = ex.getMessage() == null ? ex.toString() : ex.getMessage();
            }
            LOG.warning("skipping checkpoint " + c.path() + ": " + reason);
            skipped.add(c.path() + ": " + reason);
        }
        return new Scan(Optional.empty(), null, skipped, found.size());
    }

    /**
     * Creates the directory and writes and deletes a probe file in it, so an unwritable directory fails before
     * training instead of at the first checkpoint.
     *
     * @throws UncheckedIOException naming the directory and the reason
     */
    public void probeWritable() {
        Path probe = new Path(directory, ".probe-" + UUID.randomUUID());
        try {
            if (!fs.mkdirs(directory)) {
                throw new IOException("could not create the directory");
            }
            try (FSDataOutputStream out = fs.create(probe, false)) {
                out.write(0);
            }
            if (!fs.delete(probe, false)) {
                throw new IOException("could not delete the probe file " + probe);
            }
        } catch (IOException | RuntimeException ex) {
            throw new UncheckedIOException("the checkpoint directory " + directory + " is not writable: "
                    + (ex.getMessage() == null ? ex.toString() : ex.getMessage()),
                    ex instanceof IOException io ? io : new IOException(ex));
        }
    }

    /**
     * Moves every checkpoint and temporary file of the directory into a new subfolder
     * {@code superseded-<UTC time>} (never deleting them), so a new run can start there; returns that folder.
     *
     * @throws UncheckedIOException when listing or moving fails
     */
    String setAside() {
        String stamp = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC));
        Path aside = new Path(directory, "superseded-" + stamp);
        try {
            for (int n = 2; fs.exists(aside); n++) {
                aside = new Path(directory, "superseded-" + stamp + "-" + n);
            }
            if (!fs.mkdirs(aside)) {
                throw new IOException("could not create " + aside);
            }
            for (FileStatus st : fs.listStatus(directory)) {
                String name = st.getPath().getName();
                if (st.isFile() && (FINAL_NAME.matcher(name).matches() || TEMP_NAME.matcher(name).matches())
                        && !fs.rename(st.getPath(), new Path(aside, name))) {
                    throw new IOException("could not move " + st.getPath() + " into " + aside);
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("could not set the checkpoints of " + directory + " aside: " + ex.getMessage(),
                    ex);
        }
        return aside.toString();
    }

    /**
     * Deletes the temporary files ({@code .ckpt-*.tmp-*}) older than the newest checkpoint: saves that crashed
     * before their rename. Failures are logged, never thrown.
     */
    void removeOrphans() {
        try {
            FileStatus[] all = fs.listStatus(directory);
            long newest = Long.MIN_VALUE;
            for (FileStatus st : all) {
                if (st.isFile() && FINAL_NAME.matcher(st.getPath().getName()).matches()) {
                    newest = Math.max(newest, st.getModificationTime());
                }
            }
            for (FileStatus st : all) {
                if (st.isFile() && TEMP_NAME.matcher(st.getPath().getName()).matches() && st.getModificationTime() < newest) {
                    fs.delete(st.getPath(), false);
                    LOG.info("deleted the orphaned temporary file " + st.getPath());
                }
            }
        } catch (FileNotFoundException ex) {
            // no directory, no orphans
        } catch (IOException ex) {
            LOG.warning("could not remove orphaned temporary files in " + directory + ": " + ex.getMessage());
        }
    }

    /**
     * The checkpoints in the directory (valid or not: only the names are looked at), as fully qualified
     * paths, oldest step first. Temporary files are not listed; a missing directory gives an empty list.
     *
     * @throws UncheckedIOException when the directory can't be listed
     */
    public List<String> list() {
        List<String> out = new ArrayList<>();
        for (Checkpoint c : checkpoints()) {
            out.add(c.path().toString());
        }
        return out;
    }

    // -----------------------------------------------------------------------------------------------------

    /** A checkpoint file, the step its name gives, and its length when listed. */
    private record Checkpoint(Path path, long step, long length) {
    }

    /** The final-named files, by step ascending. */
    private List<Checkpoint> checkpoints() {
        FileStatus[] statuses;
        try {
            statuses = fs.listStatus(directory);
        } catch (FileNotFoundException ex) {
            return List.of();
        } catch (IOException ex) {
            throw new UncheckedIOException("could not list the checkpoint directory " + directory + ": " + ex.getMessage(),
                    ex);
        }
        List<Checkpoint> out = new ArrayList<>();
        for (FileStatus s : statuses) {
            Matcher m = FINAL_NAME.matcher(s.getPath().getName());
            if (s.isFile() && m.matches()) {
                try {
                    out.add(new Checkpoint(s.getPath(), Long.parseLong(m.group(1)), s.getLen()));
                } catch (NumberFormatException beyondLong) {
                    // 19 digits above Long.MAX_VALUE: no store writes such a name
                }
            }
        }
        out.sort(Comparator.comparingLong(Checkpoint::step));
        return out;
    }

    private TrainingState read(Checkpoint c) throws IOException {
        SafeTensors.Contents contents;
        try (InputStream in = new BufferedInputStream(fs.open(c.path()), 1 << 16)) {
            contents = SafeTensors.read(in, c.length(), c.path().toString());
        }
        return CheckpointFormat.decode(contents, c.step());
    }

    /**
     * Renames tmp to target. HDFS's rename does not replace an existing file, so a checkpoint of the same
     * step (e.g. written again after a resume) is deleted first; older checkpoints stay valid meanwhile.
     */
    private void moveIntoPlace(Path tmp, Path target) throws IOException {
        if (fs.rename(tmp, target)) {
            return;
        }
        if (fs.exists(target)) {
            fs.delete(target, false);
            if (fs.rename(tmp, target)) {
                return;
            }
        }
        throw new IOException("could not rename " + tmp + " to " + target);
    }

    /** Deletes all but the newest {@code keep} checkpoints, never the one of {@code savedStep}. */
    private void deleteOld(long savedStep) {
        List<Checkpoint> found;
        try {
            found = checkpoints();
        } catch (UncheckedIOException ex) {
            LOG.log(Level.WARNING, "could not list " + directory + " to delete old checkpoints: " + ex.getMessage(), ex);
            return;
        }
        for (int i = 0; i < found.size() - keep; i++) {
            Checkpoint c = found.get(i);
            if (c.step() == savedStep) {
                continue;
            }
            try {
                fs.delete(c.path(), false);
            } catch (IOException ex) {
                LOG.warning("could not delete old checkpoint " + c.path() + ": " + ex.getMessage());
            }
        }
        removeOrphans();
    }
}
