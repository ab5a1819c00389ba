package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.optim.Optimizer;
import org.sparkgrad.engine.optim.OptimizerState;

/**
 * The rules that make a checkpoint directory belong to one run, applied when a fit starts:
 * <ul>
 *   <li>a fresh run (no resume) refuses a directory that holds checkpoints, saying how to continue or start over;
 *   <li>a resume skips checkpoints that are damaged or don't fit the model (naming each file and why) and takes the
 *       newest one that does; when there are checkpoints but none is usable, it fails listing the reasons;
 *   <li>a resume whose settings differ from the checkpoint's {@link RunIdentity} refuses, naming each difference,
 *       unless all of them are {@link RunIdentity#ALLOWED} (lr, schedule, steps), which are logged and applied;
 *   <li>a checkpoint written before run identities existed (no {@code run.*} metadata) shows only part of its run
 *       ({@link RunIdentity#recorded}); a resume refuses it, saying what matched and what it cannot show, unless
 *       adoptCheckpoint vouches that it is this run's; then it resumes when what it records matches (as above);
 *   <li>with startOver, whatever would be refused is moved into a {@code superseded-<time>} subfolder and the run
 *       starts from step 0. Nothing here deletes a checkpoint.
 * </ul>
 */
final class RunCheckpoints {
    private static final Logger LOG = Logger.getLogger(DataParallelTrainer.class.getName());

    private final CheckpointStore store;
    private final RunIdentity identity;
    private final boolean resume;
    private final boolean startOver;
    private final boolean adopt;

    /** The checkpoint a run resumes from, and whether the run's own learning rate replaces the checkpoint's. */
    record Resume(TrainingState state, String file, boolean runLearningRate) {
    }

    RunCheckpoints(CheckpointStore store, RunIdentity identity, boolean resume, boolean startOver) {
        this(store, identity, resume, startOver, false);
    }

    /** @param adopt whether a resume may continue a checkpoint without a run identity (see the class comment) */
    RunCheckpoints(CheckpointStore store, RunIdentity identity, boolean resume, boolean startOver, boolean adopt) {
        this.adopt = adopt;
        this.store = store;
        this.identity = identity;
        this.resume = resume;
        this.startOver = startOver;
    }

