package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.logging.Logger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;

/**
 * Training rows on a Spark cluster, packed once per partition into dense float blocks (features and
 * labels, never one object per row) and cached in memory and on disk. Three sources:
 * <ul>
 *   <li>{@link #fromRdd}: a {@code JavaRDD<float[]>} of rows, features then labels;</li>
 *   <li>{@link #fromDataset}: a {@code Dataset<Row>} with a features column (an ML vector or an array of
 *       numbers) and a label column (a number or an array), so CSV, Parquet or LibSVM files on any Hadoop
 *       file system come in through Spark's readers;</li>
 *   <li>{@link #synthetic}: rows made on the executors by a {@link RowGenerator}, so a 100-million-row
 *       experiment never passes through the driver.</li>
 * </ul>
 * Global row indices (which the batch order permutes) are partition offsets plus the position within the
 * partition; the offsets come from the per-partition counts of the packed blocks. Packing happens on the
 * first use (e.g. {@link #rows()} or a trainer's fit); {@link #close()} unpersists the cache.
 *
 * <pre>{@code
 * try (TrainingData data = TrainingData.fromDataset(df, "features", "label").dropMalformed(true)) {
 *     TrainingResult r = trainer.fit(data);
 *     System.out.println(data.droppedRows() + " malformed rows dropped");
 * }
 * }</pre>
 */
