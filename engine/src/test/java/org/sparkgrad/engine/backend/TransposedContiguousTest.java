package org.sparkgrad.engine.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/** contiguous() of transposed views (the tiled copy), against the element-by-element definition, float and double. */
class TransposedContiguousTest {
    private static float[] values(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i * 0.5f - 7;
        }
        return v;
    }

    @Test
    void aTransposedMatrixCopiesToTheTransposeTileByTile() {
        // 70 x 90 (not a multiple of the 32 tile) transposed to 90 x 70
        float[] v = values(70 * 90);
        Tensor t = Tensor.fromArray(v, 70, 90).transpose(0, 1);
        float[] got = t.contiguous().toFloatArray();
        float[] expected = new float[v.length];
        for (int i = 0; i < 90; i++) {
            for (int j = 0; j < 70; j++) {
                expected[i * 70 + j] = v[j * 90 + i];
            }
        }
        assertArrayEquals(expected, got);
        double[] dv = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            dv[i] = v[i];
        }
        double[] dgot = Tensor.fromArray(dv, DType.FLOAT64, 70, 90).transpose(0, 1).contiguous().toArray();
        for (int i = 0; i < expected.length; i++) {
            assertTrue(dgot[i] == expected[i], "float64 element " + i);
        }
    }

    @Test
    void leadingDimensionsOffsetsAndExpandedColumnsAreHonoured() {
        // [2, 3, 50, 40] with its last two dims swapped, then a narrowed (offset) slice of it
        float[] v = values(2 * 3 * 50 * 40);
        Tensor p = Tensor.fromArray(v, 2, 3, 50, 40).permute(0, 1, 3, 2).narrow(1, 1, 2).narrow(3, 5, 40);
        float[] got = p.contiguous().toFloatArray();
        float[] expected = new float[2 * 2 * 40 * 40];
        int k = 0;
        for (int a = 0; a < 2; a++) {
            for (int b = 1; b < 3; b++) {
                for (int i = 0; i < 40; i++) {
                    for (int j = 5; j < 45; j++) {
                        expected[k++] = v[((a * 3 + b) * 50 + j) * 40 + i];
                    }
                }
            }
        }
        assertArrayEquals(expected, got);
        // a column vector expanded along the last dim (stride 0) still copies element by element
        Tensor col = Tensor.fromArray(values(5000), 5000, 1).expand(5000, 3);
        float[] e = new float[15000];
        float[] c = values(5000);
        for (int i = 0; i < 5000; i++) {
            e[3 * i] = e[3 * i + 1] = e[3 * i + 2] = c[i];
        }
        assertArrayEquals(e, col.contiguous().toFloatArray());
    }
}
