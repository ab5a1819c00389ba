package org.sparkgrad.spark.ml;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.sparkgrad.engine.Generator;
import org.sparkgrad.engine.nn.Dropout;
import org.sparkgrad.engine.nn.GELU;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.Module;
import org.sparkgrad.engine.nn.ReLU;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.nn.Sigmoid;
import org.sparkgrad.engine.nn.Tanh;
import org.sparkgrad.spark.TrainingException;

/**
 * The network's shape: layer sizes from input to output, the hidden activation, dropout, and the standardization
 * (mean and std per feature, or none). {@link #build(long)} makes {@code [Standardize ->] Linear -> act [-> Dropout]
 * -> ... -> Linear}, the same module on the driver, on the executors and when a saved model is loaded.
 *
 * @param layers input size, hidden sizes, output size
 * @param activation relu, tanh, sigmoid or gelu
 * @param dropout the dropout probability after each hidden activation
 * @param mean the features' means (null: no standardization)
 * @param std the features' standard deviations (null: no standardization)
 */
record MlpArchitecture(int[] layers, String activation, double dropout, float[] mean, float[] std)
        implements Serializable {
    MlpArchitecture {
        if (layers.length < 2) {
            throw new IllegalArgumentException("an MLP has an input and an output size, got " + Arrays.toString(layers));
        }
        if ((mean == null) != (std == null)) {
            throw new IllegalArgumentException("standardization needs both mean and std");
        }
    }

    /**
     * The module, its Linear layers initialised from Generator(seed) as PyTorch initialises nn.Linear, and its Dropout
     * layers seeded from the same generator (so the driver and every executor build the same module). Dropout is the
     * identity once the module is in eval mode, as the models score.
     */
    Module build(long seed) {
        Generator g = new Generator(seed);
        Sequential net = new Sequential();
        if (mean != null) {
            net.add(new Standardize(mean, std));
        }
        for (int i = 0; i + 1 < layers.length; i++) {
            net.add(new Linear(layers[i], layers[i + 1], true, g));
            if (i + 2 < layers.length) {
                net.add(activationLayer());
                if (dropout > 0) {
                    net.add(new Dropout(dropout, g));
                }
            }
        }
        return net;
    }

    private Module activationLayer() {
        return switch (activation) {
            case "relu" -> new ReLU();
            case "tanh" -> new Tanh();
            case "sigmoid" -> new Sigmoid();
            case "gelu" -> new GELU();
            default -> throw new TrainingException("unknown activation '" + activation + "'; expected one of "
                    + String.join("|", MlpParams.ACTIVATIONS));
        };
    }

    /** Input features. */
    int inputs() {
        return layers[0];
    }

    /** Network outputs (classes, or 1 for regression). */
    int outputs() {
        return layers[layers.length - 1];
    }

    /** The file metadata of this architecture (the standardization itself is in the tensors). */
    Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("layers", Arrays.stream(layers).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        m.put("activation", activation);
        m.put("dropout", Double.toString(dropout));
        m.put("standardize", Boolean.toString(mean != null));
        return m;
    }
}
