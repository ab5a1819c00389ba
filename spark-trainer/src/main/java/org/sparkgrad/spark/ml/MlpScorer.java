package org.sparkgrad.spark.ml;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.spark.TrainingException;

/**
 * Scores one partition on an executor: decodes the broadcast model file once, runs the network over batches of rows
 * and appends the head's columns to each row. A row whose features are null, of another size than the model's
 * input, or not finite fails the task with the partition, the row and the column.
 */
final class MlpScorer implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private static final int BATCH = 512;

    private final Broadcast<byte[]> model;
    private final int featuresIndex;
    private final String featuresCol;
    private final MlpHead head;

    MlpScorer(Broadcast<byte[]> model, int featuresIndex, String featuresCol, MlpHead head) {
        this.model = model;
        this.featuresIndex = featuresIndex;
        this.featuresCol = featuresCol;
        this.head = head;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        MlpModelContent content = MlpModelContent.fromBytes(model.value(), "the broadcast model");
        Module net = content.module();
        int inputs = content.architecture().inputs();
        int partition = TaskContext.get() == null ? 0 : TaskContext.getPartitionId();
        return new Iterator<>() {
            private final ArrayDeque<Row> ready = new ArrayDeque<>();
            private long seen;

            @Override
            public boolean hasNext() {
                if (ready.isEmpty() && rows.hasNext()) {
                    scoreBatch();
                }
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.poll();
            }

            private void scoreBatch() {
                List<Row> batch = new ArrayList<>(BATCH);
                float[] x = new float[BATCH * inputs];
                while (batch.size() < BATCH && rows.hasNext()) {
                    Row r = rows.next();
                    read(r, x, batch.size() * inputs, seen++);
                    batch.add(r);
                }
                int n = batch.size();
                float[] out;
                int width;
                try (GradMode.Scope g = GradMode.noGrad()) {
                    Tensor y = head.finish(net.forward(Tensor.tensor(java.util.Arrays.copyOf(x, n * inputs), n, inputs)));
                    width = y.shape()[1];
                    out = y.toFloatArray();
                }
                for (int i = 0; i < n; i++) {
                    Row r = batch.get(i);
                    Object[] extra = head.values(out, i * width, width);
                    Object[] values = new Object[r.size() + extra.length];
                    for (int j = 0; j < r.size(); j++) {
                        values[j] = r.get(j);
                    }
                    System.arraycopy(extra, 0, values, r.size(), extra.length);
                    ready.add(RowFactory.create(values));
                }
            }

            private void read(Row r, float[] x, int at, long index) {
                if (r.isNullAt(featuresIndex)) {
                    throw bad(index, "is null");
                }
                Vector v = r.getAs(featuresIndex);
                if (v.size() != inputs) {
                    throw bad(index, "has " + v.size() + " values, the model takes " + inputs);
                }
                for (int j = 0; j < inputs; j++) {
                    double d = v.apply(j);
                    if (!Double.isFinite(d)) {
                        throw bad(index, "has " + d + " at index " + j + " (drop or impute such rows first)");
                    }
                    x[at + j] = (float) d;
                }
            }

            private TrainingException bad(long index, String what) {
                return new TrainingException("row " + (index + 1) + " of partition " + partition + ": features column '"
                        + featuresCol + "' " + what);
            }
        };
    }
}
