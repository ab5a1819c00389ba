package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.List;

/**
 * Packs the rows of one partition, as they come, into {@link DataBlock}s: rows go into fixed-size chunks
 * (so nothing is copied as the count grows), and a block is assembled from its chunks once it is full or
 * the partition ends. Peak memory is about twice the block being assembled.
 */
final class BlockBuilder {
    private static final int CHUNK_ROWS = 4096;

    private final int partition;
    private final int featureDim;
    private final int labelDim;
    private final int maxBlockRows;
    private final List<DataBlock> blocks = new ArrayList<>();
    private final List<float[]> featureChunks = new ArrayList<>();
    private final List<float[]> labelChunks = new ArrayList<>();
    private int rowsInBlock;
    private int rowsInChunk = CHUNK_ROWS;
    private long firstRow;
    private long dropped;

    BlockBuilder(int partition, int featureDim, int labelDim, int maxBlockRows) {
        this.partition = partition;
        this.featureDim = featureDim;
        this.labelDim = labelDim;
        this.maxBlockRows = maxBlockRows;
    }

    /** The most rows one block can hold: float arrays are indexed by int. */
    static int maxRowsPerBlock(int featureDim, int labelDim) {
        return (Integer.MAX_VALUE - 16) / Math.max(1, Math.max(featureDim, labelDim));
    }

    /** Appends a row (featureDim features, labelDim labels are read from the arrays). */
    void add(float[] features, float[] labels) {
        if (rowsInChunk == CHUNK_ROWS) {
            featureChunks.add(new float[CHUNK_ROWS * featureDim]);
            labelChunks.add(new float[CHUNK_ROWS * labelDim]);
            rowsInChunk = 0;
        }
        System.arraycopy(features, 0, featureChunks.get(featureChunks.size() - 1), rowsInChunk * featureDim, featureDim);
        System.arraycopy(labels, 0, labelChunks.get(labelChunks.size() - 1), rowsInChunk * labelDim, labelDim);
        rowsInChunk++;
        rowsInBlock++;
        if (rowsInBlock == maxBlockRows) {
            flush();
        }
    }

    /** Counts a malformed row that was dropped. */
    void drop() {
        dropped++;
    }

    /** Rows packed so far (all blocks). */
    long rows() {
        return firstRow + rowsInBlock;
    }

    /** Bytes of floats packed so far, for error messages. */
    long bytes() {
        return rows() * (featureDim + labelDim) * 4L;
    }

    /** The partition's blocks; an empty partition gives one empty block (which carries the drop count). */
    List<DataBlock> finish() {
        if (rowsInBlock > 0 || blocks.isEmpty()) {
            flush();
        }
        return blocks;
    }

    private void flush() {
        float[] f = new float[rowsInBlock * featureDim];
        float[] l = new float[rowsInBlock * labelDim];
        int done = 0;
        for (int c = 0; c < featureChunks.size(); c++) {
            int n = Math.min(CHUNK_ROWS, rowsInBlock - done);
            System.arraycopy(featureChunks.get(c), 0, f, done * featureDim, n * featureDim);
            System.arraycopy(labelChunks.get(c), 0, l, done * labelDim, n * labelDim);
            done += n;
        }
        blocks.add(new DataBlock(partition, firstRow, rowsInBlock, featureDim, labelDim, f, l, dropped));
        featureChunks.clear();
        labelChunks.clear();
        firstRow += rowsInBlock;
        rowsInBlock = 0;
        rowsInChunk = CHUNK_ROWS;
        dropped = 0;
    }
}