public final class TrainingData implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TrainingData.class.getName());

    /** Turns the source into unpacked-then-packed blocks, given (dropMalformed, maxBlockRows, classes or 0). */
    private interface Source {
        JavaRDD<DataBlock> blocks(boolean dropMalformed, int maxBlockRows, int classes);
    }

    /**
     * The packed, cached data: blocks, row count, per-partition offsets (broadcast), dropped rows, and the rows'
     * {@link DataBlock#contentHash() fingerprint}.
     */
    record Packed(String id, JavaRDD<DataBlock> blocks, long rows, long dropped, Broadcast<long[]> offsets,
            long fingerprint) {
    }

    private final JavaSparkContext sc;
    private final Source source;
    private final String description;
    private final int featureDim;
    private final int labelDim;
    private final boolean synthetic;
    /** The declared inputs of {@link #fromColumns}; null for the feature/label sources. */
    private final BatchSpec columns;
    private boolean dropMalformed;
    private StorageLevel storageLevel = StorageLevel.MEMORY_AND_DISK();
    private int maxBlockRows;
    private int classes;
    private Packed packed;

    private TrainingData(JavaSparkContext sc, Source source, String description, int featureDim, int labelDim,
            boolean synthetic) {
        this(sc, source, description, featureDim, labelDim, synthetic, null);
    }

    private TrainingData(JavaSparkContext sc, Source source, String description, int featureDim, int labelDim,
            boolean synthetic, BatchSpec columns) {
        if (featureDim <= 0 || (labelDim <= 0 && columns == null)) {
            throw new IllegalArgumentException("featureDim and labelDim must be positive, got featureDim=" + featureDim
                    + ", labelDim=" + labelDim);
        }
        this.sc = sc;
        this.source = source;
        this.description = description;
        this.featureDim = featureDim;
        this.labelDim = labelDim;
        this.synthetic = synthetic;
        this.columns = columns;
        this.maxBlockRows = BlockBuilder.maxRowsPerBlock(featureDim, labelDim);
    }

    /**
     * Rows given as float arrays: {@code featureDim} features followed by {@code labelDim} labels. A row of
     * another length, or with NaN or infinity, is malformed.
     */
    public static TrainingData fromRdd(JavaRDD<float[]> rows, int featureDim, int labelDim) {
        Objects.requireNonNull(rows, "rows");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(rows.context());
        return new TrainingData(sc, (drop, max, classes) -> rows.mapPartitionsWithIndex(
                new FloatRowPacker(featureDim, labelDim, drop, max, classes), true), "an RDD of float rows", featureDim, labelDim, false);
    }

    /**
     * Rows of a Dataset: {@code featuresColumn} an ML vector or an array of numbers, {@code labelColumn} a
     * number or an array of numbers (numeric strings are parsed). featureDim and labelDim are read from the
     * first row. A row with a null, a non-numeric string, another number of values, NaN or infinity is
     * malformed; its error names the file it came from when the Dataset reads files.
     */
    public static TrainingData fromDataset(Dataset<Row> data, String featuresColumn, String labelColumn) {
        ColumnKind fk = ColumnKind.of(data.schema().apply(featuresColumn));
        ColumnKind lk = ColumnKind.of(data.schema().apply(labelColumn));
        List<Row> first = data.select(featuresColumn, labelColumn).takeAsList(1);
        if (first.isEmpty()) {
            throw new TrainingException("the Dataset has no rows");
        }
        int fd = fk.length(first.get(0), 0);
        int ld = lk.length(first.get(0), 1);
        if (fd <= 0 || ld <= 0) {
            throw new TrainingException("cannot infer the row size from the first row (features column '" + featuresColumn
                    + "' has " + (fd < 0 ? "null" : fd + " values") + ", label column '" + labelColumn + "' has "
                    + (ld < 0 ? "null" : ld + " values") + "); pass featureDim and labelDim");
        }
        return fromDataset(data, featuresColumn, labelColumn, fd, ld);
    }

    /** {@link #fromDataset(Dataset, String, String)} with the row size given. */
    public static TrainingData fromDataset(Dataset<Row> data, String featuresColumn, String labelColumn, int featureDim,
            int labelDim) {
        ColumnKind fk = ColumnKind.of(data.schema().apply(featuresColumn));
        ColumnKind lk = ColumnKind.of(data.schema().apply(labelColumn));
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
        Dataset<Row> selected = data.select(functions.col(featuresColumn), functions.col(labelColumn),
                functions.input_file_name());
        return new TrainingData(sc, (drop, max, classes) -> selected.javaRDD().mapPartitionsWithIndex(
                new SparkRowPacker(fk, lk, featuresColumn, labelColumn, featureDim, labelDim, drop, max, classes), true),
                "Dataset columns " + featuresColumn + ", " + labelColumn, featureDim, labelDim, false);
    }

    /**
     * Rows of a Dataset read as the named tensor inputs of a {@link BatchSpec}, for a trainer with a {@link TrainStep}
     * ({@link DataParallelTrainer#forStep}): every input's column must exist and be an ML vector, an array of numbers
     * or a number (a scalar column only for an input of one value per row). A row whose values do not fit the
     * declaration is malformed; its error names the row, the column, the input and what was expected (and the file,
     * when the Dataset reads files). {@link #featureDim()} is then the number of values per packed row and
     * {@link #labelDim()} 0.
     *
     * <pre>{@code
     * TrainingData data = TrainingData.fromColumns(df,
     *         new BatchSpec().floats("image", "pixels", 1, 8, 8).classes("label", "digit", 10));
     * }</pre>
     */
    public static TrainingData fromColumns(Dataset<Row> data, BatchSpec spec) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(spec, "spec");
        List<BatchSpec.Input> inputs = spec.inputs();
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("the BatchSpec declares no inputs; add them with floats, longs or classes");
        }
        List<String> available = Arrays.asList(data.schema().fieldNames());
        ColumnKind[] kinds = new ColumnKind[inputs.size()];
        org.apache.spark.sql.Column[] selected = new org.apache.spark.sql.Column[inputs.size() + 1];
        for (int i = 0; i < inputs.size(); i++) {
            BatchSpec.Input in = inputs.get(i);
            if (!available.contains(in.column())) {
                throw new TrainingException("input '" + in.name() + "' reads column '" + in.column()
                        + "', which the Dataset does not have; its columns are " + available);
            }
            kinds[i] = ColumnKind.of(data.schema().apply(in.column()));
            if (kinds[i] == ColumnKind.SCALAR && in.numel() != 1) {
                throw new TrainingException("input '" + in.name() + "' declares per-row shape " + Arrays.toString(in.shape())
                        + " (" + in.numel() + " values), but column '" + in.column() + "' holds one "
                        + data.schema().apply(in.column()).dataType().simpleString() + " per row");
            }
            selected[i] = functions.col(in.column());
        }
        selected[inputs.size()] = functions.input_file_name();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
        Dataset<Row> rows = data.select(selected);
        return new TrainingData(sc, (drop, max, classes) -> rows.javaRDD().mapPartitionsWithIndex(
                new ColumnPacker(spec, kinds, drop, max), true), "Dataset inputs " + spec.describe(), spec.width(false), 0,
                false, spec);
    }

    /**
     * Rows made on the executors: partition p of {@code partitions} asks the generator for global rows
     * {@code [floor(rows*p/partitions), floor(rows*(p+1)/partitions))}, with the given seed.
     */
    public static TrainingData synthetic(JavaSparkContext sc, RowGenerator generator, long rows, int partitions, long seed) {
        Objects.requireNonNull(generator, "generator");
        if (rows <= 0 || partitions <= 0) {
            throw new IllegalArgumentException("synthetic data needs rows > 0 and partitions > 0, got rows=" + rows
                    + ", partitions=" + partitions);
        }
        List<Integer> ids = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            ids.add(p);
        }
        return new TrainingData(sc, (drop, max, classes) -> sc.parallelize(ids, partitions).mapPartitionsWithIndex(
                new GeneratedBlocks(generator, rows, partitions, seed, max, classes), true), generator + ", " + rows + " rows",
                generator.featureDim(), generator.labelDim(), true);
    }

    /**
     * Whether malformed rows are counted and dropped (true) or stop packing with an error naming the row
     * (false, the default). Must be set before the data is packed; returns this.
     */
    public TrainingData dropMalformed(boolean drop) {
        checkNotPacked();
        if (drop && synthetic) {
            throw new IllegalArgumentException("generated rows are never dropped: a generator must make finite values");
        }
        this.dropMalformed = drop;
        return this;
    }

    /**
     * Declares the label a class index of {@code classes} classes: packing checks that each row's label (one value)
     * is an integer in [0, classes) and fails naming the row, or drops it with {@link #dropMalformed(boolean)}, so a
     * bad label is found before training instead of at the step that meets it. Must be set before packing.
     */
    public TrainingData classLabels(int classes) {
        checkNotPacked();
        if (columns != null) {
            throw new IllegalArgumentException("data from columns declares its class indices in the BatchSpec: "
                    + "classes(name, column, " + classes + ")");
        }
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be at least 1, got " + classes);
        }
        if (labelDim != 1) {
            throw new IllegalArgumentException("class labels are one value per row, but the rows have labelDim=" + labelDim);
        }
        this.classes = classes;
        return this;
    }

    /** Where the packed blocks are cached (MEMORY_AND_DISK by default). Must be set before packing; returns this. */
    public TrainingData storageLevel(StorageLevel level) {
        checkNotPacked();
        this.storageLevel = Objects.requireNonNull(level, "level");
        return this;
    }

    /** The most rows one block holds (tests use small blocks to split partitions). */
    TrainingData maxBlockRows(int rows) {
        checkNotPacked();
        if (rows <= 0 || rows > BlockBuilder.maxRowsPerBlock(featureDim, labelDim)) {
            throw new IllegalArgumentException("maxBlockRows must be in [1, " + BlockBuilder.maxRowsPerBlock(featureDim,
                    labelDim) + "], got " + rows);
        }
        this.maxBlockRows = rows;
        return this;
    }

    private void checkNotPacked() {
        if (packed != null) {
            throw new IllegalStateException("the data is packed already; set options before the first use");
        }
    }

    /** Features per row. */
    public int featureDim() {
        return featureDim;
    }

    /** Label values per row. */
    public int labelDim() {
        return labelDim;
    }

    /** The number of (well-formed) rows N; packs the data on first use. */
    public long rows() {
        return packed().rows();
    }

    /** How many malformed rows were dropped (0 unless {@link #dropMalformed(boolean)}); packs the data on first use. */
    public long droppedRows() {
        return packed().dropped();
    }

    /** The number of partitions of the packed data. */
    public int numPartitions() {
        return packed().blocks().getNumPartitions();
    }

    /** The inputs declared by {@link #fromColumns}, or null for the feature/label sources. */
    BatchSpec columns() {
        return columns;
    }

    /** What a row holds, for the run identity and logs. */
    String rowContent() {
        return columns != null ? "inputs " + columns.describe()
                : featureDim + " features and " + labelDim + " label value(s)";
    }

    /** The Spark context the data lives in. */
    JavaSparkContext sparkContext() {
        return sc;
    }

    /** Packs and caches the data once: blocks, per-partition counts, offsets. */
    synchronized Packed packed() {
        if (packed != null) {
            return packed;
        }
        JavaRDD<DataBlock> blocks = source.blocks(dropMalformed, maxBlockRows, classes).persist(storageLevel);
        String previous = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription("pack training data (" + description + ")");
        List<long[]> counts;
        try {
            counts = blocks.map(b -> new long[] {b.partition, b.rows, b.dropped, b.contentHash()}).collect();
        } catch (Exception e) {
            blocks.unpersist(false);
            throw TrainingException.unwrap(e, "packing the training data failed: ");
        } finally {
            sc.setJobDescription(previous);
        }
        int partitions = blocks.getNumPartitions();
        long[] perPartition = new long[partitions];
        long dropped = 0;
        long fingerprint = 0;
        for (long[] c : counts) {
            perPartition[(int) c[0]] += c[1];
            dropped += c[2];
            fingerprint += c[3];
        }
        long[] offsets = new long[partitions];
        long rows = 0;
        for (int p = 0; p < partitions; p++) {
            offsets[p] = rows;
            rows += perPartition[p];
        }
        if (dropped > 0) {
            LOG.warning("dropped " + dropped + " malformed row(s) of " + description + " (" + rows + " kept)");
        }
        LOG.info("packed " + rows + " rows (" + rowContent() + ") from " + description
                + " into " + partitions + " partitions, cached " + storageLevel.description());
        packed = new Packed(UUID.randomUUID().toString(), blocks, rows, dropped, sc.broadcast(offsets), fingerprint);
        return packed;
    }

    /** Unpersists the cached blocks and the offsets (the data packs again on next use). */
    @Override
    public synchronized void close() {
        if (packed != null) {
            packed.blocks().unpersist(false);
            packed.offsets().destroy();
            packed = null;
        }
    }

    @Override
    public String toString() {
        return "TrainingData(" + description + ", featureDim=" + featureDim + ", labelDim=" + labelDim + ")";
    }
}
