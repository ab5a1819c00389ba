package org.sparkgrad.engine.optim;

import java.util.List;
import java.util.Map;

/**
 * Steps several schedulers of one optimizer together, each from the rate the previous one set, like
 * {@code torch.optim.lr_scheduler.ChainedScheduler}:
 *
 * <pre>{@code
 * LRScheduler s = new ChainedScheduler(List.of(new LinearLR(opt, 0.2, 1.0, 3), new ExponentialLR(opt, 0.9)));
 * }</pre>
 *
 * The given schedulers have already made their construction steps; building the chain changes no rate.
 */
public final class ChainedScheduler extends CompositeScheduler {
    /** The schedulers, all of the same optimizer, stepped in this order. */
    public ChainedScheduler(List<LRScheduler> schedulers) {
        super(checked(schedulers), schedulers);
        lastEpoch = 0;
        stepCount = 1;
        setLastLrs(currentLrs());
    }

    private static Optimizer checked(List<LRScheduler> schedulers) {
        nonEmpty("ChainedScheduler", schedulers);
        for (int i = 1; i < schedulers.size(); i++) {
            if (schedulers.get(i).optimizer() != schedulers.get(0).optimizer()) {
                throw new IllegalArgumentException("ChainedScheduler expects all schedulers to belong to the same "
                        + "optimizer, but got schedulers at index 0 and " + i + " to be different");
            }
        }
        return schedulers.get(0).optimizer();
    }

    @Override
    public void step() {
        lastEpoch++;
        stepCount++;
        for (LRScheduler s : schedulers) {
            s.step();
        }
        setLastLrs(currentLrs());
    }

    @Override
    Map<String, Double> ownSettings() {
        return Map.of();
    }

    @Override
    void loadOwnSettings(Map<String, Double> hyper) {
    }
}
