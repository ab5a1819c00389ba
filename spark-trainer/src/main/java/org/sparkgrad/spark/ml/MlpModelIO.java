package org.sparkgrad.spark.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.SparkSession;
import scala.Option;

/**
 * Saves and loads MLP models on any Hadoop file system, as Spark ML lays out a model folder: {@code metadata/} (the
 * class, uid and params, what Pipeline and PipelineModel read) and {@code model.safetensors} (the weights, with the
 * architecture, feature names and classes in its header metadata: {@link MlpModelContent}).
 */
final class MlpModelIO {
    /** The weights file's name inside a model folder. */
    static final String WEIGHTS = "model.safetensors";

    private MlpModelIO() {
    }

    /** How a reader makes its model class from a uid and the file's content. */
    interface Factory<M> {
        M create(String uid, MlpModelContent content);
    }

    /** Writes a model folder. */
    static final class Writer extends MLWriter {
        private final MlpModel<?> model;

        Writer(MlpModel<?> model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter.saveMetadata(model, path, sparkSession());
            Path file = new Path(path, WEIGHTS);
            try {
                FileSystem fs = file.getFileSystem(sparkSession().sparkContext().hadoopConfiguration());
                try (FSDataOutputStream out = fs.create(file, false)) {
                    out.write(model.content().toBytes());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not write the model weights to " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** Reads a model folder written by {@link Writer}. */
    static final class Reader<M extends MlpModel<M>> extends MLReader<M> {
        private final Class<M> type;
        private final Factory<M> factory;

        Reader(Class<M> type, Factory<M> factory) {
            this.type = type;
            this.factory = factory;
        }

        @Override
        public M load(String path) {
            DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, sparkSession(), type.getName());
            M model = factory.create(metadata.uid(), read(sparkSession(), new Path(path, WEIGHTS)));
            metadata.getAndSetParams(model, Option.empty());
            return model;
        }
    }

    /** Reads a model's weights file. */
    static MlpModelContent read(SparkSession spark, Path file) {
        try {
            FileSystem fs = file.getFileSystem(spark.sparkContext().hadoopConfiguration());
            long length = fs.getFileStatus(file).getLen();
            try (FSDataInputStream in = fs.open(file)) {
                return MlpModelContent.read(in, length, file.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the model weights " + file + ": " + e.getMessage(), e);
        }
    }
}
