package org.sparkgrad.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.RefBasics;
import org.sparkgrad.engine.RefLayers;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;

/**
 * State dicts interchange with PyTorch: safetensors files of torch 1.13 models (after a training step, so the
 * running statistics are not the initial ones) load into the same architectures built here, whose eval outputs
 * then match torch's; and our files load back into our models.
 */
class LayersInterchangeTest {
    private static Sequential cnn() {
        Generator g = new Generator(5);
        return new Sequential(
                new Conv2d(2, 3, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1, true, g),
                new BatchNorm2d(3), new ReLU(), new MaxPool2d(2), new Flatten(), new Dropout(0.3, g),
                new Linear(12, 2, true, g));
    }

    private static Sequential text() {
        Generator g = new Generator(6);
        return new Sequential(new Embedding(10, 4, 0, g), new LayerNorm(4), new GELU(), new Linear(4, 3, true, g));
    }

    private static Path resource(String name) throws Exception {
        return Paths.get(LayersInterchangeTest.class.getResource("/refdata/" + name).toURI());
    }

    private static void check(String name, Sequential model, Tensor input) throws Exception {
        JsonNode c = RefLayers.interchange(name);
        List<String> keys = new ArrayList<>();
        c.get("keys").forEach(k -> keys.add(k.asText()));
        assertEquals(keys, new ArrayList<>(model.stateDict().keySet()), name + ": PyTorch's state-dict names");
        SafeTensors.loadModule(model, resource("layers_" + name + ".safetensors"));
        model.eval();
        Tensor y = model.call(input);
        assertArrayEquals(RefLayers.shape(c.get("eval_output")), y.shape());
        assertArrayEquals(RefBasics.doubles(c.get("eval_output").get("values")), y.toArray(), 1e-5, name + " eval output");
    }

    @Test
    void torchFilesLoadAndGiveTorchsOutputs() throws Exception {
        JsonNode cnnIn = RefLayers.interchange("cnn").get("input");
        check("cnn", cnn(), Tensor.tensor(RefBasics.doubles(cnnIn.get("values")), DType.FLOAT32, RefLayers.shape(cnnIn)));
        JsonNode textIn = RefLayers.interchange("text").get("input");
        check("text", text(), Tensor.tensor(RefBasics.doubles(textIn.get("values")), DType.INT64, RefLayers.shape(textIn)));
    }

    @Test
    void ourFilesLoadBack(@TempDir Path dir) throws Exception {
        Sequential a = cnn();
        a.call(Tensor.randn(new Generator(1), 4, 2, 4, 4)); // a training step's running statistics
        Path file = dir.resolve("cnn.safetensors");
        SafeTensors.saveModule(a, file);
        Sequential b = new Sequential(
                new Conv2d(2, 3, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1, true,
                        new Generator(99)),
                new BatchNorm2d(3), new ReLU(), new MaxPool2d(2), new Flatten(), new Dropout(0.3), new Linear(12, 2));
        SafeTensors.loadModule(b, file);
        a.eval();
        b.eval();
        Tensor x = Tensor.randn(new Generator(2), 3, 2, 4, 4);
        assertArrayEquals(a.call(x).toArray(), b.call(x).toArray(), 0);
        assertEquals(1, b.stateDict().get("1.num_batches_tracked").item());
    }
}
