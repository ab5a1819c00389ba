package org.sparkgrad.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Registers with Kryo every class the trainer sends over the wire or caches serialized: packed blocks,
 * gradient sums, collected batch rows and the arrays inside them. Blocks and gradient sums are written as
 * raw float arrays. Use it with {@code spark.kryo.registrationRequired=true}:
 *
 * <pre>
 * spark.serializer                   org.apache.spark.serializer.KryoSerializer
 * spark.kryo.registrator             org.sparkgrad.spark.SparkgradKryoRegistrator
 * spark.kryo.registrationRequired    true
 * </pre>
 * or {@link #configure(SparkConf)}.
 */
public final class SparkgradKryoRegistrator implements KryoRegistrator {
    /** Creates the registrator (Spark instantiates it by name). */
    public SparkgradKryoRegistrator() {
    }

    /** Sets the three Kryo settings above on conf; returns conf. */
    public static SparkConf configure(SparkConf conf) {
        return conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .set("spark.kryo.registrator", SparkgradKryoRegistrator.class.getName())
                .set("spark.kryo.registrationRequired", "true");
    }

    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(DataBlock.class, new DataBlockSerializer());
        kryo.register(GradientSum.class, new GradientSumSerializer());
        kryo.register(BatchRows.class, new BatchRowsSerializer());
        kryo.register(float[].class);
        kryo.register(double[].class);
        kryo.register(long[].class);
        kryo.register(int[].class);
        kryo.register(long[][].class);
        kryo.register(Object[].class);
        kryo.register(Integer.class);
        kryo.register(Long.class);
        // MLlib's own aggregations (e.g. MultilayerPerceptronClassifier) ship breeze vectors through Kryo; with
        // registrationRequired they fail unless registered. Registered only when MLlib is on the class path.
        for (String name : MLLIB_CLASSES) {
            try {
                kryo.register(Class.forName(name, false, Thread.currentThread().getContextClassLoader()));
            } catch (ClassNotFoundException e) {
                return; // no MLlib (breeze) here: nothing of it crosses the wire
            }
        }
    }

    private static final String[] MLLIB_CLASSES = {"breeze.linalg.DenseVector", "breeze.linalg.DenseVector$mcD$sp",
        "breeze.linalg.DenseMatrix", "breeze.linalg.DenseMatrix$mcD$sp"};

    /** Writes a block as its header and two raw float arrays. */
    static final class DataBlockSerializer extends Serializer<DataBlock> {
        @Override
        public void write(Kryo kryo, Output out, DataBlock b) {
            out.writeInt(b.partition);
            out.writeLong(b.firstRow);
            out.writeInt(b.rows);
            out.writeInt(b.featureDim);
            out.writeInt(b.labelDim);
            out.writeLong(b.dropped);
            out.writeFloats(b.features);
            out.writeFloats(b.labels);
        }

        @Override
        public DataBlock read(Kryo kryo, Input in, Class<DataBlock> type) {
            int partition = in.readInt();
            long firstRow = in.readLong();
            int rows = in.readInt();
            int fd = in.readInt();
            int ld = in.readInt();
            long dropped = in.readLong();
            float[] features = in.readFloats(rows * fd);
            float[] labels = in.readFloats(rows * ld);
            return new DataBlock(partition, firstRow, rows, fd, ld, features, labels, dropped);
        }
    }

    /** Writes a gradient sum as loss, count and (when allocated) the raw float gradient. */
    static final class GradientSumSerializer extends Serializer<GradientSum> {
        @Override
        public void write(Kryo kryo, Output out, GradientSum s) {
            out.writeDouble(s.loss);
            out.writeLong(s.count);
            out.writeString(s.devices);
            out.writeInt(s.grad == null ? -1 : s.grad.length);
            if (s.grad != null) {
                out.writeFloats(s.grad);
            }
        }

        @Override
        public GradientSum read(Kryo kryo, Input in, Class<GradientSum> type) {
            GradientSum s = new GradientSum();
            s.loss = in.readDouble();
            s.count = in.readLong();
            s.devices = in.readString();
            int n = in.readInt();
            if (n >= 0) {
                s.grad = in.readFloats(n);
            }
            return s;
        }
    }

    /** Writes collected rows as a count and two raw float arrays. */
    static final class BatchRowsSerializer extends Serializer<BatchRows> {
        @Override
        public void write(Kryo kryo, Output out, BatchRows b) {
            out.writeInt(b.rows);
            out.writeInt(b.features.length);
            out.writeInt(b.labels.length);
            out.writeFloats(b.features);
            out.writeFloats(b.labels);
        }

        @Override
        public BatchRows read(Kryo kryo, Input in, Class<BatchRows> type) {
            int rows = in.readInt();
            int nf = in.readInt();
            int nl = in.readInt();
            return new BatchRows(rows, in.readFloats(nf), in.readFloats(nl));
        }
    }
}
