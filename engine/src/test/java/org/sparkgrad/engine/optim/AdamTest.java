package org.sparkgrad.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.nn.Parameter;

/**
 * Adam and AdamW against torch 1.13: parameters after 5 steps on {@link Quadratic} for several settings
 * (weight decay, amsgrad, betas, eps), and PyTorch's argument checks. Expected values were recorded with the
 * snippet in {@link Quadratic}'s Javadoc and {@code make} as named in each test.
 */
class AdamTest {
    /** float64 runs agree with PyTorch to rounding; this is far tighter than the 1e-5 asked for. */
    static final double RTOL64 = 1e-10;

    private static void check(double[] expected, Function<List<Parameter>, Optimizer> make) {
        Quadratic.assertClose(expected, Quadratic.trainFive(DType.FLOAT64, make), RTOL64, "after 5 steps");
    }

    @Test
    void adamDefaults() {
        // torch.optim.Adam(p, lr=0.1)
        check(new double[] {
            0.047059558576186, 0.16486468827828688, 0.4592870380066756,
            0.5453329984530323, -0.07675874990367261, -0.4046246116009715,
            -0.08398043174548209, 0.3619227135100803, -0.0531559851238598}, p -> new Adam(p, 0.1));
    }

    @Test
    void adamWeightDecay() {
        // torch.optim.Adam(p, lr=0.1, weight_decay=0.1)
        check(new double[] {
            0.046737750776968554, 0.16471353722172863, 0.4532176508439443,
            0.5431701608075011, -0.07656119692208857, -0.3960466829715558,
            -0.08249396518243825, 0.3613919760578106, -0.05474353179526363}, p -> new Adam(p, 0.1, 0.9, 0.999, 1e-8, 0.1, false));
    }

    @Test
    void adamBeta2() {
        // torch.optim.Adam(p, lr=0.1, betas=(0.9, 0.5))
        check(new double[] {
            -0.06956209178227978, 0.2624789897833216, 0.4382144572141803,
            0.6269657806470847, -0.15396070896745975, -0.39808391511515473,
            -0.09367692736992513, 0.4617506916682699, -0.06157152570111202}, p -> new Adam(p, 0.1, 0.9, 0.5, 1e-8, 0, false));
    }

    @Test
    void adamAmsgrad() {
        // torch.optim.Adam(p, lr=0.1, betas=(0.9, 0.5), amsgrad=True)
        check(new double[] {
            0.0626603151008252, 0.14948069017112078, 0.47643967112527813,
            0.5260106766575401, -0.06655474277611151, -0.4030621479856008,
            -0.08341857706408959, 0.3457655830058483, -0.04730792347341389}, p -> new Adam(p, 0.1, 0.9, 0.5, 1e-8, 0, true));
    }

    @Test
    void adamEverySetting() {
        // torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.6), eps=1e-6, weight_decay=0.2, amsgrad=True)
        check(new double[] {
            0.2577369261217372, -0.053515051023919846, 0.5783107042031552,
            0.3435180190425225, 0.1511865745552882, -0.42203589349218085,
            -0.1112849154268259, 0.14586968692808044, -0.002673811607915782}, p -> new Adam(p, 0.05, 0.8, 0.6, 1e-6, 0.2, true));
    }

    @Test
    void adamWDefaults() {
        // torch.optim.AdamW(p, lr=0.1)
        check(new double[] {
            0.045836637437121866, 0.16531139060172162, 0.45776891309831935,
            0.5443109181476115, -0.07756720047046944, -0.4044521559101236,
            -0.08261834351059702, 0.3614129842086987, -0.05198276614408872}, p -> new AdamW(p, 0.1));
    }

    @Test
    void adamWEverySetting() {
        // torch.optim.AdamW(p, lr=0.1, betas=(0.85, 0.6), eps=1e-7, weight_decay=0.3, amsgrad=True)
        check(new double[] {
            0.03304924321776898, 0.15990578690470042, 0.4352709712313552,
            0.49487639703976466, -0.08524895115295626, -0.4018966764867659,
            -0.03308663141837067, 0.3292253010811251, -0.004518795304478178}, p -> new AdamW(p, 0.1, 0.85, 0.6, 1e-7, 0.3, true));
    }

