package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkgrad.spark.CheckpointFixtures.assertBitwiseEqual;
import static org.sparkgrad.spark.CheckpointFixtures.assertSameState;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.spark.CheckpointFixtures.LogCatcher;
import org.sparkgrad.spark.CheckpointFixtures.Run;

/**
 * Checkpoints and training data on HDFS: an in-process cluster (hadoop-client-minicluster: one NameNode,
 * one DataNode on 127.0.0.1), started and shut down by this class, reached only through {@code hdfs://}
 * URIs and Hadoop's FileSystem API (and Spark's CSV reader), as a job on a real cluster would.
 */
class CheckpointHdfsTest {
    private static final int ROWS = 64;

    @TempDir
    static Path base;

    private static MiniDFSCluster cluster;
    private static String hdfs;
    private static Configuration conf;

    @BeforeAll
    static void startHdfs() throws IOException {
        Configuration c = new Configuration();
        c.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
        c.set("dfs.namenode.http-address", "127.0.0.1:0");
        c.set("dfs.datanode.address", "127.0.0.1:0");
        c.set("dfs.datanode.http.address", "127.0.0.1:0");
        c.set("dfs.datanode.ipc.address", "127.0.0.1:0");
        c.setInt("dfs.replication", 1);
        cluster = new MiniDFSCluster.Builder(c, base.toFile()).numDataNodes(1).build();
        cluster.waitActive();
        hdfs = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
        conf = new Configuration(c);
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    private static FileSystem fs() throws IOException {
        return FileSystem.get(java.net.URI.create(hdfs), conf);
    }

    private static byte[] readAll(String uri) throws IOException {
        try (InputStream in = fs().open(new org.apache.hadoop.fs.Path(uri))) {
            return in.readAllBytes();
        }
    }

    /** Replaces a file's bytes (HDFS files can't be changed in place). */
    private static void overwrite(String uri, byte[] bytes) throws IOException {
        try (OutputStream out = fs().create(new org.apache.hadoop.fs.Path(uri), true)) {
            out.write(bytes);
        }
    }

    @Test
    void checkpointsAreWrittenToAndReadFromHdfs() throws IOException {
        String dir = hdfs + "/runs/a/checkpoints";
        CheckpointStore store = new CheckpointStore(dir, conf, 2);
        assertEquals(dir, store.directory());
        Run run = new Run(1);
        for (int i = 0; i < 3; i++) {
            run.steps(1);
            store.save(run.state());
        }
        assertEquals(List.of(dir + "/ckpt-000000002.safetensors", dir + "/ckpt-000000003.safetensors"), store.list());
        List<String> names = new ArrayList<>();
        for (FileStatus s : fs().listStatus(new org.apache.hadoop.fs.Path(dir))) {
            names.add(s.getPath().getName());
        }
        names.sort(null);
        assertEquals(List.of("ckpt-000000002.safetensors", "ckpt-000000003.safetensors"), names); // no temp files

        TrainingState loaded = new CheckpointStore(dir, conf).loadLatestValid().orElseThrow();
        assertSameState(run.state(), loaded);
    }

    @Test
    void damagedCheckpointsOnHdfsAreSkippedWithAWarning() throws IOException {
        String dir = hdfs + "/runs/b/checkpoints";
        CheckpointStore store = new CheckpointStore(dir, conf);
        Run run = new Run(2);
        List<TrainingState> saved = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            run.steps(1);
            saved.add(run.snapshot());
            store.save(saved.get(i));
        }
        String second = dir + "/ckpt-000000002.safetensors";
        String third = dir + "/ckpt-000000003.safetensors";
        byte[] b = readAll(third);
        b[b.length - 5] ^= 0x10;
        overwrite(third, b);
        byte[] c = readAll(second);
        overwrite(second, Arrays.copyOf(c, c.length - 7));
        overwrite(dir + "/.ckpt-000000004.safetensors.tmp-left-by-a-crash", Arrays.copyOf(c, 100));

        try (LogCatcher log = new LogCatcher()) {
            assertSameState(saved.get(0), store.loadLatestValid().orElseThrow());
            List<String> w = log.warnings();
            assertEquals(2, w.size(), w.toString());
            assertTrue(w.get(0).startsWith("skipping checkpoint " + third + ": checksum mismatch"), w.get(0));
            assertTrue(w.get(1).startsWith("skipping checkpoint " + second + ": invalid safetensors file " + second), w.get(1));
            assertTrue(w.get(1).endsWith("(truncated file?)"), w.get(1));
        }
    }

    @Test
    void onHdfsAnUnwritableDirectoryFailsTheProbeOrphansGoAndStartOverMovesCheckpointsAside() throws IOException {
        overwrite(hdfs + "/runs/probe/a-file", new byte[] {1});
        java.io.UncheckedIOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.UncheckedIOException.class,
                () -> new CheckpointStore(hdfs + "/runs/probe/a-file/ckpt", conf).probeWritable());
        assertTrue(e.getMessage().startsWith("the checkpoint directory " + hdfs + "/runs/probe/a-file/ckpt is not writable: "),
                e.getMessage());