    /**
     * Where the run starts: the checkpoint to resume from, or null for step 0.
     *
     * @param model the run's model parameters, which a checkpoint's tensors must fit (names, dtypes, shapes)
     * @throws TrainingException when the directory belongs to another run, or holds no usable checkpoint to resume
     */
    Resume begin(Map<String, ? extends Tensor> model) {
        if (resume) {
            store.removeOrphans();
        }
        CheckpointStore.Scan scan = store.scan(state -> fits(state, model));
        if (scan.checkpoints() == 0) {
            if (resume) {
                LOG.info("no checkpoint in " + store.directory() + "; starting from step 0");
            }
            return null;
        }
        String how = "; to start over use another checkpoint directory, or startOver (--start-over), which moves the"
                + " checkpoints there into " + store.directory() + "/superseded-<time>/ (checkpoints are never deleted)";
        if (scan.state().isEmpty()) {
            String why = "the checkpoint directory " + store.directory() + " holds " + scan.checkpoints()
                    + " checkpoint(s) and none is usable: " + String.join("; ", scan.skipped());
            return refuseOrSetAside(why + (resume ? "" : ". This fresh run will not mix its checkpoints with them") + how);
        }
        TrainingState st = scan.state().get();
        boolean legacy = st.run().isEmpty();
        List<RunIdentity.Difference> differences = legacy ? identity.recordedPart().differences(RunIdentity.recorded(st))
                : identity.differences(new RunIdentity(st.run()));
        List<String> refused = new ArrayList<>();
        List<String> allowed = new ArrayList<>();
        for (RunIdentity.Difference d : differences) {
            (d.allowed() ? allowed : refused).add(d.toString());
        }
        String where = "the checkpoint " + scan.file() + " (step " + st.step() + ")";
        if (!resume) {
            String whose = legacy ? " written before checkpoints recorded their run" : differences.isEmpty()
                    ? " of a run with this run's settings" : " of another run (it differs in "
                    + differences.stream().map(Object::toString).collect(java.util.stream.Collectors.joining("; ")) + ")";
            return refuseOrSetAside("the checkpoint directory " + store.directory() + " holds checkpoints" + whose
                    + ", the newest usable one " + where + ". This fresh run will not mix its checkpoints with them:"
                    + " continue that run with resume (--resume)" + how);
        }
        if (!refused.isEmpty()) {
            return refuseOrSetAside(where + (legacy ? ", written before checkpoints recorded their run," : "")
                    + " belongs to another run: it differs in " + String.join("; ", refused)
                    + (allowed.isEmpty() ? "" : " (a resume may change " + String.join("; ", allowed) + ")")
                    + ". Resume with the checkpoint's settings" + how);
        }
        if (legacy && !adopt) {
            return refuseOrSetAside(where + " was written before checkpoints recorded their run (it has no run.*"
                    + " metadata): its model layout, seed, learning rate and optimizer hyper-parameters "
                    + (allowed.isEmpty() ? "match this run's" : "match this run's but for " + String.join("; ", allowed))
                    + ", but it cannot show its data, batch plan, labels, loss, optimizer class or schedule. If it is"
                    + " this run's, resume with adoptCheckpoint (--adopt-checkpoint) to continue it; its next"
                    + " checkpoints record this run" + how);
        }
        if (legacy) {
            LOG.warning("adopting " + where + ", written before checkpoints recorded their run: its model layout, seed,"
                    + " learning rate and optimizer hyper-parameters match; its data, batch plan, labels, loss, optimizer"
                    + " class and schedule are taken on trust");
        }
        for (String change : allowed) {
            LOG.warning("resuming from " + where + " with a changed setting, applied from step " + (st.step() + 1) + ": "
                    + change);
        }
        boolean runLr = differences.stream().anyMatch(d -> d.key().equals(RunIdentity.LR)
                || d.key().equals(RunIdentity.SCHEDULE));
        return new Resume(st, scan.file(), runLr);
    }

    /** The loaded optimizer state with the live optimizer's learning rates (after the schedule's replay). */
    static OptimizerState withLearningRate(OptimizerState loaded, Optimizer live) {
        Map<String, Double> hyper = new LinkedHashMap<>(loaded.hyper());
        Map<String, Double> now = live.stateDict().hyper();
        hyper.put(Optimizer.LR, now.get(Optimizer.LR));
        hyper.remove(Optimizer.INITIAL_LR);
        if (now.containsKey(Optimizer.INITIAL_LR)) {
            hyper.put(Optimizer.INITIAL_LR, now.get(Optimizer.INITIAL_LR));
        }
        return new OptimizerState(loaded.params(), hyper, loaded.tensors());
    }

    private Resume refuseOrSetAside(String why) {
        if (!startOver) {
            throw new TrainingException(why);
        }
        String aside = store.setAside();
        LOG.warning("starting over from step 0: moved the checkpoints into " + aside + " (" + why.split(";", 2)[0] + ")");
        return null;
    }

    /**
     * Null when the state's tensors are the model's parameters and buffers (names, dtypes, shapes), else every
     * difference.
     */
    static String fits(TrainingState state, Map<String, ? extends Tensor> model) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, ? extends Tensor> e : model.entrySet()) {
            Tensor t = state.parameters().get(e.getKey());
            Tensor p = e.getValue();
            if (t == null) {
                problems.add("no tensor for parameter " + e.getKey());
            } else if (t.dtype() != p.dtype() || !Arrays.equals(t.shape(), p.shape())) {
                problems.add("parameter " + e.getKey() + " is " + t.dtype().pyName() + " " + Arrays.toString(t.shape())
                        + ", the model's is " + p.dtype().pyName() + " " + Arrays.toString(p.shape()));
            }
        }
        for (String name : state.parameters().keySet()) {
            if (!model.containsKey(name)) {
                problems.add("parameter " + name + " is not in the model");
            }
        }
        return problems.isEmpty() ? null : "it does not fit the model: " + String.join("; ", problems);
    }
}
