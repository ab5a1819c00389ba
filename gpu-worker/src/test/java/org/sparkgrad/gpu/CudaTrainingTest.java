package org.sparkgrad.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Device;
import org.sparkgrad.engine.Devices;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.GradMode;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.data.DataLoader;
import org.sparkgrad.engine.data.TensorDataset;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.MSELoss;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.optim.SGD;

/**
 * The seed trainings on CUDA reach the parameters they reach on the CPU: the seed's two-layer network
 * (64 x 1000 -> 100 -> 10, hand-written SGD on autograd gradients) and d2l's linear regression
 * (Linear(2, 1), MSELoss, SGD 0.03, batch 10). Skipped (reported as skipped) without a usable GPU.
 */
class CudaTrainingTest {
    private static final Device CUDA = Device.cuda(0);

    @BeforeEach
    void needsCuda() {
        assumeTrue(Devices.cudaAvailable(), () -> "no usable CUDA device: " + Devices.unavailableReason(CUDA));
    }

    /** The seed's network trained for some steps on a device; returns the final parameters and losses. */
    private static List<float[]> seedMlp(Device d, int steps, List<Double> losses) {
        Generator g = new Generator(0);
        Tensor x = Tensor.randn(g, 64, 1000).to(d);
        Tensor y = Tensor.randn(g, 64, 10).to(d);
        Tensor[] params = {Tensor.randn(g, 1000, 100), Tensor.randn(g, 1, 100), Tensor.randn(g, 100, 10),
            Tensor.randn(g, 1, 10)};
        for (int i = 0; i < params.length; i++) {
            params[i] = params[i].to(d).requiresGrad_();
        }
        for (int s = 0; s < steps; s++) {
            Tensor loss = x.mm(params[0]).add(params[1]).clampMin(0).mm(params[2]).add(params[3]).sub(y).pow(2).sum();
            loss.backward();
            losses.add(loss.item());
            try (GradMode.Scope ng = GradMode.noGrad()) {
                for (Tensor p : params) {
                    assertEquals(d, p.grad().device());
                    p.sub_(p.grad().mul(1e-6));
                    p.grad().zero_();
                }
            }
        }
        List<float[]> out = new ArrayList<>();
        for (Tensor p : params) {
            out.add(p.toFloatArray());
        }
        return out;
    }

    @Test
    void theSeedNetworkTrainsToTheCpuParameters() {
        List<Double> cpuLoss = new ArrayList<>();
        List<Double> gpuLoss = new ArrayList<>();
        List<float[]> cpu = seedMlp(Device.CPU, 50, cpuLoss);
        List<float[]> gpu = seedMlp(CUDA, 50, gpuLoss);
        assertTrue(gpuLoss.get(49) < gpuLoss.get(0), "the loss falls on the GPU: " + gpuLoss);
        for (int s = 0; s < cpuLoss.size(); s++) {
            assertEquals(cpuLoss.get(s), gpuLoss.get(s), 1e-4 * Math.abs(cpuLoss.get(s)), "loss at step " + s);
        }
        for (int i = 0; i < cpu.size(); i++) {
            assertClose(cpu.get(i), gpu.get(i), 1e-4, "parameter " + i);
        }
    }

    @Test
    void d2lLinearRegressionTrainsToTheCpuParameters() {
        float[][] result = new float[2][];
        for (int run = 0; run < 2; run++) {
            Device d = run == 0 ? Device.CPU : CUDA;
            Generator g = new Generator(0);
            Tensor features = Tensor.randn(g, 1000, 2);
            Tensor labels = features.mv(Tensor.of(2f, -3.4f)).add(4.2).add(Tensor.normal(0, 0.01, g, 1000)).reshape(-1, 1);
            Sequential net = new Sequential(new Linear(2, 1, true, new Generator(1)));
            net.to(d);
            MSELoss loss = new MSELoss();
            SGD opt = new SGD(net.parameters(), 0.03);
            for (int epoch = 0; epoch < 3; epoch++) {
                for (Tensor[] batch : new DataLoader(new TensorDataset(features, labels), 10, true, 7 + epoch)) {
                    Tensor l = loss.forward(net.forward(batch[0].to(d)), batch[1].to(d));
                    opt.zeroGrad();
                    l.backward();
                    opt.step();
                }
            }
            assertEquals(d, net.parameters().get(0).device());
            float[] w = net.parameters().get(0).toFloatArray();
            float[] b = net.parameters().get(1).toFloatArray();
            result[run] = new float[] {w[0], w[1], b[0]};
        }
        assertClose(result[0], result[1], 1e-4, "w and b");
        assertEquals(2.0, result[1][0], 0.01);
        assertEquals(-3.4, result[1][1], 0.01);
        assertEquals(4.2, result[1][2], 0.01);
    }

    private static void assertClose(float[] expected, float[] actual, double rtol, String what) {
        assertEquals(expected.length, actual.length, what);
        double max = 0;
        for (float v : expected) {
            max = Math.max(max, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            double tol = rtol * (Math.abs(expected[i]) + max);
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol, what + "[" + i + "]: cpu " + expected[i] + ", cuda " + actual[i]);
        }
    }
}
