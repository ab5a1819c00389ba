package org.sparkgrad.engine.optim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/**
 * The moment estimates and the bias-corrected update shared by {@link Adam} and {@link AdamW} (torch 1.13's
 * {@code _single_tensor_adam} after the weight decay), and their settings' checks.
 */
final class AdamUpdate {
    static final String STEP = "step";
    static final String EXP_AVG = "exp_avg";
    static final String EXP_AVG_SQ = "exp_avg_sq";
    static final String MAX_EXP_AVG_SQ = "max_exp_avg_sq";

    private AdamUpdate() {
    }

    /** The settings of Adam-style optimizers, checked as PyTorch checks them. */
    record Settings(double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        Settings {
            if (!(eps >= 0) || Double.isInfinite(eps)) {
                throw new IllegalArgumentException("Invalid epsilon value: " + eps);
            }
            if (!(beta1 >= 0 && beta1 < 1)) {
                throw new IllegalArgumentException("Invalid beta parameter at index 0: " + beta1);
            }
            if (!(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("Invalid beta parameter at index 1: " + beta2);
            }
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay);
            }
        }

        /** Settings read from a state dict's hyper-parameters. */
        static Settings of(Map<String, Double> hyper) {
            return new Settings(hyper.get("beta1"), hyper.get("beta2"), hyper.get("eps"), hyper.get("weight_decay"),
                    Optimizer.flag("amsgrad", hyper.get("amsgrad")));
        }

        /** The settings by PyTorch's names (betas split into beta1 and beta2), after the given lr. */
        Map<String, Double> toMap(double lr) {
            Map<String, Double> h = new LinkedHashMap<>();
            h.put(Optimizer.LR, lr);
            h.put("beta1", beta1);
            h.put("beta2", beta2);
            h.put("eps", eps);
            h.put("weight_decay", weightDecay);
            h.put("amsgrad", amsgrad ? 1.0 : 0.0);
            return h;
        }
    }

    /** The buffers each parameter keeps, in the order {@link #initState} creates them. */
    static Set<String> stateKeys(boolean amsgrad) {
        Set<String> keys = new LinkedHashSet<>(List.of(STEP, EXP_AVG, EXP_AVG_SQ));
        if (amsgrad) {
            keys.add(MAX_EXP_AVG_SQ);
        }
        return Collections.unmodifiableSet(keys);
    }

    /** Creates the state on a parameter's first step: a float32 step count of 0 and zeroed moments. */
    static void initState(Tensor param, Map<String, Tensor> state, boolean amsgrad) {
        if (state.isEmpty()) {
            state.put(STEP, Tensor.scalar(0, DType.FLOAT32));
            state.put(EXP_AVG, Tensor.zerosLike(param));
            state.put(EXP_AVG_SQ, Tensor.zerosLike(param));
            if (amsgrad) {
                state.put(MAX_EXP_AVG_SQ, Tensor.zerosLike(param));
            }
        }
    }

    /** Adds one to the step count and returns it. */
    static double incrementStep(Map<String, Tensor> state) {
        Tensor step = state.get(STEP);
        step.add_(1);
        return step.item();
    }

    /**
     * Updates the moments with gradient g and moves param by
     * {@code -lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)} (v: the running maximum with
     * amsgrad). {@code gIsScratch} says g is a temporary this method may overwrite.
     */
    static void apply(Tensor param, Tensor g, boolean gIsScratch, Map<String, Tensor> state, double step, double lr,
            Settings s) {
        Tensor expAvg = state.get(EXP_AVG);
        Tensor expAvgSq = state.get(EXP_AVG_SQ);
        expAvg.mul_(s.beta1()).add_(g, 1 - s.beta1());
        // One temporary serves as g*g and then as m / denom.
        Tensor scratch = gIsScratch ? g : Tensor.zerosLike(param).copy_(g);
        scratch.mul_(scratch);
        expAvgSq.mul_(s.beta2()).add_(scratch, 1 - s.beta2());

        double biasCorrection1 = 1 - Math.pow(s.beta1(), step);
        double biasCorrection2 = 1 - Math.pow(s.beta2(), step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.sqrt(biasCorrection2);

        Tensor second = expAvgSq;
        if (s.amsgrad()) {
            Tensor max = state.get(MAX_EXP_AVG_SQ);
            // torch.maximum: keeps NaN, which enters exp_avg_sq first and stays there.
            max.copy_(Tensor.where(max.ge(expAvgSq), max, expAvgSq));
            second = max;
        }
        Tensor denom = second.sqrt().div_(biasCorrection2Sqrt).add_(s.eps());
        param.add_(scratch.copy_(expAvg).div_(denom), -stepSize);
    }
}
