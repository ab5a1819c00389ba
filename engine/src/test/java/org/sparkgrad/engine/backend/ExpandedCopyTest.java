package org.sparkgrad.engine.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/** contiguous() of views with a stride-0 (broadcast) innermost dimension, the fill path of the copy, and the gradients made by it. */
class ExpandedCopyTest {
    private static float[] values(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i * 0.25f - 3;
        }
        return v;
    }

    @Test
    void anExpandedScalarFillsEveryElement() {
        Tensor s = Tensor.fromArray(new float[] {2.5f}, 1, 1).expand(300, 70);
        float[] got = s.contiguous().toFloatArray();
        assertEquals(300 * 70, got.length);
        for (int i = 0; i < got.length; i++) {
            assertEquals(2.5f, got[i], "element " + i);
        }
        double[] d = Tensor.fromArray(new double[] {-1.75}, DType.FLOAT64, 1).expand(4, 1000).contiguous().toArray();
        assertEquals(4000, d.length);
        for (int i = 0; i < d.length; i++) {
            assertEquals(-1.75, d[i], "float64 element " + i);
        }
    }

    @Test
    void eachRowFillsWithItsOwnValueFromAnOffsetSource() {
        // a [6000, 1] column, narrowed to rows 7..5006 (an offset), expanded along the last dim
        float[] c = values(6000);
        Tensor col = Tensor.fromArray(c, 6000, 1).narrow(0, 7, 5000).expand(5000, 64);
        float[] expected = new float[5000 * 64];
        for (int i = 0; i < 5000; i++) {
            for (int j = 0; j < 64; j++) {
                expected[i * 64 + j] = c[i + 7];
            }
        }
        assertArrayEquals(expected, col.contiguous().toFloatArray());
        double[] dc = new double[6000];
        for (int i = 0; i < dc.length; i++) {
            dc[i] = c[i];
        }
        double[] dgot = Tensor.fromArray(dc, DType.FLOAT64, 6000, 1).narrow(0, 7, 5000).expand(5000, 64).contiguous()
                .toArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], dgot[i], "float64 element " + i);
        }
        // expanded along a middle dim too: [3, 1, 1] -> [3, 4, 50]
        Tensor m = Tensor.fromArray(new float[] {1, 2, 3}, 3, 1, 1).expand(3, 4, 50);
        float[] mg = m.contiguous().toFloatArray();
        for (int i = 0; i < mg.length; i++) {
            assertEquals(1 + i / 200, mg[i], "element " + i);
        }
    }

    @Test
    void rowsOfEveryWidthAroundTheVectorLengthFillFromAStridedColumn() {
        // column 2 of a [700, 5] matrix (rows 5 apart) expanded to widths below, at and between vector lengths
        float[] c = values(700 * 5);
        for (int width : new int[] {3, 7, 8, 9, 16, 21, 33}) {
            Tensor col = Tensor.fromArray(c, 700, 5).narrow(1, 2, 1);
            float[] got = col.expand(700, width).contiguous().toFloatArray();
            double[] dgot = Tensor.fromArray(c, 700, 5).to(DType.FLOAT64).narrow(1, 2, 1).expand(700, width).contiguous()
                    .toArray();
            for (int r = 0; r < 700; r++) {
                for (int j = 0; j < width; j++) {
                    assertEquals(c[r * 5 + 2], got[r * width + j], "width " + width + " element [" + r + ", " + j + "]");
                    assertEquals(c[r * 5 + 2], dgot[r * width + j], "float64 width " + width + " [" + r + ", " + j + "]");
                }
            }
        }
    }

    @Test
    void sumAndMeanGradientsAreTheUpstreamGradientEverywhere() {
        Tensor x = Tensor.fromArray(values(1024 * 64), 1024, 64).requiresGrad_();
        x.sum().backward(Tensor.fromArray(new float[] {0.75f}));
        float[] g = x.grad().toFloatArray();
        assertArrayEquals(new int[] {1024, 64}, x.grad().shape());
        for (int i = 0; i < g.length; i++) {
            assertEquals(0.75f, g[i], "sum gradient " + i);
        }
        x.setGrad(null);
        Tensor up = Tensor.fromArray(values(1024), 1024);
        x.sum(1).backward(up);
        float[] u = values(1024);
        g = x.grad().toFloatArray();
        for (int i = 0; i < g.length; i++) {
            assertEquals(u[i / 64], g[i], "sum(1) gradient " + i);
        }
        x.setGrad(null);
        x.mean().backward();
        g = x.grad().toFloatArray();
        for (int i = 0; i < g.length; i++) {
            assertEquals(1f / (1024 * 64), g[i], 1e-12f, "mean gradient " + i);
        }
    }
}
