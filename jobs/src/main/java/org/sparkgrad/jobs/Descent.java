package org.sparkgrad.jobs;

import java.util.ArrayList;
import java.util.List;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;

/** Seed 002: gradient descent on y = 2*x0^2 + 4*x1^2 from [11, 2] until the loss stops falling. */
public final class Descent {
    private Descent() {
    }

    /** The losses of the steps taken and the final point. */
    record Result(List<Double> losses, Tensor x) {
    }

    static Result run(double lr, double x0, double x1, int maxIters, boolean print) {
        Tensor x = Tensor.of(x0, x1).requiresGrad_();
        List<Double> losses = new ArrayList<>();
        for (int i = 0; i < maxIters; i++) {
            Tensor y = x.get(0).pow(2).mul(2).add(x.get(1).pow(2).mul(4));
            y.backward();
            double loss = y.item();
            if (!losses.isEmpty() && loss >= losses.get(losses.size() - 1)) {
                break;
            }
            losses.add(loss);
            if (print) {
                System.out.println(y + " " + i + " " + x.grad());
            }
            try (GradMode.Scope s = GradMode.noGrad()) {
                x.sub_(x.grad().mul(lr));
            }
            x.grad().zero_();
        }
        return new Result(losses, x.detach());
    }

    /** Options: --lr (0.1), --x0 (11), --x1 (2), --max-iters (1000). */
    public static void main(String[] args) {
        Options opts = Options.parse(args, "lr", "0.1", "x0", "11", "x1", "2", "max-iters", "1000");
        Result r = run(opts.getDouble("lr"), opts.getDouble("x0"), opts.getDouble("x1"), opts.getInt("max-iters"), true);
        System.out.println("stopped after " + r.losses().size() + " steps at x = " + r.x());
    }
}
