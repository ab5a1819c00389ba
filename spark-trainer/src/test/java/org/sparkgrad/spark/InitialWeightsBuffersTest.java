package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.engine.nn.BatchNorm1d;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.Sequential;

/** InitialWeights on models with buffers (BatchNorm) and on float64 files, without Spark. */
class InitialWeightsBuffersTest {
    private static Module net(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(new Linear(2, 3, true, g), new BatchNorm1d(3));
    }

    /** A model whose parameters and running statistics differ from a fresh one's. */
    private static Module trained() {
        Module m = net(1);
        m.call(Tensor.tensor(new float[] {1, 2, -3, 4, 5, 0.5f, 2, -1}, 4, 2));
        return m;
    }

    private static void assertSameState(Module want, Module got) {
        want.stateDict().forEach((k, v) -> assertArrayEquals(v.toArray(), got.stateDict().get(k).toArray(), 0, k));
    }

    @Test
    void aSavedStateDictWithRunningStatisticsLoads(@TempDir Path dir) throws Exception {
        Module a = trained();
        Path file = dir.resolve("model.safetensors");
        SafeTensors.saveModule(a, file);
        Module b = net(2);
        InitialWeights.loadInto(b, file.toString());
        assertSameState(a, b);
        assertEquals(1L, (long) b.stateDict().get("1.num_batches_tracked").item());
    }

    @Test
    void aFileOfParametersOnlyLeavesTheBuffersAsTheyAre(@TempDir Path dir) throws Exception {
        Module a = trained();
        Path file = dir.resolve("params.safetensors");
        SafeTensors.save(new LinkedHashMap<>(a.namedParameters()), file);
        Module b = net(2);
        InitialWeights.loadInto(b, file.toString());
        a.namedParameters().forEach((k, v) -> assertArrayEquals(v.toArray(), b.namedParameters().get(k).toArray(), 0, k));
        assertArrayEquals(new double[] {0, 0, 0}, b.stateDict().get("1.running_mean").toArray(), 0);
    }

    @Test
    void float64ValuesAreConvertedToTheModelsDtype(@TempDir Path dir) throws Exception {
        Module a = trained();
        Map<String, Tensor> f64 = new LinkedHashMap<>();
        a.namedParameters().forEach((k, v) -> f64.put(k, v.detach().to(DType.FLOAT64)));
        Path file = dir.resolve("f64.safetensors");
        SafeTensors.save(f64, file);
        Module b = net(2);
        InitialWeights.loadInto(b, file.toString());
        assertEquals(DType.FLOAT32, b.namedParameters().get("0.weight").dtype());
        a.namedParameters().forEach((k, v) -> assertArrayEquals(v.toArray(), b.namedParameters().get(k).toArray(), 0, k));
    }

    @Test
    void aBufferOfTheWrongShapeIsNamed(@TempDir Path dir) throws Exception {
        Map<String, Tensor> state = new LinkedHashMap<>(trained().stateDict());
        state.put("1.running_var", Tensor.ones(4));
        Path file = dir.resolve("bad.safetensors");
        SafeTensors.save(state, file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InitialWeights.loadInto(net(2), file.toString()));
        assertEquals("the initial weights " + file + " do not fit the model (0.weight [3, 2], 0.bias [3], 1.weight [3], "
                + "1.bias [3]): 1.running_var: expected shape [3] (a buffer), found [4]", e.getMessage());
    }
}
