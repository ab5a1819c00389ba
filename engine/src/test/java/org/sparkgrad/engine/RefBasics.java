package org.sparkgrad.engine;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The torch 1.13 values of {@code refdata/basics.json}, recorded by {@code src/test/python/record_basics.py}
 * (optimizers with parameter groups, RMSprop, Adagrad, schedulers, gradient clipping, module hooks, half
 * floats). Committed, so the tests need no torch.
 */
public final class RefBasics {
    private static final JsonNode ROOT = load("/refdata/basics.json");

    private RefBasics() {
    }

    /** A section of the file ("optim", "schedulers", "clip", "hooks", "half_floats") by name. */
    public static JsonNode section(String name) {
        JsonNode n = ROOT.get(name);
        if (n == null) {
            throw new AssertionError("refdata/basics.json has no section \"" + name + "\"");
        }
        return n;
    }

    /** One case of a section. */
    public static JsonNode get(String section, String name) {
        JsonNode n = section(section).get(name);
        if (n == null) {
            throw new AssertionError("refdata/basics.json has no case \"" + section + "." + name + "\"");
        }
        return n;
    }

    /** A JSON array of numbers as doubles. */
    public static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    /** A recorded JSON resource of the test class path (NaN and Infinity allowed). */
    static JsonNode load(String resource) {
        try (InputStream in = RefBasics.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError(resource + " is not on the test class path");
            }
            return JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
