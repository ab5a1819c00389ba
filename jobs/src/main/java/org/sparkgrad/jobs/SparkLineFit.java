package org.sparkgrad.jobs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Loss;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Parameter;
import org.sparkgrad.engine.nn.Reduction;
import org.sparkgrad.spark.DataParallelTrainer;
import org.sparkgrad.spark.StepListener;
import org.sparkgrad.spark.TrainingData;
import org.sparkgrad.spark.TrainingResult;

/**
 * Seed 004's line fit data-parallel on Spark: the same seeded noisy points ({@link LineFit#points}) as rows
 * (x, y) of an RDD, a {@link Line} module with parameters a and b, the perpendicular-distance loss as a
 * {@link PerpendicularLoss} with SUM reduction, and the same optimizer and per-epoch schedule; each epoch is
 * one full-batch step, so the run follows {@link LineFit#run}'s loop up to float rounding. The trainer hands
 * the optimizer each step's gradient alone, so the seed's never-zeroed gradients are SGD with momentum 1
 * here (its buffer is the running sum of the gradients, the same update).
 */
final class SparkLineFit {
    private SparkLineFit() {
    }

    /**
     * y = a x + b with a and b (0-d parameters, from 0). Its output for features x [m, 1] is [m, 2]: the
     * fitted value a x + b and a itself, which is what the perpendicular distance needs besides y.
     */
    static final class Line extends Module {
        private final Parameter a = registerParameter("a", new Parameter(Tensor.scalar(0)));
        private final Parameter b = registerParameter("b", new Parameter(Tensor.scalar(0)));

        @Override
        public Tensor forward(Tensor x) {
            return Tensor.cat(1, x.mul(a).add(b), x.mul(0).add(a));
        }
    }

    /**
     * The squared perpendicular distance of (x, y) to the line, (a x + b - y)^2 / (a^2 + 1), for input
     * [m, 2] = (a x + b, a) from {@link Line} and target y [m, 1], reduced by the reduction.
     */
    static final class PerpendicularLoss extends Loss {
        PerpendicularLoss(Reduction reduction) {
            super(reduction);
        }

        @Override
        public Tensor forward(Tensor input, Tensor target) {
            if (input.dim() != 2 || input.shape()[1] != 2) {
                throw new IllegalArgumentException("PerpendicularLoss expects input [m, 2] = (a x + b, a), got "
                        + java.util.Arrays.toString(input.shape()));
            }
            Tensor d = LineFit.perpendicular(input.slice(1, 0, 1), target, input.slice(1, 1, 2));
            return switch (reduction()) {
                case SUM -> d.sum();
                case MEAN -> d.mean();
                case NONE -> d;
            };
        }
    }

    /** What a run gave: LineFit's result (losses, final and best a, b) and the trainer's. */
    record Result(LineFit.Result fit, TrainingResult training) {
    }

    /**
     * Trains a and b on the points in partitions partitions on the active Spark session (or a new one on
     * master, stopped at the end); prints every printEvery epochs when printEvery &gt; 0.
     */
    static Result run(LineFit.Points p, LineFit.Settings s, int partitions, String master, int printEvery) {
        return run(p, s, partitions, master, printEvery, null);
    }

    /** {@link #run(LineFit.Points, LineFit.Settings, int, String, int)} from the a, b of the file at initWeights (null: 0, 0). */
    static Result run(LineFit.Points p, LineFit.Settings s, int partitions, String master, int printEvery,
            String initWeights) {
        if (s.epochs() < 1) {
            throw new IllegalArgumentException("--epochs must be at least 1, got " + s.epochs());
        }
        if (!s.zeroGrad() && !(s.optimizer().equals("sgd") && s.momentum() == 0)) {
            throw new IllegalArgumentException("on Spark, gradients that are never zeroed are SGD with momentum 1: "
                    + "use --optimizer sgd --momentum 0 without --zero-grad, or --zero-grad (got --optimizer "
                    + s.optimizer() + " --momentum " + Options.plain(s.momentum()) + ")");
        }
        // Plain values only in the factories (they are serialized with the trainer).
        String optimizer = s.optimizer();
        double lr = s.lr();
        double momentum = s.zeroGrad() ? s.momentum() : 1;
        double beta2 = s.beta2();
        String schedule = s.schedule();
        int epochs = s.epochs();
        double[] x = p.x().toArray();
        double[] y = p.y().toArray();
        List<float[]> rows = new ArrayList<>(x.length);
        for (int i = 0; i < x.length; i++) {
            rows.add(new float[] {(float) x[i], (float) y[i]});
        }
        try (SparkJobSupport.Session session = SparkJobSupport.open(master, "sparkgrad line-fit")) {
            double[] best = {Double.POSITIVE_INFINITY, 0, 0};
            double[] before = LineFit.start(initWeights);
            DataParallelTrainer trainer = new DataParallelTrainer(Line::new, () -> new PerpendicularLoss(Reduction.SUM),
                    params -> LineFit.optimizer(new LineFit.Settings(optimizer, lr, momentum, beta2, schedule, epochs,
                            true), new ArrayList<>(params.values())))
                    .initialWeights(initWeights).batchSize(x.length).epochs(epochs).seed(0).logEvery(0)
                    .listener(StepListener.withoutSparkJobs((step, epoch, loss, m) -> {
                        // The step's loss is that of the parameters before the step; the best a, b are those
                        // after it, as the seed records them (and LineFit's loop).
                        if (printEvery > 0 && (step % printEvery == 0 || step == 1)) {
                            System.out.printf(Locale.ROOT, "epoch %5d  loss %.6f  a %.5f  b %.5f%n", step, loss,
                                    before[0], before[1]);
                        }
                        before[0] = m.namedParameters().get("a").item();
                        before[1] = m.namedParameters().get("b").item();
                        if (loss < best[0]) {
                            best[0] = loss;
                            best[1] = before[0];
                            best[2] = before[1];
                        }
                    }));
            if (!schedule.equals("none")) {
                trainer.scheduler(opt -> LineFit.schedule(schedule, opt, epochs));
            }
            TrainingResult r;
            try (TrainingData data = TrainingData.fromRdd(session.sc().parallelize(rows, partitions), 1, 1)) {
                r = trainer.fit(data);
            }
            LineFit.Result fit = new LineFit.Result(r.lossHistory(), r.parameter("a").item(), r.parameter("b").item(),
                    best[0], best[1], best[2], (long) (r.seconds() * 1e9), 0);
            return new Result(fit, r);
        }
    }

    /** Writes loss.png and fit.png (as LineFit does) and model.safetensors and loss.csv into dir. */
    static SparkJobSupport.Outputs write(LineFit.Points p, Result r, Path dir) {
        SparkJobSupport.Outputs files = SparkJobSupport.write(r.training(), dir);
        LineFit.charts(p, r.fit(), dir);
        return files;
    }
}
