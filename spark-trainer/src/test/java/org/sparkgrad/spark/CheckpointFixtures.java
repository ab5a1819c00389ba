package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.nn.Tanh;
import org.sparkgrad.engine.optim.Adam;
import org.sparkgrad.engine.optim.Optimizer;
import org.sparkgrad.engine.optim.OptimizerState;

/** Shared by the checkpoint tests: a small seeded training run, bitwise comparisons, and a log catcher. */
final class CheckpointFixtures {
    private CheckpointFixtures() {
    }

    /** A 3-4-2 tanh MLP with Adam, trained on fixed random data; the same seed gives the same run. */
    static final class Run {
        final Module model;
        final Optimizer optimizer;
        final List<Double> losses = new ArrayList<>();
        private final Tensor x;
        private final Tensor y;
        long step;

        Run(long seed) {
            Generator gen = new Generator(seed);
            model = new Sequential(new Linear(3, 4, true, gen), new Tanh(), new Linear(4, 2, true, gen));
            optimizer = new Adam(model.namedParameters(), 0.01);
            Generator data = new Generator(7);
            x = Tensor.randn(data, 16, 3);
            y = Tensor.randn(data, 16, 2);
        }

        Run steps(int n) {
            MSELoss loss = new MSELoss();
            for (int i = 0; i < n; i++) {
                optimizer.zeroGrad();
                Tensor l = loss.forward(model.forward(x), y);
                l.backward();
                optimizer.step();
                losses.add(l.item());
                step++;
            }
            return this;
        }

        TrainingState state() {
            return new TrainingState(step, step / 4, 42, model.stateDict(), optimizer.stateDict(), losses);
        }

        /** The state with every tensor copied, so later steps don't change it. */
        TrainingState snapshot() {
            TrainingState s = state();
            Map<String, Tensor> params = new LinkedHashMap<>();
            s.parameters().forEach((k, v) -> params.put(k, v.clone()));
            Map<String, Tensor> buffers = new LinkedHashMap<>();
            s.optimizer().tensors().forEach((k, v) -> buffers.put(k, v.clone()));
            OptimizerState o = new OptimizerState(s.optimizer().params(), s.optimizer().hyper(), buffers);
            return new TrainingState(s.step(), s.epoch(), s.dataSeed(), params, o, s.lossHistory());
        }

        /** Takes over a loaded state: parameters, optimizer state, step and losses. */
        void restore(TrainingState s) {
            model.loadStateDict(s.parameters());
            optimizer.loadStateDict(s.optimizer());
            losses.clear();
            losses.addAll(s.lossHistory());
            step = s.step();
        }
    }

    static void assertBitwiseEqual(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.dtype(), actual.dtype(), what);
        assertArrayEquals(expected.shape(), actual.shape(), what);
        if (expected.dtype() == DType.FLOAT32) {
            float[] a = expected.toFloatArray();
            float[] b = actual.toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), what + "[" + i + "]");
            }
        } else {
            double[] a = expected.toArray();
            double[] b = actual.toArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(Double.doubleToRawLongBits(a[i]), Double.doubleToRawLongBits(b[i]), what + "[" + i + "]");
            }
        }
    }

    static void assertBitwiseEqual(Map<String, Tensor> expected, Map<String, Tensor> actual, String what) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()), what + " names");
        for (String k : expected.keySet()) {
            assertBitwiseEqual(expected.get(k), actual.get(k), what + " " + k);
        }
    }

    /** Every field equal, tensors and losses bit for bit, maps in the same order. */
    static void assertSameState(TrainingState expected, TrainingState actual) {
        assertEquals(expected.step(), actual.step(), "step");
        assertEquals(expected.epoch(), actual.epoch(), "epoch");
        assertEquals(expected.dataSeed(), actual.dataSeed(), "dataSeed");
        assertBitwiseEqual(expected.parameters(), actual.parameters(), "parameter");
        OptimizerState a = expected.optimizer();
        OptimizerState b = actual.optimizer();
        assertEquals(a.params(), b.params(), "optimizer params");
        assertEquals(List.copyOf(a.hyper().entrySet()), List.copyOf(b.hyper().entrySet()), "optimizer hyper");
        assertBitwiseEqual(a.tensors(), b.tensors(), "optimizer tensor");
        assertEquals(expected.lossHistory().size(), actual.lossHistory().size(), "loss history length");
        for (int i = 0; i < expected.lossHistory().size(); i++) {
            assertEquals(Double.doubleToRawLongBits(expected.lossHistory().get(i)),
                    Double.doubleToRawLongBits(actual.lossHistory().get(i)), "loss " + i);
        }
    }

    /** Collects CheckpointStore's (or another class's) log records while open. */
    static final class LogCatcher extends Handler implements AutoCloseable {
        private final Logger logger;
        final List<LogRecord> records = new ArrayList<>();

        LogCatcher() {
            this(CheckpointStore.class);
        }

        LogCatcher(Class<?> loggerOf) {
            logger = Logger.getLogger(loggerOf.getName());
            logger.addHandler(this);
        }

        List<String> warnings() {
            List<String> out = new ArrayList<>();
            for (LogRecord r : records) {
                if (r.getLevel() == Level.WARNING) {
                    out.add(r.getMessage());
                }
            }
            return out;
        }

        @Override
        public synchronized void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }
}
