package org.sparkgrad.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Registers with Kryo every class the trainer sends over the wire or caches serialized: packed blocks,
 * gradient sums, collected batch rows and the arrays inside them (blocks and gradient sums are written as
 * raw float arrays), and the Spark SQL and ML classes that Spark's own KryoSerializer leaves unregistered, so
 * ordinary DataFrame reads and ML pipelines keep working in the same application. When a class nobody
 * registered still turns up, {@link #explain(Throwable)} turns Kryo's error into one naming the setting to change. Use it with {@code spark.kryo.registrationRequired=true}:
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
        // Spark SQL and ML classes that Spark's KryoSerializer leaves to users, each group registered only when its
        // jar is on the class path (all of a group or none, and the groups in a fixed order, so the driver and
        // the executors give every class the same id).
        for (String[] group : OPTIONAL_GROUPS) {
            register(kryo, group);
        }
        for (Class<?> c : classes(JAVA_SERIALIZED)) {
            kryo.register(c, new JavaSerializer());
        }
    }

    /**
     * By group: Spark SQL's (a CSV read with inferSchema ships DataType[], JSON and Parquet schemas ship
     * NullType, ArrayType and Metadata[]), MLlib's aggregations (e.g. MultilayerPerceptronClassifier ships
     * breeze vectors) and ML's vector and matrix column types (a Parquet file with a Vector column ships its
     * VectorUDT), and Hadoop's Path[] (a table of more folders than
     * spark.sql.sources.parallelPartitionDiscovery.threshold is listed by a Spark job). Found by running Spark's readers, writers and ML transformers under registrationRequired
     * (the jobs' SparkSqlUnderKryoTest).
     */
    private static final String[][] OPTIONAL_GROUPS = {
        {"[Lorg.apache.spark.sql.types.DataType;", "[Lorg.apache.spark.sql.types.Metadata;",
            "org.apache.spark.sql.types.NullType$", "org.apache.spark.sql.types.ArrayType"},
        {"breeze.linalg.DenseVector", "breeze.linalg.DenseVector$mcD$sp", "breeze.linalg.DenseMatrix",
            "breeze.linalg.DenseMatrix$mcD$sp"},
        {"org.apache.spark.ml.linalg.VectorUDT",
            "org.apache.spark.ml.linalg.MatrixUDT", "org.apache.spark.mllib.linalg.VectorUDT",
            "org.apache.spark.mllib.linalg.MatrixUDT"},
        {"[Lorg.apache.hadoop.fs.Path;", "[Lorg.apache.hadoop.fs.FileStatus;",
            "[Lorg.apache.hadoop.fs.LocatedFileStatus;", "[Lorg.apache.hadoop.fs.BlockLocation;"},
    };

    /**
     * Hadoop's file-listing classes (elements of the arrays above), which are java.io.Serializable but hold
     * URIs, permissions and block locations that Kryo's field serializer would each need registered.
     */
    private static final String[] JAVA_SERIALIZED = {"org.apache.hadoop.fs.Path", "org.apache.hadoop.fs.FileStatus",
        "org.apache.hadoop.fs.LocatedFileStatus", "org.apache.hadoop.fs.BlockLocation"};

    /** Registers the group's classes, or none of them when its first is not on the class path. */
    private static void register(Kryo kryo, String[] group) {
        for (Class<?> c : classes(group)) {
            kryo.register(c);
        }
    }

    /** The group's classes, or none of them when its first is not on the class path. */
    private static Class<?>[] classes(String[] group) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Class<?>[] classes = new Class<?>[group.length];
        for (int i = 0; i < group.length; i++) {
            try {
                classes[i] = Class.forName(group[i], false, loader);
            } catch (ClassNotFoundException e) {
                if (i == 0) {
                    return new Class<?>[0]; // the group's jar is absent here, so nothing of it crosses the wire
                }
                throw new IllegalStateException("Kryo registration: " + group[i] + " is missing although " + group[0]
                        + " is present (a mix of Spark versions on the class path?)", e);
            }
        }
        return classes;
    }

    /** What Kryo says when registrationRequired meets a class no registrator registered. */
    private static final String UNREGISTERED = "Class is not registered: ";

    /**
     * The failure t with the remedy spelled out when it comes from Kryo's registrationRequired meeting an
     * unregistered class (anywhere in its cause chain): which class, and the two settings that fix it
     * ({@code spark.kryo.classesToRegister}, or {@code spark.kryo.registrationRequired=false}); t itself
     * otherwise (wrapped when it is a checked exception).
     */
    public static RuntimeException explain(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            int at = m == null ? -1 : m.indexOf(UNREGISTERED);
            if (at >= 0) {
                String rest = m.substring(at + UNREGISTERED.length());
                String name = rest.split("[\\s]", 2)[0];
                return new IllegalStateException("Kryo could not serialize " + name + ": spark.kryo.registrationRequired"
                        + " is true and " + name + " is not registered. Register it with spark.kryo.classesToRegister="
                        + name + " (comma-separated, next to spark.kryo.registrator " + SparkgradKryoRegistrator.class.getName()
                        + " in conf/spark-defaults.conf or --conf), or set spark.kryo.registrationRequired=false", t);
            }
        }
        return t instanceof RuntimeException r ? r : new IllegalStateException(t.getMessage(), t);
    }

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

    /** Writes collected rows as a count, two raw float arrays and their global row indices. */
    static final class BatchRowsSerializer extends Serializer<BatchRows> {
        @Override
        public void write(Kryo kryo, Output out, BatchRows b) {
            out.writeInt(b.rows);
            out.writeInt(b.features.length);
            out.writeInt(b.labels.length);
            out.writeFloats(b.features);
            out.writeFloats(b.labels);
            out.writeLongs(b.keys);
        }

        @Override
        public BatchRows read(Kryo kryo, Input in, Class<BatchRows> type) {
            int rows = in.readInt();
            int nf = in.readInt();
            int nl = in.readInt();
            return new BatchRows(rows, in.readFloats(nf), in.readFloats(nl), in.readLongs(rows));
        }
    }
}
