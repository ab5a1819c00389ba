package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.nn.Parameter;

/** {@link ParameterLayout} against the parameters written out one element at a time. */
class ParameterLayoutTest {
    /** Parameters of shapes [2, 3], [3], [] (a scalar), [0, 4] (empty) and [2, 1, 2], valued 100 * p + element. */
    private static Map<String, Parameter> params() {
        int[][] shapes = {{2, 3}, {3}, {}, {0, 4}, {2, 1, 2}};
        String[] names = {"fc.weight", "fc.bias", "scale", "unused", "conv.weight"};
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (int p = 0; p < shapes.length; p++) {
            int n = 1;
            for (int d : shapes[p]) {
                n *= d;
            }
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = 100 * p + i;
            }
            out.put(names[p], new Parameter(Tensor.tensor(v, shapes[p])));
        }
        return out;
    }

    /** "name[i]" for every element, in order: the flat vector spelled out. */
    private static List<String> elements(Map<String, Parameter> params) {
        List<String> out = new ArrayList<>();
        params.forEach((name, p) -> {
            float[] v = p.detach().toFloatArray();
            for (int i = 0; i < v.length; i++) {
                out.add(name + "[" + i + "]");
            }
        });
        return out;
    }

    @Test
    void offsetsSizesAndElementNamesFollowNamedParameterOrder() {
        Map<String, Parameter> named = params();
        ParameterLayout layout = ParameterLayout.of(named);
        List<String> elements = elements(named);
        assertEquals(6 + 3 + 1 + 0 + 4, layout.total);
        assertEquals(elements.size(), layout.total);
        assertArrayEquals(new String[] {"fc.weight", "fc.bias", "scale", "unused", "conv.weight"}, layout.names);
        assertArrayEquals(new int[] {0, 6, 9, 10, 10}, layout.offsets);
        int[] sizes = {6, 3, 1, 0, 4};
        for (int p = 0; p < sizes.length; p++) {
            assertEquals(sizes[p], layout.size(p), "size of " + layout.names[p]);
            assertArrayEquals(named.get(layout.names[p]).shape(), layout.shapes[p], "shape of " + layout.names[p]);
        }
        for (int i = 0; i < layout.total; i++) {
            assertEquals(elements.get(i), layout.element(i), "flat index " + i);
        }
        assertEquals("flat index 14 is outside the 14 parameter values",
                assertThrows(IndexOutOfBoundsException.class, () -> layout.element(14)).getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> layout.element(-1));
    }

    @Test
    void flattenLoadAndSliceMoveTheSameValues() {
        Map<String, Parameter> named = params();
        ParameterLayout layout = ParameterLayout.of(named);
        List<Parameter> list = new ArrayList<>(named.values());
        float[] expected = new float[layout.total];
        int at = 0;
        for (Parameter p : list) {
            for (float v : p.detach().toFloatArray()) {
                expected[at++] = v;
            }
        }
        float[] flat = layout.flatten(list);
        assertArrayEquals(expected, flat);

        for (int i = 0; i < flat.length; i++) {
            flat[i] = -i;
        }
        layout.load(list, flat);
        at = 0;
        for (int p = 0; p < list.size(); p++) {
            float[] v = list.get(p).detach().toFloatArray();
            for (int i = 0; i < v.length; i++) {
                assertEquals(-(at + i), v[i], layout.names[p] + "[" + i + "]");
            }
            Tensor slice = layout.slice(flat, p);
            assertArrayEquals(layout.shapes[p], slice.shape());
            assertArrayEquals(v, slice.toFloatArray(), "slice " + p);
            at += v.length;
        }
        assertEquals("the broadcast parameter vector has 13 values, the model needs 14",
                assertThrows(TrainingException.class, () -> layout.load(list, new float[13])).getMessage());
    }

    @Test
    void sharedParametersAreViewsOfTheFlatVector() {
        Map<String, Parameter> named = params();
        List<Parameter> list = new ArrayList<>(named.values());
        ParameterLayout layout = ParameterLayout.of(named);
        float[] flat = new float[layout.total];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = 0.5f * i - 3;
        }
        Map<String, Parameter> loaded = params();
        List<Parameter> copies = new ArrayList<>(loaded.values());
        layout.load(copies, flat);
        layout.share(list, flat);
        for (int p = 0; p < list.size(); p++) {
            assertArrayEquals(layout.shapes[p], list.get(p).shape());
            assertArrayEquals(copies.get(p).detach().toFloatArray(), list.get(p).detach().toFloatArray(), "parameter " + p);
        }
        // a computation on the shared parameters gives bitwise that on copies
        assertArrayEquals(copies.get(0).matmul(copies.get(1).reshape(3, 1)).toFloatArray(),
                list.get(0).matmul(list.get(1).reshape(3, 1)).toFloatArray());
        flat[layout.offsets[1] + 2] = 42f; // no copy: the vector's later values show
        assertEquals(42f, list.get(1).detach().toFloatArray()[2]);
        assertEquals(layout.total, layout.flatten(list).length);
        assertArrayEquals(flat, layout.flatten(list));
        assertEquals("the broadcast parameter vector has 13 values, the model needs 14",
                assertThrows(TrainingException.class, () -> layout.share(list, new float[13])).getMessage());
    }

    @Test
    void mismatchNamesEveryDifferenceWithBothShapes() {
        ParameterLayout driver = ParameterLayout.of(params());
        assertNull(driver.mismatch(ParameterLayout.of(params())));
        Map<String, Parameter> other = new LinkedHashMap<>();
        other.put("fc.weight", new Parameter(Tensor.zeros(3, 2)));
        other.put("fc.bias", new Parameter(Tensor.zeros(3)));
        other.put("offset", new Parameter(Tensor.scalar(0, DType.FLOAT32)));
        assertEquals("the model built on the executor differs from the driver's (parameter 0: driver fc.weight [2, 3],"
                + " executor fc.weight [3, 2]; parameter 2: driver scale [], executor offset []; parameter 3: driver"
                + " unused [0, 4], executor (none); parameter 4: driver conv.weight [2, 1, 2], executor (none)); the model"
                + " factory must build the same model on the driver and on every executor",
                driver.mismatch(ParameterLayout.of(other)));
    }

    @Test
    void modelsTheTrainerCannotShipAreRefused() {
        assertEquals("the model has no parameters to train",
                assertThrows(TrainingException.class, () -> ParameterLayout.of(Map.of())).getMessage());
        Map<String, Parameter> doubles = new LinkedHashMap<>();
        doubles.put("w", new Parameter(Tensor.zeros(DType.FLOAT64, 2)));
        assertEquals("parameter 'w' is float64; the trainer ships parameters as float32 (build the model in float32)",
                assertThrows(TrainingException.class, () -> ParameterLayout.of(doubles)).getMessage());
    }
}
