package org.sparkgrad.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

/**
 * The function of a barrier stage's task: connects to the driver's {@link StepEndpoint}, then for every PARAMETERS
 * frame adds its partition's share of that step (with the jobs mode's {@link StepGradient}, block by block in the
 * same order) and sends the sum back, until STOP. Sharded, the frame holds the task's parameter slice and the sum
 * sent back its gradient slice, exchanged with the other tasks through a {@link ShardMesh}. The task keeps its blocks and its model replica between steps.
 * An error is sent to the driver as a FAILED frame with its message (so the driver names it) and fails the task.
 */
final class BarrierStepTask extends AbstractFunction1<Iterator<DataBlock>, Iterator<Object>> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final StepSpec spec;
    private final StepLink link;
    private final int stageAttempt;
    private final StepDecorator decorator;
    private final boolean sharded;

    /** @param sharded whether the tasks reduce-scatter the gradient among themselves ({@link ShardMesh}) */
    BarrierStepTask(StepSpec spec, StepLink link, int stageAttempt, StepDecorator decorator, boolean sharded) {
        this.spec = spec;
        this.link = link;
        this.stageAttempt = stageAttempt;
        this.decorator = decorator;
        this.sharded = sharded;
    }

    @Override
    public Iterator<Object> apply(Iterator<DataBlock> input) {
        List<DataBlock> blocks = new ArrayList<>();
        while (input.hasNext()) {
            blocks.add(input.next());
        }
        if (spec.collectives && blocks.size() > 1) {
            blocks = List.of(DataBlock.merge(blocks)); // one micro-batch per step, whatever the blocks
        }
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int partition = ctx.partitionId();
        String address = ctx.getTaskInfos()[partition].address();
        String host = address.lastIndexOf(':') > 0 ? address.substring(0, address.lastIndexOf(':')) : address;
        String executor = SparkEnv.get().executorId();
        String sparkSecret = PeerAuth.sparkSecret();
        try (FrameChannel driver = link.connect(partition, stageAttempt, executor, host, sparkSecret);
                ShardMesh mesh = sharded ? ShardMesh.connect(ctx, link, stageAttempt, executor, host, sparkSecret,
                        spec.layout.total) : null) {
            while (true) {
                StepFrame f = driver.read("the next step's parameters");
                if (f.kind() == StepFrame.Kind.STOP) {
                    break;
                }
                if (f.kind() != StepFrame.Kind.PARAMETERS) {
                    throw new TrainingException("expected PARAMETERS or STOP from the driver, got " + f.kind());
                }
                try {
                    driver.write(StepFrame.gradient(f.step(), step(blocks, f, driver, mesh)),
                            "sending the gradient sum of step " + (f.step() + 1));
                } catch (RuntimeException e) {
                    TrainingException te = TrainingException.find(e);
                    String message = te != null ? te.getMessage() : e.toString();
                    try {
                        driver.write(StepFrame.text(StepFrame.Kind.FAILED, f.step(), message), "reporting " + message);
                    } catch (RuntimeException ignored) {
                        // the driver learns of the failure from Spark instead
                    }
                    throw e;
                }
            }
        }
        return scala.collection.Iterator$.MODULE$.empty();
    }

    /**
     * The task's gradient sum of a step; with a mesh, its slice of all tasks' sum (and its own loss and count). For a
     * model with batch norm, the driver's BUFFERS frame follows the parameters; the replica's statistics go through
     * the driver (STATS frames) during forward and backward, and a BUFFERS frame with its buffers after them (empty
     * when the task had no rows of the step) tells the driver this task's statistics are done.
     */
    private GradientSum step(List<DataBlock> blocks, StepFrame f, FrameChannel driver, ShardMesh mesh) {
        long s = f.step();
        long[] batch = f.batch();
        float[] values = mesh == null ? f.floats() : mesh.allGather(s, f.floats());
        StepGradient.Exchange exchange = null;
        if (spec.collectives) {
            StepFrame buffers = driver.expect(StepFrame.Kind.BUFFERS, "the buffers of step " + (s + 1));
            exchange = new StepGradient.Exchange(StatsReducers.viaDriver(driver, s), buffers.doubleValues());
        }
        // negative ids: never a broadcast's (>= 0), one per step, so replicas shared by tasks load each step once
        StepFunction seqOp = decorator.decorate(s, new StepGradient(spec, -2 - s, values, s, batch[0], batch[1], batch[2],
                exchange));
        GradientSum sum = new GradientSum();
        for (DataBlock b : blocks) {
            sum = seqOp.call(sum, b);
        }
        if (exchange != null) {
            driver.write(StepFrame.doubles(StepFrame.Kind.BUFFERS, s, exchange.buffersOut == null ? new double[0]
                    : exchange.buffersOut), "sending the buffers of step " + (s + 1));
        }
        if (mesh != null) {
            sum.grad = mesh.reduceScatter(s, sum.grad);
        }
        return sum;
    }
}