        String dir = hdfs + "/runs/probe/checkpoints";
        CheckpointStore store = new CheckpointStore(dir, conf);
        store.probeWritable();
        assertEquals(List.of(), Arrays.asList(fs().listStatus(new org.apache.hadoop.fs.Path(dir))), "the probe file is gone");
        String orphan = dir + "/.ckpt-000000001.safetensors.tmp-crashed";
        overwrite(orphan, new byte[] {1, 2, 3});
        fs().setTimes(new org.apache.hadoop.fs.Path(orphan), System.currentTimeMillis() - 3_600_000, -1);
        Run run = new Run(3);
        store.save(run.steps(2).state());
        assertTrue(!fs().exists(new org.apache.hadoop.fs.Path(orphan)), "the orphan older than the new checkpoint is gone");

        byte[] saved = readAll(dir + "/ckpt-000000002.safetensors");
        String aside = store.setAside();
        assertTrue(aside.startsWith(dir + "/superseded-"), aside);
        assertEquals(List.of(), store.list());
        assertArrayEquals(saved, readAll(aside + "/ckpt-000000002.safetensors"));
    }

    /** Rows of y = 2 x1 - 3.4 x2 + 4.2 + noise, written as CSV with a header. */
    private static String writeTrainingCsv(String uri) throws IOException {
        Generator gen = new Generator(5);
        float[] x = Tensor.randn(gen, ROWS, 2).toFloatArray();
        float[] noise = Tensor.randn(gen, ROWS).toFloatArray();
        try (Writer w = new OutputStreamWriter(fs().create(new org.apache.hadoop.fs.Path(uri), true), StandardCharsets.UTF_8)) {
            w.write("x1,x2,y\n");
            for (int i = 0; i < ROWS; i++) {
                float y = 2f * x[2 * i] - 3.4f * x[2 * i + 1] + 4.2f + 0.01f * noise[i];
                w.write(x[2 * i] + "," + x[2 * i + 1] + "," + y + "\n");
            }
        }
        return uri;
    }

    /** Features [rows, 2] and targets [rows, 1] from the CSV, read through Hadoop's FileSystem API. */
    private static Tensor[] readTrainingCsv(String uri) throws IOException {
        List<float[]> rows = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs().open(new org.apache.hadoop.fs.Path(uri)),
                StandardCharsets.UTF_8))) {
            assertEquals("x1,x2,y", r.readLine());
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] f = line.split(",");
                rows.add(new float[] {Float.parseFloat(f[0]), Float.parseFloat(f[1]), Float.parseFloat(f[2])});
            }
        }
        float[] x = new float[rows.size() * 2];
        float[] y = new float[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            x[2 * i] = rows.get(i)[0];
            x[2 * i + 1] = rows.get(i)[1];
            y[i] = rows.get(i)[2];
        }
        return new Tensor[] {Tensor.tensor(x, rows.size(), 2), Tensor.tensor(y, rows.size(), 1)};
    }

    /** Linear regression by full-batch SGD, checkpointing to HDFS every 4 steps. */
    private static final class Regression {
        final Linear model;
        final SGD optimizer;
        final List<Double> losses = new ArrayList<>();
        long step;

        Regression(long seed) {
            model = new Linear(2, 1, true, new Generator(seed));
            optimizer = new SGD(model.namedParameters(), 0.1, 0.5);
        }

        void train(Tensor[] data, long untilStep, CheckpointStore store) {
            MSELoss loss = new MSELoss();
            while (step < untilStep) {
                optimizer.zeroGrad();
                Tensor l = loss.forward(model.forward(data[0]), data[1]);
                l.backward();
                optimizer.step();
                losses.add(l.item());
                step++;
                if (store != null && step % 4 == 0) {
                    store.save(new TrainingState(step, 0, 5, model.stateDict(), optimizer.stateDict(), losses));
                }
            }
        }
    }

    @Test
    void trainingDataFromHdfsAndAResumeFromAnHdfsCheckpointEndLikeAnUninterruptedRun() throws IOException {
        Tensor[] data = readTrainingCsv(writeTrainingCsv(hdfs + "/data/train.csv"));
        assertEquals(ROWS, data[0].shape()[0]);

        Regression uninterrupted = new Regression(11);
        uninterrupted.train(data, 30, null);

        CheckpointStore store = new CheckpointStore(hdfs + "/runs/c/checkpoints", conf);
        Regression crashed = new Regression(11);
        crashed.train(data, 14, store); // checkpoints at 4, 8, 12; "dies" after step 14

        Regression resumed = new Regression(999);
        TrainingState s = store.loadLatestValid().orElseThrow();
        assertEquals(12, s.step());
        resumed.model.loadStateDict(s.parameters());
        resumed.optimizer.loadStateDict(s.optimizer());
        resumed.losses.addAll(s.lossHistory());
        resumed.step = s.step();
        resumed.train(data, 30, store);

        assertBitwiseEqual(uninterrupted.model.stateDict(), resumed.model.stateDict(), "final parameter");
        assertEquals(uninterrupted.losses, resumed.losses);
        assertEquals(List.of(hdfs + "/runs/c/checkpoints/ckpt-000000020.safetensors",
                hdfs + "/runs/c/checkpoints/ckpt-000000024.safetensors",
                hdfs + "/runs/c/checkpoints/ckpt-000000028.safetensors"), store.list());
        float[] w = resumed.model.weight().toFloatArray();
        assertEquals(2.0, w[0], 0.05);
        assertEquals(-3.4, w[1], 0.05);
        assertEquals(4.2, resumed.model.bias().toFloatArray()[0], 0.05);
    }

    @Test
    void sparksCsvReaderReadsTheTrainingRowsFromHdfs() throws IOException {
        String uri = writeTrainingCsv(hdfs + "/data/spark.csv");
        Tensor[] expected = readTrainingCsv(uri);
        SparkSession spark = SparkSession.builder().master("local[1]").appName("hdfs-csv")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "1")
                .config("spark.sql.warehouse.dir", base.resolve("warehouse").toUri().toString())
                .getOrCreate();
        try {
            Dataset<Row> rows = spark.read().option("header", "true").schema("x1 FLOAT, x2 FLOAT, y FLOAT").csv(uri);
            List<Row> all = rows.collectAsList();
            assertEquals(ROWS, all.size());
            float[] x = new float[2 * ROWS];
            float[] y = new float[ROWS];
            for (int i = 0; i < ROWS; i++) {
                x[2 * i] = all.get(i).getFloat(0);
                x[2 * i + 1] = all.get(i).getFloat(1);
                y[i] = all.get(i).getFloat(2);
            }
            assertArrayEquals(expected[0].toFloatArray(), x);
            assertArrayEquals(expected[1].toFloatArray(), y);
        } finally {
            spark.stop();
        }
    }

    /**
     * The Spark trainer end to end on HDFS: training rows read with Spark's CSV reader from hdfs://,
     * checkpoints written to hdfs://, a run stopped after 6 steps and resumed from its HDFS checkpoint ends
     * with the parameters of an uninterrupted run.
     */
    @Test
    void theSparkTrainerReadsRowsAndWritesCheckpointsOnHdfs() throws IOException {
        String uri = writeTrainingCsv(hdfs + "/data/trainer.csv");
        String ckpt = hdfs + "/ckpt/trainer";
        SparkSession spark = SparkTestSupport.session("local[2]");
        try {
            Dataset<Row> rows = spark.read().option("header", "true").schema("x1 FLOAT, x2 FLOAT, y FLOAT").csv(uri)
                    .repartition(2)
                    .select(org.apache.spark.sql.functions.array(org.apache.spark.sql.functions.col("x1"),
                            org.apache.spark.sql.functions.col("x2")).alias("features"),
                            org.apache.spark.sql.functions.col("y").alias("label"));
            SerializableSupplier<org.sparkgrad.engine.nn.Module> model =
                    () -> new org.sparkgrad.engine.nn.Sequential(new Linear(2, 1, true, new Generator(5)));
            SerializableSupplier<org.sparkgrad.engine.nn.Loss> loss =
                    () -> new MSELoss(org.sparkgrad.engine.nn.Reduction.SUM);
            SerializableFunction<java.util.Map<String, org.sparkgrad.engine.nn.Parameter>,
                    org.sparkgrad.engine.optim.Optimizer> sgd = p -> new SGD(p, 0.03);
            try (TrainingData data = TrainingData.fromDataset(rows, "features", "label")) {
                TrainingResult whole = new DataParallelTrainer(model, loss, sgd).batchSize(8).epochs(2).seed(3).fit(data);
                TrainingResult first = new DataParallelTrainer(model, loss, sgd).batchSize(8).steps(6).seed(3)
                        .checkpoint(ckpt, 3).fit(data);
                assertEquals(6, first.steps());
                assertTrue(new CheckpointStore(ckpt, conf).list().stream().allMatch(p -> p.startsWith(hdfs)),
                        "checkpoints are on HDFS");
                TrainingResult resumed = new DataParallelTrainer(model, loss, sgd).batchSize(8).epochs(2).seed(3)
                        .checkpoint(ckpt, 3).resume(true).fit(data);
                assertEquals(6, resumed.resumedFromStep());
                assertEquals(whole.steps(), resumed.steps());
                for (String name : List.of("0.weight", "0.bias")) {
                    assertArrayEquals(whole.parameter(name).toFloatArray(), resumed.parameter(name).toFloatArray(), name);
                }
            }
        } finally {
            spark.stop();
        }
    }
}
