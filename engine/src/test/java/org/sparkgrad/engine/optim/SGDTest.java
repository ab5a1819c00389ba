package org.sparkgrad.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.nn.Parameter;

/**
 * SGD against torch 1.13: parameters after 5 steps on {@link Quadratic} for every setting, and PyTorch's
 * argument checks. Expected values were recorded with the snippet in {@link Quadratic}'s Javadoc and
 * {@code make} as named in each test, e.g. {@code lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)}.
 */
class SGDTest {
    /** float64 runs agree with PyTorch to rounding; this is far tighter than the 1e-5 asked for. */
    static final double RTOL64 = 1e-10;

    private static void check(double[] expected, Function<List<Parameter>, Optimizer> make) {
        Quadratic.assertClose(expected, Quadratic.trainFive(DType.FLOAT64, make), RTOL64, "after 5 steps");
    }

    @Test
    void plain() {
        // torch.optim.SGD(p, lr=0.05)
        check(new double[] {
            -0.008378564418357111, 0.1848837308243808, 0.5486396835095114,
            0.4204838465037131, -0.07626210178005631, -0.4661326532635654,
            0.10802027269410001, 0.2812567493182, 0.0909054779106}, p -> new SGD(p, 0.05));
    }

    @Test
    void momentum() {
        // torch.optim.SGD(p, lr=0.05, momentum=0.9)
        check(new double[] {
            -0.3238345807034372, 0.16681757683522086, 0.5224323949782315,
            0.7206369563575933, -0.5865904049382964, -0.2792946543314854,
            0.4841110893741, 0.31303276887820003, 0.1812634179906}, p -> new SGD(p, 0.05, 0.9));
    }

    @Test
    void momentumWithDampening() {
        // torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.5)
        check(new double[] {
            -0.41886277242860737, 0.5371731149248539, 0.37221774438998445,
            0.7914584863495421, -0.6403909944483837, -0.286540605500013,
            0.19047390970338127, 0.5502713158023874, 0.032307143329412556}, p -> new SGD(p, 0.05, 0.9, 0.5, 0, false));
    }

    @Test
    void nesterov() {
        // torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)
        check(new double[] {
            -0.29112147428008633, 0.17027642843882002, 0.4971752736308076,
            0.4312760541178426, -0.1368589926717413, -0.45096204535496376,
            0.45948804641445623, 0.3459994591951481, 0.14513695542602545}, p -> new SGD(p, 0.05, 0.9, 0, 0, true));
    }

    @Test
    void momentumWithWeightDecay() {
        // torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.1)
        check(new double[] {
            -0.3187759126966197, 0.16194613741732064, 0.5142470384200064,
            0.7104061192077257, -0.5769398759017088, -0.27253961182851044,
            0.4883987544501939, 0.30423996200976255, 0.18886869473997497}, p -> new SGD(p, 0.05, 0.9, 0, 0.1, false));
    }

    @Test
    void nesterovWithWeightDecay() {
        // torch.optim.SGD(p, lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True)
        check(new double[] {
            -0.2316928314502851, 0.17775397232594042, 0.49817816053771924,
            0.4304066041212185, -0.1302838782555306, -0.446211057271355,
            0.3819795817508187, 0.32945222004424024, 0.13746546681965244}, p -> new SGD(p, 0.05, 0.8, 0, 0.1, true));
    }

    @Test
    void weightDecayWithoutMomentum() {
        // torch.optim.SGD(p, lr=0.05, weight_decay=0.1)
        check(new double[] {
            -0.009132069755339619, 0.18460236089188078, 0.5423730646244864,
            0.41724697946564565, -0.07592151169786883, -0.46078550868579043,
            0.10916196943269375, 0.2788308158247625, 0.09232898090997499}, p -> new SGD(p, 0.05, 0, 0, 0.1, false));
    }

    @Test
    void float32NesterovWithinTolerance() {
        // float32 params: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)
        double[] expected = new double[] {
            -0.2911214530467987, 0.1702764481306076, 0.49717527627944946,
            0.43127602338790894, -0.1368589550256729, -0.45096203684806824,
            0.45948800444602966, 0.34599941968917847, 0.1451369822025299};
        Quadratic.assertClose(expected, Quadratic.trainFive(DType.FLOAT32, p -> new SGD(p, 0.05, 0.9, 0, 0, true)), 1e-5,
                "float32 after 5 steps");
    }

    @Test
    void argumentErrorsUsePyTorchMessages() {
        List<Parameter> p = new Quadratic().params();
        Quadratic.assertMessage("Invalid learning rate: -0.1", () -> new SGD(p, -0.1));
        Quadratic.assertMessage("Invalid learning rate: NaN", () -> new SGD(p, Double.NaN));
        Quadratic.assertMessage("Invalid momentum value: -0.5", () -> new SGD(p, 0.1, -0.5));
        Quadratic.assertMessage("Invalid weight_decay value: -1.0", () -> new SGD(p, 0.1, 0, 0, -1, false));
        Quadratic.assertMessage("Nesterov momentum requires a momentum and zero dampening",
                () -> new SGD(p, 0.1, 0, 0, 0, true));
        Quadratic.assertMessage("Nesterov momentum requires a momentum and zero dampening",
                () -> new SGD(p, 0.1, 0.9, 0.1, 0, true));
    }

    @Test
    void settingsAndHyperParameters() {
        Quadratic q = new Quadratic();
        SGD opt = new SGD(q.named(), 0.1, 0.9, 0, 0.01, true);
        assertEquals(0.1, opt.getLr());
        assertEquals(0.9, opt.getMomentum());
        assertEquals(0.0, opt.getDampening());
        assertEquals(0.01, opt.getWeightDecay());
        assertTrue(opt.isNesterov());
        assertEquals("{lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=1.0}",
                opt.stateDict().hyper().toString());
        assertEquals(List.of("fc.weight", "fc.bias", "unused"), opt.parameterNames());
        SGD plain = new SGD(q.params(), 0.03);
        assertEquals(List.of("0", "1", "2"), plain.parameterNames());
        assertEquals(0.0, plain.getMomentum());
        assertFalse(plain.isNesterov());
    }

    @Test
    void momentumBufferIsTheFirstGradientThenDecays() {
        // Hand computation with a constant gradient g = 2 (loss = 2 * p): buf1 = g (no dampening on the first
        // step), buf2 = 0.9 * 2 + 0.5 * 2 = 2.8; p = 1 - 0.1 * 2 - 0.1 * 2.8 = 0.52.
        Parameter p = new Parameter(org.sparkgrad.engine.Tensor.tensor(new double[] {1}, DType.FLOAT64, 1));
        SGD opt = new SGD(List.of(p), 0.1, 0.9, 0.5, 0, false);
        for (int i = 0; i < 2; i++) {
            opt.zeroGrad();
            p.mul(2).sum().backward();
            opt.step();
        }
        assertEquals(0.52, p.item(), 1e-15);
        assertEquals(2.8, opt.stateDict().tensors().get("state.0.momentum_buffer").item(), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> opt.setLr(-1));
    }
}