    @Test
    void float32WithinTolerance() {
        // float32 params: torch.optim.Adam(p, lr=0.1)
        double[] adam = new double[] {
            0.0470595583319664, 0.1648646593093872, 0.45928704738616943,
            0.5453329682350159, -0.07675874978303909, -0.4046245515346527,
            -0.08398039638996124, 0.3619226813316345, -0.05315601825714111};
        Quadratic.assertClose(adam, Quadratic.trainFive(DType.FLOAT32, p -> new Adam(p, 0.1)), 1e-5, "float32 Adam");
        // float32 params: torch.optim.AdamW(p, lr=0.1, betas=(0.9, 0.5), amsgrad=True)
        double[] adamW = new double[] {
            0.06169969588518143, 0.14990587532520294, 0.4747146666049957,
            0.5249842405319214, -0.0672399178147316, -0.40278634428977966,
            -0.08221136033535004, 0.3452470898628235, -0.046329375356435776};
        Quadratic.assertClose(adamW, Quadratic.trainFive(DType.FLOAT32, p -> new AdamW(p, 0.1, 0.9, 0.5, 1e-8, 0.01, true)),
                1e-5, "float32 AdamW");
    }

    @Test
    void stateMatchesPyTorch() {
        // Same run as adamAmsgrad; then print(opt.state_dict()['state'][1]) in torch 1.13.
        Quadratic q = new Quadratic();
        Adam opt = new Adam(q.params(), 0.1, 0.9, 0.5, 1e-8, 0, true);
        q.train(opt, 5);
        OptimizerState s = opt.stateDict();
        assertEquals(List.of("state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
                "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.max_exp_avg_sq"),
                List.copyOf(s.tensors().keySet()), "u never had a gradient, so it has no state");
        assertEquals(DType.FLOAT32, s.tensors().get("state.1.step").dtype());
        assertEquals(0, s.tensors().get("state.1.step").dim());
        assertEquals(5.0, s.tensors().get("state.1.step").item());
        Quadratic.assertClose(new double[] {-0.20468704255817363, -1.053004962525984, -0.05572244126830395},
                s.tensors().get("state.1.exp_avg").toArray(), RTOL64, "exp_avg");
        Quadratic.assertClose(new double[] {1.5703560074975405, 3.563736362951099, 1.4898222913225194},
                s.tensors().get("state.1.exp_avg_sq").toArray(), RTOL64, "exp_avg_sq");
        Quadratic.assertClose(new double[] {1.5703560074975405, 14.497200007056728, 2.1631999999999993},
                s.tensors().get("state.1.max_exp_avg_sq").toArray(), RTOL64, "max_exp_avg_sq");
        assertEquals("{lr=0.1, beta1=0.9, beta2=0.5, eps=1.0E-8, weight_decay=0.0, amsgrad=1.0}", s.hyper().toString());
    }

    @Test
    void defaults() {
        List<Parameter> p = new Quadratic().params();
        Adam adam = new Adam(p);
        assertEquals(1e-3, adam.getLr());
        assertEquals(0.9, adam.getBeta1());
        assertEquals(0.999, adam.getBeta2());
        assertEquals(1e-8, adam.getEps());
        assertEquals(0.0, adam.getWeightDecay());
        assertFalse(adam.isAmsgrad());
        AdamW adamW = new AdamW(p);
        assertEquals(1e-3, adamW.getLr());
        assertEquals(1e-2, adamW.getWeightDecay());
        assertEquals(0.999, adamW.getBeta2());
        assertFalse(adamW.isAmsgrad());
        assertTrue(new AdamW(new Quadratic().named(), 0.1, 0.9, 0.99, 1e-8, 0, true).isAmsgrad());
    }

    @Test
    void argumentErrorsUsePyTorchMessages() {
        List<Parameter> p = new Quadratic().params();
        for (boolean decoupled : new boolean[] {false, true}) {
            Maker make = decoupled ? (lr, b1, b2, eps, wd) -> new AdamW(p, lr, b1, b2, eps, wd, false)
                    : (lr, b1, b2, eps, wd) -> new Adam(p, lr, b1, b2, eps, wd, false);
            Quadratic.assertMessage("Invalid learning rate: -1.0", () -> make.make(-1, 0.9, 0.999, 1e-8, 0));
            Quadratic.assertMessage("Invalid epsilon value: -1.0", () -> make.make(1e-3, 0.9, 0.999, -1, 0));
            Quadratic.assertMessage("Invalid beta parameter at index 0: 1.0", () -> make.make(1e-3, 1.0, 0.999, 1e-8, 0));
            Quadratic.assertMessage("Invalid beta parameter at index 1: -0.1", () -> make.make(1e-3, 0.9, -0.1, 1e-8, 0));
            Quadratic.assertMessage("Invalid weight_decay value: -0.01", () -> make.make(1e-3, 0.9, 0.999, 1e-8, -0.01));
        }
    }

    private interface Maker {
        Optimizer make(double lr, double beta1, double beta2, double eps, double weightDecay);
    }
}
