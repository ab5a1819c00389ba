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
 * contiguous slice per task; each task reduces the gradient slice it owns from all tasks' sums, in partition order
 * (as the driver adds whole sums in the star exchange, so both give the same floats), sends only that slice to the
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
    private final FrameChannel[] out;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sparkgrad-shard-writer");
        t.setDaemon(true);
        return t;
    });

    private ShardMesh(int self, int n, int total, long timeoutMillis, StepEndpoint endpoint) {
        this.self = self;
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
            String sparkSecret, int total) {
        int self = ctx.partitionId();
        int n = ctx.getTaskInfos().length;
        StepEndpoint endpoint = new StepEndpoint(host, host, link.fitSecret(), sparkSecret, link.timeoutMillis(),
                link.encrypt());
        ShardMesh mesh = new ShardMesh(self, n, total, link.timeoutMillis(), endpoint);
        try {
            String[] addresses = ctx.allGather(endpoint.address());
            for (int j = 0; j < n; j++) {
                if (j != self) {
                    mesh.out[j] = link.at(addresses[j]).connect(self, attempt, executor, host, sparkSecret);
                }
            }
            endpoint.awaitPeers(n, self, "the shard connections of partition " + self, link.timeoutMillis());
            return mesh;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            mesh.close();
            throw new TrainingException("interrupted while partition " + self + " connected to the other tasks", e);
        } catch (RuntimeException e) {
            mesh.close();
            throw e;
        }
    }

    private int lo(int k) {
        return lo(total, n, k);
    }

    /** The whole parameter vector of a step from this task's slice (the driver's) and the other tasks' slices. */
    float[] allGather(long step, float[] mine) {
        if (mine.length != lo(self + 1) - lo(self)) {
            throw new TrainingException("partition " + self + " got a parameter slice of " + mine.length
                    + " values from the driver, expected " + (lo(self + 1) - lo(self)));
        }
        Future<?> sending = send(j -> StepFrame.parameters(step, 0, 0, 0, mine), "its parameter slice of step "
                + (step + 1));
        float[] full = new float[total];
        for (int j = 0; j < n; j++) {
            float[] slice = j == self ? mine : receive(j, StepFrame.Kind.PARAMETERS, step, "parameter slice").floats();
            if (slice.length != lo(j + 1) - lo(j)) {
                throw new TrainingException("partition " + j + " sent a parameter slice of " + slice.length
                        + " values, expected " + (lo(j + 1) - lo(j)));
            }
            System.arraycopy(slice, 0, full, lo(j), slice.length);
        }
        await(sending);
        return full;
    }

    /**
     * This task's slice of the sum of every task's gradient, added in partition order (null when no task had rows in
     * the step).
     */
    float[] reduceScatter(long step, float[] local) {
        Future<?> sending = send(j -> StepFrame.gradient(step, slice(local, j)), "its gradient slices of step "
                + (step + 1));
        GradientSum sum = new GradientSum();
        for (int j = 0; j < n; j++) {
            sum.merge(j == self ? slice(local, self) : receive(j, StepFrame.Kind.GRADIENT, step, "gradient slice")
                    .gradientSum());
        }
        await(sending);
        return sum.grad;
    }

    private GradientSum slice(float[] local, int k) {
        GradientSum s = new GradientSum();
        s.grad = local == null ? null : Arrays.copyOfRange(local, lo(k), lo(k + 1));
        return s;
    }

    private StepFrame receive(int from, StepFrame.Kind kind, long step, String what) {
        StepFrame f = endpoint.peer(from).expect(kind, "the " + what + " of step " + (step + 1) + " for partition " + self);
        if (f.step() != step) {
            throw new TrainingException("partition " + self + " expected the " + what + " of step " + (step + 1)
                    + " from partition " + from + ", got step " + (f.step() + 1));
        }
        return f;
    }

    private Future<?> send(java.util.function.IntFunction<StepFrame> frame, String what) {
        return writer.submit(() -> {
            for (int j = 0; j < n; j++) {
                if (j != self) {
                    out[j].write(frame.apply(j), "partition " + self + " sending " + what);
                }
            }
        });
    }

    private void await(Future<?> sending) {
        try {
            sending.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrainingException("interrupted while partition " + self + " sent to the other tasks", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new TrainingException(e.getCause().toString(), e);
        } catch (TimeoutException e) {
            throw new TrainingException("partition " + self + " could not send to the other tasks within "
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
