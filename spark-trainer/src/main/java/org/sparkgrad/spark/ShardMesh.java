package org.sparkgrad.spark;

import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.BarrierTaskContext;

/**
 * The connections among a barrier stage's tasks for models above the shard threshold: the flat vector is cut into one
 * contiguous slice per task; each task reduces the gradient slice it owns from the sums of every partition (each task
 * sends one per partition it owns, {@link BlockGroups}), in partition order (as the driver adds whole sums in the
 * star exchange, so both give the same floats), sends only that slice to the
 * driver, gets back the slice of the new parameters and shares it with the others. The driver then moves about one
 * model each way per step, whatever the number of tasks.
 *
 * <p>Every task runs a {@link StepEndpoint} of its own, its address shared through
 * {@link BarrierTaskContext#allGather}, and connects to every other's with the fit's secret. Sends run on a writer
 * thread while the task's thread receives, so two tasks never wait on each other's full socket buffers.
 */
final class ShardMesh implements AutoCloseable {
    private final int self;
    private final int n;
    private final int total;
    private final long timeoutMillis;
    private final StepEndpoint endpoint;
    private final BlockGroups groups;
    private final FrameChannel[] out;
    /** The payloads of the gradient slices sent last step, by owned partition and task (reused). */
    private byte[][][] payloads = new byte[0][][];
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sparkgrad-shard-writer");
        t.setDaemon(true);
        return t;
    });

    private ShardMesh(int self, int n, int total, long timeoutMillis, StepEndpoint endpoint, BlockGroups groups) {
        this.self = self;
        this.groups = groups;
        this.n = n;
        this.total = total;
        this.timeoutMillis = timeoutMillis;
        this.endpoint = endpoint;
        this.out = new FrameChannel[n];
    }

    /** The first element of slice k of a vector of total elements cut into n slices (k = n: total). */
    static int lo(int total, int n, int k) {
        return (int) ((long) total * k / n);
    }

    /** Opens this task's endpoint, shares its address with the stage's tasks and connects to theirs. */
    static ShardMesh connect(BarrierTaskContext ctx, StepLink link, int attempt, String executor, String host,
            String sparkSecret, int total, BlockGroups groups) {
        int self = ctx.partitionId();
        int n = ctx.getTaskInfos().length;
        StepEndpoint endpoint = new StepEndpoint(host, host, link.fitSecret(), sparkSecret, link.timeoutMillis(),
                link.encrypt());
        endpoint.names(groups::name);
        ShardMesh mesh = new ShardMesh(self, n, total, link.timeoutMillis(), endpoint, groups);
        try {
            String[] addresses = ctx.allGather(endpoint.address());
            for (int j = 0; j < n; j++) {
                if (j != self) {
                    mesh.out[j] = link.at(addresses[j]).connect(self, attempt, executor, host, sparkSecret);
                }
            }
            endpoint.awaitPeers(n, self, "the shard connections of " + groups.name(self), link.timeoutMillis());
            return mesh;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            mesh.close();
            throw new TrainingException("interrupted while " + groups.name(self) + " connected to the other tasks", e);
        } catch (RuntimeException e) {
            mesh.close();
            throw e;
        }
    }

    private int lo(int k) {
        return lo(total, n, k);
    }

    /**
     * The whole parameter vector of a step (in spare when it has the total length) from the driver's PARAMETERS frame
     * of this task's slice, which goes on to the other tasks as it came (its checksum too), and theirs.
     */
    float[] allGather(long step, StepFrame mine, float[] spare) {
        if (mine.floatCount() != lo(self + 1) - lo(self)) {
            throw new TrainingException(groups.name(self) + " got a parameter slice of " + mine.floatCount()
                    + " values from the driver, expected " + (lo(self + 1) - lo(self)));
        }
        StepFrame[] ours = {mine};
        Future<?> sending = send(j -> ours, "its parameter slice of step " + (step + 1));
        float[] full = spare != null && spare.length == total ? spare : new float[total];
        for (int j = 0; j < n; j++) {
            StepFrame slice = j == self ? mine : receive(j, StepFrame.Kind.PARAMETERS, step, "parameter slice");
            if (slice.floatCount() != lo(j + 1) - lo(j)) {
                throw new TrainingException(groups.name(j) + " sent a parameter slice of " + slice.floatCount()
                        + " values, expected " + (lo(j + 1) - lo(j)));
            }
            slice.floatsInto(full, lo(j));
        }
        await(sending);
        return full;
    }

    /**
     * This task's slice of the sum of every partition's gradient, added in partition order (null when no partition had
     * rows in the step), in spare when it has the slice's length; local holds the sums of this task's partitions,
     * ascending (null: no rows). Each slice goes out and comes in as a frame's bytes, without an array of its own.
     */
    float[] reduceScatter(long step, float[][] local, float[] spare) {
        int[] owned = groups.members(self);
        if (local.length != owned.length) {
            throw new IllegalArgumentException(owned.length + " partitions' sums expected, got " + local.length);
        }
        if (payloads.length != local.length) {
            payloads = new byte[local.length][n][];
        }
        Future<?> sending = send(j -> {
            StepFrame[] frames = new StepFrame[local.length];
            for (int i = 0; i < local.length; i++) {
                GradientSum s = new GradientSum();
                s.grad = local[i];
                frames[i] = StepFrame.gradient(step, s, lo(j), lo(j + 1) - lo(j), payloads[i][j]);
                payloads[i][j] = frames[i].payload(); // sent before the next step
            }
            return frames;
        }, "its gradient slices of step " + (step + 1));
        GradientSum sum = new GradientSum();
        int mine = 0;
        for (int p = 0; p < groups.partitions(); p++) {
            int from = groups.owner(p);
            if (from == self) {
                float[] own = local[mine++];
                if (own != null) {
                    sum.addRange(own, lo(self), lo(self + 1) - lo(self), spare);
                }
            } else {
                receive(from, StepFrame.Kind.GRADIENT, step, "gradient slice of partition " + p).mergeInto(sum, spare);
            }
        }
        await(sending);
        return sum.grad;
    }

    private StepFrame receive(int from, StepFrame.Kind kind, long step, String what) {
        StepFrame f = endpoint.peer(from).expectReusing(kind, "the " + what + " of step " + (step + 1) + " for "
                + groups.name(self));
        if (f.step() != step) {
            throw new TrainingException(groups.name(self) + " expected the " + what + " of step " + (step + 1)
                    + " from " + groups.name(from) + ", got step " + (f.step() + 1));
        }
        return f;
    }

    /** Sends each other task its frames, on the writer thread, in task order. */
    private Future<?> send(java.util.function.IntFunction<StepFrame[]> frames, String what) {
        return writer.submit(() -> {
            for (int j = 0; j < n; j++) {
                if (j != self) {
                    for (StepFrame f : frames.apply(j)) {
                        out[j].write(f, groups.name(self) + " sending " + what);
                    }
                }
            }
        });
    }

    private void await(Future<?> sending) {
        try {
            sending.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrainingException("interrupted while " + groups.name(self) + " sent to the other tasks", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new TrainingException(e.getCause().toString(), e);
        } catch (TimeoutException e) {
            throw new TrainingException(groups.name(self) + " could not send to the other tasks within "
                    + FrameChannel.seconds(timeoutMillis), e);
        }
    }

    @Override
    public void close() {
        writer.shutdownNow();
        for (FrameChannel c : out) {
            if (c != null) {
                c.close();
            }
        }
        endpoint.close();
    }
}
