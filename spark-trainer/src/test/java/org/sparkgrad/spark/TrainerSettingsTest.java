package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.optim.LRScheduler;
import org.sparkgrad.engine.optim.Optimizer;
import org.sparkgrad.engine.optim.SGD;
import org.sparkgrad.engine.optim.StepLR;

/** What fit freezes: the builder's values at the time, unaffected by later calls (no Spark needed). */
class TrainerSettingsTest {
    private final SerializableSupplier<Module> model = () -> new Sequential(new Linear(2, 1, true, new Generator(0)));
    private final SerializableSupplier<Loss> loss = () -> new MSELoss(Reduction.SUM);
    private final SerializableFunction<Map<String, Parameter>, Optimizer> sgd = p -> new SGD(p, 0.1);

    @Test
    void defaultsAreTheDocumentedOnes() {
        TrainerSettings s = new DataParallelTrainer(model, loss, sgd).batchSize(8).settings();
        assertSame(model, s.modelFactory());
        assertSame(loss, s.lossFactory());
        assertSame(sgd, s.optimizerFactory());
        assertNull(s.schedulerFactory());
        assertFalse(s.schedulerPerStep());
        assertEquals(8, s.batchSize());
        assertEquals(1, s.epochs());
        assertEquals(0, s.steps());
        assertEquals(0, s.seed());
        assertFalse(s.dropLast());
        assertEquals(1024, s.microBatchSize());
        assertEquals(2, s.treeDepth());
        assertNull(s.checkpointDir());
        assertFalse(s.resume());
        assertEquals(Set.of(), s.verifySteps());
        assertEquals(1e-4, s.gradientTolerance());
        assertEquals(10, s.logEvery());
        assertFalse(s.classLabels());
        assertNull(s.listener());
        assertSame(DeviceChoice.AUTO, s.device());
        assertSame(StepMode.AUTO, s.stepMode());
        assertEquals(60_000, s.stepTimeoutMillis());
        assertEquals(4_194_304, s.shardAbove());
    }

    @Test
    void settingsKeepTheValuesOfTheirTimeWhileTheBuilderChanges() {
        SerializableFunction<Optimizer, LRScheduler> stepLr = o -> new StepLR(o, 2);
        StepListener listener = (step, epoch, l, m) -> { };
        DataParallelTrainer trainer = new DataParallelTrainer(model, loss, sgd).batchSize(16).epochs(3).steps(7).seed(-5)
                .dropLast(true).microBatchSize(4).treeDepth(3).scheduler(stepLr).schedulerPerStep(true)
                .checkpoint("file:///tmp/ckpt", 5).resume(true).verifyGradients(2, 4).gradientTolerance(1e-3).logEvery(0)
                .classLabels(true).listener(listener).device("cpu").stepMode("jobs").stepTimeout(java.time.Duration.ofSeconds(5)).shardAbove(1000);
        TrainerSettings s = trainer.settings();

        trainer.batchSize(1).epochs(9).steps(0).seed(1).dropLast(false).microBatchSize(1024).treeDepth(1).scheduler(null)
                .schedulerPerStep(false).checkpoint("file:///elsewhere", 1).resume(false).verifyGradients(1)
                .gradientTolerance(0.5).logEvery(3).classLabels(false).listener(null).device("auto").stepMode("barrier")
                .stepTimeout(java.time.Duration.ofMillis(1));

        assertEquals(16, s.batchSize());
        assertEquals(3, s.epochs());
        assertEquals(7, s.steps());
        assertEquals(-5, s.seed());
        assertTrue(s.dropLast());
        assertEquals(4, s.microBatchSize());
        assertEquals(3, s.treeDepth());
        assertSame(stepLr, s.schedulerFactory());
        assertTrue(s.schedulerPerStep());
        assertEquals("file:///tmp/ckpt", s.checkpointDir());
        assertEquals(5, s.checkpointEvery());
        assertTrue(s.resume());
        assertEquals(Set.of(2L, 4L), s.verifySteps());
        assertEquals(1e-3, s.gradientTolerance());
        assertEquals(0, s.logEvery());
        assertTrue(s.classLabels());
        assertSame(listener, s.listener());
        assertEquals("cpu", s.device().toString());
        assertSame(StepMode.JOBS, s.stepMode());
        assertEquals(5_000, s.stepTimeoutMillis());
        assertEquals(1000, s.shardAbove());
        assertThrows(UnsupportedOperationException.class, () -> s.verifySteps().add(3L));

        TrainerSettings later = trainer.settings();
        assertEquals(1, later.batchSize());
        assertEquals(Set.of(1L, 2L, 4L), later.verifySteps());
        assertEquals("file:///elsewhere", later.checkpointDir());
        assertSame(StepMode.BARRIER, later.stepMode());
        assertEquals(1, later.stepTimeoutMillis());
    }

    @Test
    void anUnknownStepModeOrANonPositiveTimeoutIsRefused() {
        DataParallelTrainer t = new DataParallelTrainer(model, loss, sgd);
        assertEquals("stepMode must be \"auto\", \"barrier\" or \"jobs\", got \"Barrier\"",
                assertThrows(IllegalArgumentException.class, () -> t.stepMode("Barrier")).getMessage());
        assertEquals("stepTimeout must be positive, got PT0S",
                assertThrows(IllegalArgumentException.class, () -> t.stepTimeout(java.time.Duration.ZERO)).getMessage());
        assertEquals("shardAbove must be at least 1 parameter, got 0",
                assertThrows(IllegalArgumentException.class, () -> t.shardAbove(0)).getMessage());
    }

    @Test
    void fitWithoutABatchSizeSaysSo() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DataParallelTrainer(model, loss, sgd).fit(null));
        assertEquals("set the global batch size with batchSize(B) before fit", e.getMessage());
    }
}
