package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.sparkgrad.engine.optim.LRScheduler;
import org.sparkgrad.engine.optim.Optimizer;

/**
 * What makes a training run the run it is, written into each of its checkpoints (metadata {@code run.<key>}) so a
 * checkpoint directory belongs to one run: the model's layout, the data's fingerprint, the seed, the batch plan, the
 * loss, the optimizer and its hyper-parameters. A resume may change only {@link #ALLOWED} (the learning rate, the
 * schedule, the number of steps); any other difference is another run.
 */
record RunIdentity(Map<String, String> fields) {
    static final String MODEL = "model";
    static final String DATA = "data";
    static final String SEED = "seed";
    static final String BATCH = "batch";
    static final String LABELS = "labels";
    static final String LOSS = "loss";
    static final String OPTIMIZER = "optimizer";
    static final String HYPER_PREFIX = "optimizer.";
    static final String LR = "lr";
    static final String SCHEDULE = "schedule";
    static final String STEPS = "steps";

    /** The keys a resume may change (the new value applies from the resumed step on). */
    static final Set<String> ALLOWED = Set.of(LR, SCHEDULE, STEPS);

    RunIdentity {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** One field that differs: its key and both values ("(none)" where a side lacks it). */
    record Difference(String key, String checkpoint, String run) {
        boolean allowed() {
            return ALLOWED.contains(key);
        }

        @Override
        public String toString() {
            return key + ": checkpoint " + checkpoint + ", this run " + run;
        }
    }

    /**
     * The identity of a run: rowContent what a row holds ({@link TrainingData#rowContent()}), loss the loss's name
     * ({@link TrainingRun#lossName}), optimizer the freshly built one (before any step, after its scheduler was made),
     * scheduler null for none.
     */
    static RunIdentity of(ParameterLayout layout, TrainingData.Packed data, String rowContent, TrainerSettings s,
            BatchPlan plan, long totalSteps, String loss, Optimizer optimizer, LRScheduler scheduler) {
        Map<String, String> f = new LinkedHashMap<>();
        List<String> params = new ArrayList<>();
        for (int i = 0; i < layout.names.length; i++) {
            params.add(layout.names[i] + Arrays.toString(layout.shapes[i]).replace(" ", ""));
        }
        f.put(MODEL, "float32 " + String.join(" ", params));
        f.put(DATA, data.rows() + " rows of " + rowContent + ", content "
                + String.format(Locale.ROOT, "%016x", data.fingerprint()));
        f.put(SEED, Long.toString(s.seed()));
        f.put(BATCH, s.batchSize() + " rows" + (s.dropLast() ? ", last partial batch dropped" : "") + ", "
                + plan.stepsPerEpoch() + " steps per epoch");
        f.put(LABELS, s.classLabels() ? "class indices" : "float targets");
        f.put(LOSS, loss);
        f.put(OPTIMIZER, optimizer.getClass().getSimpleName());
        Map<String, Double> hyper = optimizer.stateDict().hyper();
        Double initial = hyper.get(Optimizer.INITIAL_LR);
        f.put(LR, Double.toString(initial != null ? initial : hyper.get(Optimizer.LR)));
        hyper.forEach((k, v) -> {
            if (!k.equals(Optimizer.LR) && !k.equals(Optimizer.INITIAL_LR)) {
                f.put(HYPER_PREFIX + k, Double.toString(v));
            }
        });
        f.put(SCHEDULE, scheduler == null ? "none"
                : scheduler.getClass().getSimpleName() + (s.schedulerPerStep() ? " per step" : " per epoch"));
        f.put(STEPS, Long.toString(totalSteps));
        return new RunIdentity(f);
    }

    /**
     * What a checkpoint written before run identities existed (format 1 without {@code run.*} metadata) still shows
     * of its run: the model's layout (its tensors' names, dtypes and shapes), the seed ({@code data_seed}), the initial
     * learning rate and the optimizer's other hyper-parameters. Not its data, batch plan, class labels, loss,
     * optimizer class, schedule or steps.
     */
    static RunIdentity recorded(TrainingState legacy) {
        Map<String, String> f = new LinkedHashMap<>();
        List<String> params = new ArrayList<>();
        String dtype = null;
        for (Map.Entry<String, org.sparkgrad.engine.Tensor> e : legacy.parameters().entrySet()) {
            String d = e.getValue().dtype().pyName();
            dtype = dtype == null || dtype.equals(d) ? d : "mixed";
            params.add(e.getKey() + Arrays.toString(e.getValue().shape()).replace(" ", ""));
        }
        f.put(MODEL, dtype + " " + String.join(" ", params));
        f.put(SEED, Long.toString(legacy.dataSeed()));
        Map<String, Double> hyper = legacy.optimizer().hyper();
        Double initial = hyper.get(Optimizer.INITIAL_LR);
        Double lr = initial != null ? initial : hyper.get(Optimizer.LR);
        if (lr != null) {
            f.put(LR, Double.toString(lr));
        }
        hyper.forEach((k, v) -> {
            if (!k.equals(Optimizer.LR) && !k.equals(Optimizer.INITIAL_LR)) {
                f.put(HYPER_PREFIX + k, Double.toString(v));
            }
        });
        return new RunIdentity(f);
    }

    /** This identity's fields that a legacy checkpoint records too ({@link #recorded}), for comparing with one. */
    RunIdentity recordedPart() {
        Map<String, String> f = new LinkedHashMap<>();
        fields.forEach((k, v) -> {
            if (k.equals(MODEL) || k.equals(SEED) || k.equals(LR) || k.startsWith(HYPER_PREFIX)) {
                f.put(k, v);
            }
        });
        return new RunIdentity(f);
    }

    /** The fields that differ between a checkpoint's identity and this run's, in a stable order. */
    List<Difference> differences(RunIdentity checkpoint) {
        Set<String> keys = new TreeSet<>(checkpoint.fields.keySet());
        keys.addAll(fields.keySet());
        List<Difference> out = new ArrayList<>();
        for (String k : keys) {
            String a = checkpoint.fields.getOrDefault(k, "(none)");
            String b = fields.getOrDefault(k, "(none)");
            if (!a.equals(b)) {
                out.add(new Difference(k, a, b));
            }
        }
        return out;
    }
}
