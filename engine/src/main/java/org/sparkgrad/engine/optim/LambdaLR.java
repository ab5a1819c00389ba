package org.sparkgrad.engine.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;

/**
 * Sets each group's learning rate to its base rate times a function of the epoch, like
 * {@code torch.optim.lr_scheduler.LambdaLR}: lr = base_lr * lambda(epoch).
 *
 * <pre>{@code
 * new LambdaLR(opt, epoch -> Math.min(1.0, (epoch + 1) / 5.0));   // linear warmup over 5 epochs
 * }</pre>
 *
 * The functions are code, so (as in PyTorch for plain functions) the state dict does not hold them.
 */
public final class LambdaLR extends LRScheduler {
    private final List<IntToDoubleFunction> lambdas;

    /** The same factor function for every group. */
    public LambdaLR(Optimizer optimizer, IntToDoubleFunction lrLambda) {
        this(optimizer, lrLambda == null ? null : Collections.nCopies(groupCount(optimizer), lrLambda));
    }

    /** One factor function per parameter group, in order. */
    public LambdaLR(Optimizer optimizer, List<IntToDoubleFunction> lrLambdas) {
        super(checked(optimizer, lrLambdas));
        this.lambdas = new ArrayList<>(lrLambdas);
        initialStep();
    }

    private static Optimizer checked(Optimizer optimizer, List<IntToDoubleFunction> lrLambdas) {
        if (optimizer == null) {
            return null;
        }
        if (lrLambdas == null || new ArrayList<>(lrLambdas).contains(null)) {
            throw new IllegalArgumentException("LambdaLR needs a function per group, got " + lrLambdas);
        }
        if (lrLambdas.size() != optimizer.paramGroups().size()) {
            throw new IllegalArgumentException("Expected " + optimizer.paramGroups().size() + " lr_lambdas, but got "
                    + lrLambdas.size());
        }
        return optimizer;
    }

    private static int groupCount(Optimizer optimizer) {
        return optimizer == null ? 1 : optimizer.paramGroups().size();
    }

    @Override
    protected double computeLr(int group, double lr, double baseLr) {
        return baseLr * lambdas.get(group).applyAsDouble(getLastEpoch());
    }

    @Override
    protected Map<String, Double> hyperParameters() {
        return Map.of();
    }

    @Override
    protected void setHyperParameters(Map<String, Double> hyper) {
    }
}
