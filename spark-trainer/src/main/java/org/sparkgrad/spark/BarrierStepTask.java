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
 * frame adds the share of that step of each partition it owns ({@link BlockGroups}), with the jobs mode's
 * {@link StepGradient}, block by block in the same order, and sends the sums back, one per partition in partition
 * order, until STOP. A model with batch norm has one partition per task, run as one micro-batch. Sharded,
 * the frame holds the task's parameter slice; the sums sent back then carry only loss and count, followed by the
 * task's slice of the reduced gradient, exchanged with the other tasks through a {@link ShardMesh}. The task keeps
 * its blocks and its model replica between steps. An error is sent to the driver as a FAILED frame with its message
 * (so the driver names it) and fails the task.
 */
final class BarrierStepTask extends AbstractFunction1<Iterator<DataBlock>, Iterator<Object>> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final StepSpec spec;
    private final StepLink link;
    private final int stageAttempt;
    private final StepDecorator decorator;
    private final boolean sharded;
    private final BlockGroups groups;

    /**
     * @param sharded whether the tasks reduce-scatter the gradient among themselves ({@link ShardMesh})
     * @param groups the partitions of each task
     */
    BarrierStepTask(StepSpec spec, StepLink link, int stageAttempt, StepDecorator decorator, boolean sharded,
            BlockGroups groups) {
        this.spec = spec;
        this.link = link;
        this.stageAttempt = stageAttempt;
        this.decorator = decorator;
        this.sharded = sharded;
        this.groups = groups;
    }

    @Override
    public Iterator<Object> apply(Iterator<DataBlock> input) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int task = ctx.partitionId();
        int[] owned = groups.members(task);
        // the blocks of each owned partition, in row order (they arrive partition by partition)
        List<List<DataBlock>> units = new ArrayList<>();
        for (int i = 0; i < owned.length; i++) {
            units.add(new ArrayList<>());
        }
        while (input.hasNext()) {
            DataBlock b = input.next();
            int i = java.util.Arrays.binarySearch(owned, b.partition);
            if (i < 0) {
                throw new TrainingException(groups.name(task) + " read a block of partition " + b.partition);
            }
            units.get(i).add(b);
        }
        if (spec.collectives && units.get(0).size() > 1) {
            // batch norm: one task per partition (BarrierSteps), one micro-batch per step, whatever the blocks
            units = List.of(List.of(DataBlock.merge(units.get(0))));
        }
        String address = ctx.getTaskInfos()[task].address();
        String host = address.lastIndexOf(':') > 0 ? address.substring(0, address.lastIndexOf(':')) : address;
        String executor = SparkEnv.get().executorId();
        String sparkSecret = PeerAuth.sparkSecret();
        try (FrameChannel driver = link.connect(task, stageAttempt, executor, host, sparkSecret);
                ShardMesh mesh = sharded ? ShardMesh.connect(ctx, link, stageAttempt, executor, host, sparkSecret,
                        spec.layout.total, groups) : null) {
            Spares spares = new Spares(units.size() + 1);
            while (true) {
                StepFrame f = driver.readReusing("the next step's parameters");
                if (f.kind() == StepFrame.Kind.STOP) {
                    break;
                }
                if (f.kind() != StepFrame.Kind.PARAMETERS) {
                    throw new TrainingException("expected PARAMETERS or STOP from the driver, got " + f.kind());
                }
                try {
                    List<GradientSum> sums = step(units, f, driver, mesh, spares);
                    for (int i = 0; i < sums.size(); i++) {
                        StepFrame g = StepFrame.gradient(f.step(), sums.get(i), spares.payloads[i]);
                        driver.write(g, "sending the gradient sum of step " + (f.step() + 1));
                        spares.payloads[i] = g.payload();
                        if (sums.get(i).grad != null) {
                            spares.grads[i] = sums.get(i).grad;
                        }
                    }
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
     * The sums to send for a step: one per owned partition; with a mesh, those with loss and count only, then the task's slice of all units' sum. For a model with batch
     * norm, the driver's BUFFERS frame follows the parameters; the replica's statistics go through the driver (STATS
     * frames) during forward and backward, and a BUFFERS frame with its buffers after them (empty when the task had
     * no rows of the step) tells the driver this task's statistics are done.
     */
    private List<GradientSum> step(List<List<DataBlock>> units, StepFrame f, FrameChannel driver, ShardMesh mesh,
            Spares spares) {
        long s = f.step();
        long[] batch = f.batch();
        float[] values = mesh == null ? f.floats(spares.values) : mesh.allGather(s, f, spares.values);
        spares.values = values;
        StepGradient.Exchange exchange = null;
        if (spec.collectives) {
            StepFrame buffers = driver.expect(StepFrame.Kind.BUFFERS, "the buffers of step " + (s + 1));
            exchange = new StepGradient.Exchange(StatsReducers.viaDriver(driver, s), buffers.doubleValues());
        }
        // negative ids: never a broadcast's (>= 0), one per step, so replicas shared by tasks load each step once
        StepFunction seqOp = decorator.decorate(s, new StepGradient(spec, -2 - s, values, s, batch[0], batch[1], batch[2],
                exchange));
        List<GradientSum> sums = new ArrayList<>();
        for (int u = 0; u < units.size(); u++) {
            GradientSum sum = new GradientSum();
            sum.spare = spares.grads[u];
            for (DataBlock b : units.get(u)) {
                sum = seqOp.call(sum, b);
            }
            sums.add(sum);
        }
        if (exchange != null) {
            driver.write(StepFrame.doubles(StepFrame.Kind.BUFFERS, s, exchange.buffersOut == null ? new double[0]
                    : exchange.buffersOut), "sending the buffers of step " + (s + 1));
        }
        if (mesh != null) {
            float[][] grads = new float[sums.size()][];
            for (int i = 0; i < grads.length; i++) {
                grads[i] = sums.get(i).grad;
                sums.get(i).grad = null;
            }
            GradientSum slice = new GradientSum();
            slice.grad = mesh.reduceScatter(s, grads, spares.grads[grads.length]);
            sums.add(slice);
            for (int i = 0; i < grads.length; i++) {
                if (grads[i] != null) {
                    spares.grads[i] = grads[i];
                }
            }
        }
        return sums;
    }

    /**
     * What a task's step loop keeps from one step to the next so that a big model's vectors are not reallocated
     * every step: the parameters, each owned partition's gradient sum and each GRADIENT frame's payload (all sent or
     * used up by then).
     */
    private static final class Spares {
        float[] values;
        final float[][] grads;
        final byte[][] payloads;

        Spares(int frames) {
            grads = new float[frames][];
            payloads = new byte[frames][];
        }
    }
}
