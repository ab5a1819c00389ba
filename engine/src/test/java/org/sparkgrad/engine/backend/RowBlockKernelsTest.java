package org.sparkgrad.engine.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.Tensor;

/**
 * The row-block kernels (one call for a block of short rows: a broadcast row or column vector, a
 * concatenation's halves) against the per-element plain loops and the one-row calls, bit for bit: every
 * width around the vector lengths, offsets, row strides wider than the rows, float and double.
 */
class RowBlockKernelsTest {
    private static final CpuBackend CPU = CpuBackend.INSTANCE;
    private static final int[] WIDTHS = {1, 3, 7, 8, 9, 17, 63, 64, 65, 200};
    private static final int ROWS = 11;
    /** Written where no output row lies, to see that a kernel writes only its rows. */
    private static final float UNTOUCHED = -12345.5f;

    private static float[] floats(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * 2);
        }
        // special values where most widths see them
        float[] s = {Float.NaN, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int i = 0; i < s.length && 5 * i + 2 < n; i++) {
            v[5 * i + 2] = s[i];
        }
        return v;
    }

    private static double[] widen(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i] * 1.000000119;
        }
        return d;
    }

    /**
     * The operand layouts of a block: {ra, ta, rb, tb} as row step and element step per operand, for a row of
     * width n; dense operands get rows wider than n (a gap of 3), repeated ones step one element per row.
     */
    private static int[][] layouts(int n) {
        int w = n + 3;
        return new int[][] {
            {w, 1, 0, 1},   // a + row vector
            {w, 1, 1, 0},   // a + column vector (one element per row)
            {0, 1, w, 1},   // row vector + a
            {1, 0, w, 1},   // column vector + a
            {w, 1, w, 1},   // two dense operands with gaps between rows
            {w, 1, 0, 0},   // a + one scalar
        };
    }

    private static boolean vectorised(BinaryOp op, int ta, int tb) {
        return (ta | tb) == 1 && Simd.handles(op) || ta == 1 && tb == 1 && Simd.handlesDense(op);
    }

    @Test
    void floatRowBlocksEqualThePlainLoopAndTheOneRowCalls() {
        for (BinaryOp op : BinaryOp.values()) {
            for (int n : WIDTHS) {
                for (int[] l : layouts(n)) {
                    int ra = l[0], ta = l[1], rb = l[2], tb = l[3];
                    if (!vectorised(op, ta, tb)) {
                        continue;
                    }
                    float[] a = floats(5 + ROWS * (n + 3), 31L * n + op.ordinal());
                    float[] b = floats(7 + ROWS * (n + 3), 17L * n + 1);
                    int ia = 5, ib = 7, io = 2, ro = n + 4;
                    float[] block = new float[io + ROWS * ro];
                    float[] oneRow = new float[block.length];
                    float[] plain = new float[block.length];
                    Arrays.fill(block, UNTOUCHED);
                    Arrays.fill(oneRow, UNTOUCHED);
                    Arrays.fill(plain, UNTOUCHED);
                    Simd.binary(op, a, ia, ra, ta, b, ib, rb, tb, block, io, ro, ROWS, n);
                    for (int r = 0; r < ROWS; r++) {
                        Simd.binary(op, a, ia + r * ra, ta, b, ib + r * rb, tb, oneRow, io + r * ro, n);
                        FloatKernels.plainBinary(op, a, ia + r * ra, ta, b, ib + r * rb, tb, plain, io + r * ro, 1, n);
                    }
                    String what = op + " width " + n + " layout " + Arrays.toString(l);
                    assertArrayEquals(plain, block, what + ": against the plain loop");
                    assertArrayEquals(oneRow, block, what + ": against one call per row");
                    // and the same through FloatKernels (which picks the vector loops for it)
                    float[] viaKernels = new float[block.length];
                    Arrays.fill(viaKernels, UNTOUCHED);
                    FloatKernels.binary(op, a, ia, ra, ta, b, ib, rb, tb, viaKernels, io, ro, 1, ROWS, n);
                    assertArrayEquals(plain, viaKernels, what + ": through FloatKernels");
                }
            }
        }
    }

    @Test
    void doubleRowBlocksEqualThePlainLoopAndTheOneRowCalls() {
        for (BinaryOp op : BinaryOp.values()) {
            for (int n : WIDTHS) {
                for (int[] l : layouts(n)) {
                    int ra = l[0], ta = l[1], rb = l[2], tb = l[3];
                    if (!((ta | tb) == 1 && Simd.handles(op))) {
                        continue;
                    }
                    double[] a = widen(floats(5 + ROWS * (n + 3), 37L * n + op.ordinal()));
                    double[] b = widen(floats(7 + ROWS * (n + 3), 19L * n + 2));
                    int ia = 5, ib = 7, io = 1, ro = n + 2;
                    double[] block = new double[io + ROWS * ro];
                    double[] oneRow = new double[block.length];
                    double[] plain = new double[block.length];
                    Arrays.fill(block, UNTOUCHED);
                    Arrays.fill(oneRow, UNTOUCHED);
                    Arrays.fill(plain, UNTOUCHED);
                    Simd.binary(op, a, ia, ra, ta, b, ib, rb, tb, block, io, ro, ROWS, n);
                    for (int r = 0; r < ROWS; r++) {
                        Simd.binary(op, a, ia + r * ra, ta, b, ib + r * rb, tb, oneRow, io + r * ro, n);
                        DoubleKernels.plainBinary(op, a, ia + r * ra, ta, b, ib + r * rb, tb, plain, io + r * ro, 1, n);
                    }
                    String what = op + " double width " + n + " layout " + Arrays.toString(l);
                    assertArrayEquals(plain, block, what + ": against the plain loop");
                    assertArrayEquals(oneRow, block, what + ": against one call per row");
                    double[] viaKernels = new double[block.length];
                    Arrays.fill(viaKernels, UNTOUCHED);
                    DoubleKernels.binary(op, a, ia, ra, ta, b, ib, rb, tb, viaKernels, io, ro, 1, ROWS, n);
                    assertArrayEquals(plain, viaKernels, what + ": through DoubleKernels");
                }
            }
        }
    }

    @Test
    void aRowBlockWrittenOverItsOwnOperandGivesTheOutOfPlaceResult() {
        for (int n : WIDTHS) {
            for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.DIV, BinaryOp.TANH_BACKWARD}) {
                int w = n + 1;
                float[] a = floats(ROWS * w, n);
                float[] row = floats(n, n + 5);
                float[] col = floats(ROWS, n + 6);
                float[] expectRow = new float[a.length];
                float[] expectCol = new float[a.length];
                Arrays.fill(expectRow, UNTOUCHED);
                Arrays.fill(expectCol, UNTOUCHED);
                for (int r = 0; r < ROWS; r++) {
                    FloatKernels.plainBinary(op, a, r * w, 1, row, 0, 1, expectRow, r * w, 1, n);
                    FloatKernels.plainBinary(op, a, r * w, 1, col, r, 0, expectCol, r * w, 1, n);
                    expectRow[r * w + n] = a[r * w + n];
                    expectCol[r * w + n] = a[r * w + n];
                }
                float[] inRow = a.clone();
                float[] inCol = a.clone();
                Simd.binary(op, inRow, 0, w, 1, row, 0, 0, 1, inRow, 0, w, ROWS, n);
                Simd.binary(op, inCol, 0, w, 1, col, 0, 1, 0, inCol, 0, w, ROWS, n);
                assertArrayEquals(expectRow, inRow, op + " in place with a row vector, width " + n);
                assertArrayEquals(expectCol, inCol, op + " in place with a column vector, width " + n);
            }
        }
    }

    @Test
    void broadcastBinariesThroughTheBackendEqualOneCallPerRow() {
        for (int n : WIDTHS) {
            int rows = 70;
            int[] shape = {rows, n};
            float[] av = floats(rows * n, n + 100);
            float[] rowv = floats(n, n + 101);
            float[] colv = floats(rows, n + 102);
            Strided a = Strided.contiguous(CPU.fromHost(av), shape);
            Strided row = new Strided(CPU.fromHost(rowv), 0, shape, new int[] {0, 1});
            Strided col = new Strided(CPU.fromHost(colv), 0, shape, new int[] {1, 0});
            CpuStorage ad = new CpuStorage(DType.FLOAT64, rows * n);
            CpuStorage rowd = new CpuStorage(DType.FLOAT64, n);
            CpuStorage cold = new CpuStorage(DType.FLOAT64, rows);
            System.arraycopy(widen(av), 0, ad.d, 0, rows * n);
            System.arraycopy(widen(rowv), 0, rowd.d, 0, n);
            System.arraycopy(widen(colv), 0, cold.d, 0, rows);
            Strided aD = Strided.contiguous(ad, shape);
            Strided rowD = new Strided(rowd, 0, shape, new int[] {0, 1});
            Strided colD = new Strided(cold, 0, shape, new int[] {1, 0});
            for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.MAXIMUM,
                    BinaryOp.SIGMOID_BACKWARD, BinaryOp.RELU_BACKWARD, BinaryOp.POW, BinaryOp.GT}) {
                float[][] got = new float[4][rows * n];
                double[][] gotD = new double[4][rows * n];
                CpuStorage[] outs = new CpuStorage[4];
                CpuStorage[] outsD = new CpuStorage[4];
                Strided[][] pairs = {{a, row}, {row, a}, {a, col}, {col, a}};
                Strided[][] pairsD = {{aD, rowD}, {rowD, aD}, {aD, colD}, {colD, aD}};
                for (int k = 0; k < 4; k++) {
                    outs[k] = new CpuStorage(DType.FLOAT32, rows * n);
                    CPU.binary(op, pairs[k][0], pairs[k][1], Strided.contiguous(outs[k], shape));
                    outsD[k] = new CpuStorage(DType.FLOAT64, rows * n);
                    CPU.binary(op, pairsD[k][0], pairsD[k][1], Strided.contiguous(outsD[k], shape));
                }
                for (int r = 0; r < rows; r++) {
                    // the one-row calls of before the row blocks, as reference
                    FloatKernels.binary(op, av, r * n, 1, rowv, 0, 1, got[0], r * n, 1, n);
                    FloatKernels.binary(op, rowv, 0, 1, av, r * n, 1, got[1], r * n, 1, n);
                    FloatKernels.binary(op, av, r * n, 1, colv, r, 0, got[2], r * n, 1, n);
                    FloatKernels.binary(op, colv, r, 0, av, r * n, 1, got[3], r * n, 1, n);
                    DoubleKernels.binary(op, ad.d, r * n, 1, rowd.d, 0, 1, gotD[0], r * n, 1, n);
                    DoubleKernels.binary(op, rowd.d, 0, 1, ad.d, r * n, 1, gotD[1], r * n, 1, n);
                    DoubleKernels.binary(op, ad.d, r * n, 1, cold.d, r, 0, gotD[2], r * n, 1, n);
                    DoubleKernels.binary(op, cold.d, r, 0, ad.d, r * n, 1, gotD[3], r * n, 1, n);
                }
                for (int k = 0; k < 4; k++) {
                    assertArrayEquals(got[k], outs[k].f, op + " float width " + n + " pair " + k);
                    assertArrayEquals(gotD[k], outsD[k].d, op + " double width " + n + " pair " + k);
                }
                // and the element function itself for the exact ops
                if (op == BinaryOp.ADD || op == BinaryOp.DIV) {
                    for (int i = 0; i < rows * n; i++) {
                        assertEquals((float) DoubleKernels.apply(op, av[i], rowv[i % n]), outs[0].f[i], 0, op + " at " + i);
                        assertEquals((float) DoubleKernels.apply(op, colv[i / n], av[i]), outs[3].f[i], 0, op + " at " + i);
                    }
                }
            }
        }
    }

    private static final int[] COPY_WIDTHS = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200};

    @Test
    void shortRowCopiesCopyEveryRowAndNothingElse() {
        for (int n : COPY_WIDTHS) {
            int rows = 9;
            int ra = n + 2, ro = 2 * n + 5;
            float[] a = floats(3 + rows * ra, n);
            float[] o = new float[4 + rows * ro];
            Arrays.fill(o, UNTOUCHED);
            Simd.copyRows(a, 3, ra, o, 4, ro, rows, n);
            double[] ad = widen(a);
            double[] od = new double[o.length];
            Arrays.fill(od, UNTOUCHED);
            Simd.copyRows(ad, 3, ra, od, 4, ro, rows, n);
            float[] expect = new float[o.length];
            double[] expectD = new double[o.length];
            Arrays.fill(expect, UNTOUCHED);
            Arrays.fill(expectD, UNTOUCHED);
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < n; i++) {
                    expect[4 + r * ro + i] = a[3 + r * ra + i];
                    expectD[4 + r * ro + i] = ad[3 + r * ra + i];
                }
            }
            assertArrayEquals(expect, o, "float width " + n);
            assertArrayEquals(expectD, od, "double width " + n);
        }
    }

    @Test
    void copiesIntoAConcatenationsColumnsThroughTheBackend() {
        for (int n : COPY_WIDTHS) {
            int rows = 40;
            int w = 2 * n + 1;
            float[] x = floats(rows * n, n + 7);
            float[] y = floats(rows * (n + 1), n + 8);
            CpuStorage out = new CpuStorage(DType.FLOAT32, rows * w);
            CPU.copy(Strided.contiguous(CPU.fromHost(x), new int[] {rows, n}),
                    new Strided(out, 0, new int[] {rows, n}, new int[] {w, 1}));
            CPU.copy(Strided.contiguous(CPU.fromHost(y), new int[] {rows, n + 1}),
                    new Strided(out, n, new int[] {rows, n + 1}, new int[] {w, 1}));
            CpuStorage outD = new CpuStorage(DType.FLOAT64, rows * w);
            CpuStorage xd = new CpuStorage(DType.FLOAT64, rows * n);
            CpuStorage yd = new CpuStorage(DType.FLOAT64, rows * (n + 1));
            System.arraycopy(widen(x), 0, xd.d, 0, x.length);
            System.arraycopy(widen(y), 0, yd.d, 0, y.length);
            CPU.copy(Strided.contiguous(xd, new int[] {rows, n}), new Strided(outD, 0, new int[] {rows, n}, new int[] {w, 1}));
            CPU.copy(Strided.contiguous(yd, new int[] {rows, n + 1}),
                    new Strided(outD, n, new int[] {rows, n + 1}, new int[] {w, 1}));
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < w; i++) {
                    float e = i < n ? x[r * n + i] : y[r * (n + 1) + i - n];
                    double ed = i < n ? xd.d[r * n + i] : yd.d[r * (n + 1) + i - n];
                    assertEquals(Float.floatToRawIntBits(e), Float.floatToRawIntBits(out.f[r * w + i]),
                            "float width " + n + " at " + r + "," + i);
                    assertEquals(Double.doubleToRawLongBits(ed), Double.doubleToRawLongBits(outD.d[r * w + i]),
                            "double width " + n + " at " + r + "," + i);
                }
            }
        }
    }

    @Test
    void aCopyBetweenRowsOfOneArrayTakesTheOverlapSafePath() {
        // The left columns of a matrix copied onto its right columns (short rows within one array), and one
        // run copied onto itself shifted by 5 elements (overlapping): as if through a temporary.
        int rows = 20;
        int n = 12;
        int w = 2 * n;
        float[] v = floats(rows * w, 3);
        CpuStorage s = (CpuStorage) CPU.fromHost(v.clone());
        CPU.copy(new Strided(s, 0, new int[] {rows, n}, new int[] {w, 1}), new Strided(s, n, new int[] {rows, n}, new int[] {w, 1}));
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < n; i++) {
                assertEquals(v[r * w + i], s.f[r * w + i], 0, "left at " + r + "," + i);
                assertEquals(v[r * w + i], s.f[r * w + n + i], 0, "right at " + r + "," + i);
            }
        }
        CpuStorage t = (CpuStorage) CPU.fromHost(v.clone());
        CPU.copy(new Strided(t, 0, new int[] {1, rows * w - 5}, new int[] {0, 1}),
                new Strided(t, 5, new int[] {1, rows * w - 5}, new int[] {0, 1}));
        for (int i = 5; i < rows * w; i++) {
            assertEquals(v[i - 5], t.f[i], 0, "shifted at " + i);
        }
    }

    @Test
    void catAlongTheLastDimensionOfShortRows() {
        for (int n : new int[] {1, 3, 8, 32, 65}) {
            Tensor x = Tensor.rand(33, n);
            Tensor y = Tensor.rand(33, n + 2).to(DType.FLOAT64).to(DType.FLOAT32);
            Tensor c = Tensor.cat(1, x, y);
            assertArrayEquals(new int[] {33, 2 * n + 2}, c.shape());
            float[] xv = x.toFloatArray();
            float[] yv = y.toFloatArray();
            float[] cv = c.toFloatArray();
            for (int r = 0; r < 33; r++) {
                for (int i = 0; i < 2 * n + 2; i++) {
                    float e = i < n ? xv[r * n + i] : yv[r * (n + 2) + i - n];
                    assertEquals(e, cv[r * (2 * n + 2) + i], 0, "width " + n + " at " + r + "," + i);
                }
            }
            assertTrue(c.isContiguous());
        }
    }
}
