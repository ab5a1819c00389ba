package org.sparkgrad.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exp, log, tanh and sigmoid loops of {@link Simd} (through {@link VectorMath}), float and double: within 2
 * ulp of StrictMath on every 997th float bit pattern and on 2^22 random double ones (sigmoid: 3, of the formula),
 * exact on the special values, and (with float pow) the same bits whether the JIT has compiled them with C2 or
 * not: two child JVMs, one stopped at C1, where the Vector API runs its Java definition per lane, one with C2 only.
 */
class VectorMathTest {
    private static final UnaryOp[] OPS = {UnaryOp.EXP, UnaryOp.LOG, UnaryOp.TANH, UnaryOp.SIGMOID};

    private static DoubleUnaryOperator reference(UnaryOp op) {
        return switch (op) {
            case EXP -> StrictMath::exp;
            case LOG -> StrictMath::log;
            case TANH -> StrictMath::tanh;
            // in float, as the loop computes it: where e^-x overflows a float, sigmoid is 0, not a subnormal
            case SIGMOID -> x -> 1f / (1f + (float) StrictMath.exp(-x));
            default -> throw new IllegalArgumentException(op.toString());
        };
    }

    /** Distance in representable floats (0 for two NaNs, huge for one NaN). */
    private static long ulps(float a, float b) {
        if (Float.isNaN(a) || Float.isNaN(b)) {
            return Float.isNaN(a) && Float.isNaN(b) ? 0 : Long.MAX_VALUE;
        }
        return Math.abs(ordered(a) - ordered(b));
    }

    private static long ordered(float f) {
        int bits = Float.floatToRawIntBits(f);
        return bits < 0 ? (long) Integer.MIN_VALUE - bits : bits;
    }

    @Test
    void everyNineHundredNinetySeventhBitPatternIsWithinTwoUlpOfStrictMathThreeForSigmoid() {
        int n = (int) ((1L << 32) / 997) + 1;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = Float.intBitsToFloat((int) (i * 997L));
        }
        float[] o = new float[n];
        for (UnaryOp op : OPS) {
            Simd.unary(op, x, 0, o, 0, n);
            DoubleUnaryOperator ref = reference(op);
            long worst = 0;
            int at = 0;
            for (int i = 0; i < n; i++) {
                long d = ulps(o[i], (float) ref.applyAsDouble(x[i]));
                if (d > worst) {
                    worst = d;
                    at = i;
                }
            }
            // sigmoid rounds e^-x, 1 + e^-x and the quotient: one more ulp than exp alone
            assertTrue(worst <= (op == UnaryOp.SIGMOID ? 3 : 2), op + ": " + worst + " ulp at x = " + x[at]
                    + " (" + o[at] + " vs " + (float) ref.applyAsDouble(x[at]) + ")");
        }
    }

    private static long ulps(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.isNaN(a) && Double.isNaN(b) ? 0 : Long.MAX_VALUE;
        }
        long ia = Double.doubleToRawLongBits(a);
        long ib = Double.doubleToRawLongBits(b);
        ia = ia < 0 ? Long.MIN_VALUE - ia : ia;
        ib = ib < 0 ? Long.MIN_VALUE - ib : ib;
        return Math.abs(ia - ib);
    }

    @Test
    void randomDoubleBitPatternsAndSpecialValuesAreWithinTwoUlpOfStrictMathThreeForSigmoid() {
        double[] special = {0, -0.0, 1, -1, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN,
            Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, 709.7, 709.8, 710.5, -708.4,
            -745.1, -745.2, -746.5, 19.1, -19.1, 0.625, -0.625, 1e-200, -1e-200};
        int n = (1 << 22) + special.length;
        double[] x = new double[n];
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < n; i++) {
            // half any bit pattern, half |x| < 64 (where the functions are not simply 0, 1 or inf)
            x[i] = i < special.length ? special[i]
                    : i % 2 == 0 ? Double.longBitsToDouble(r.nextLong())
                    : (r.nextDouble() * 2 - 1) * Math.scalb(1.0, r.nextInt(40) - 34);
        }
        double[] o = new double[n];
        for (UnaryOp op : OPS) {
            Simd.unary(op, x, 0, o, 0, n);
            for (int i = 0; i < n; i++) {
                double want = op == UnaryOp.SIGMOID ? 1 / (1 + StrictMath.exp(-x[i]))
                        : reference(op).applyAsDouble(x[i]);
                long d = ulps(o[i], want);
                boolean exact = Double.isNaN(want) || Double.isInfinite(want) || want == 0 || Math.abs(want) == 1;
                if (exact ? Double.doubleToLongBits(want) != Double.doubleToLongBits(o[i])
                        : d > (op == UnaryOp.SIGMOID ? 3 : 2)) {
                    throw new AssertionError(op + "(" + x[i] + ") = " + o[i] + ", want " + want + " (" + d + " ulp)");
                }
            }
        }
    }

    @Test
    void specialValuesGiveWhatMathGives() {
        float[] x = {0f, -0f, 1f, -1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE,
            -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 88.7f, 89f, -87.4f, -103.9f, -104.5f,
            9.5f, -9.5f, 0.625f, -0.625f, 1e-20f, -1e-20f};
        float[] o = new float[x.length];
        for (UnaryOp op : OPS) {
            Simd.unary(op, x, 0, o, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                float want = (float) reference(op).applyAsDouble(x[i]);
                String what = op + "(" + x[i] + ")";
                if (Float.isNaN(want) || Float.isInfinite(want) || want == 0 || Math.abs(want) == 1
                        || (op == UnaryOp.TANH && Math.abs(x[i]) < 1e-10)) {
                    // exact, the sign of a zero included
                    assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(o[i]), what + " = " + o[i]);
                } else {
                    assertTrue(ulps(want, o[i]) <= 2, what + " = " + o[i] + ", want " + want);
                }
            }
        }
        assertEquals(0.5f, o[0], "sigmoid(0)");
    }

    /** The inputs both child JVMs compute: a spread of bit patterns and values around each op's branch points. */
    static float[] tierInputs() {
        int n = 1 << 17;
        float[] x = new float[n];
        java.util.Random r = new java.util.Random(42);
        for (int i = 0; i < n; i++) {
            x[i] = switch (i % 4) {
                case 0 -> Float.intBitsToFloat(r.nextInt());
                case 1 -> (float) r.nextGaussian() * 3;
                case 2 -> (float) (r.nextDouble() * 1.4 - 0.7);
                default -> (float) Math.exp(r.nextGaussian() * 10);
            };
        }
        return x;
    }

    /** Child JVM: warm up every loop, then write its float, double and pow outputs on {@link #tierInputs}. */
    public static void main(String[] args) throws IOException {
        float[] x = tierInputs();
        float[] o = new float[x.length];
        double[] xd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xd[i] = x[i] * (1 + 1e-9 * i);
        }
        double[] od = new double[x.length];
        int reps = Integer.parseInt(args[1]);
        try (OutputStream file = Files.newOutputStream(Path.of(args[0]));
                DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(file))) {
            for (UnaryOp op : OPS) {
                for (int rep = 0; rep < reps; rep++) {
                    Simd.unary(op, x, 0, o, 0, 4096);
                    Simd.unary(op, xd, 0, od, 0, 2048);
                }
                Simd.unary(op, x, 0, o, 0, x.length);
                Simd.unary(op, xd, 0, od, 0, x.length);
                for (int i = 0; i < x.length; i++) {
                    out.writeInt(Float.floatToRawIntBits(o[i]));
                    long bits = Double.doubleToRawLongBits(od[i]);
                    out.writeInt((int) (bits ^ (bits >>> 32)));
                }
            }
            for (int rep = 0; rep < reps; rep++) {
                Simd.powScalar(x, 0, 1.5f, o, 0, 4096);
            }
            Simd.powScalar(x, 0, 1.5f, o, 0, x.length);
            for (float v : o) {
                out.writeInt(Float.floatToRawIntBits(v));
            }
        }
    }

    private static int[] runChild(Path dir, String name, int warmup, int inputs, String... jvmFlags)
            throws IOException, InterruptedException {
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), VectorMathTest.class.getName(), out.toString(),
                Integer.toString(warmup)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), name + " did not finish");
        assertEquals(0, p.exitValue(), name + ": " + Files.readString(dir.resolve(name + ".log")));
        int[] bits = new int[(2 * OPS.length + 1) * inputs];
        try (InputStream file = Files.newInputStream(out);
                DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(file))) {
            for (int i = 0; i < bits.length; i++) {
                bits[i] = in.readInt();
            }
        }
        return bits;
    }

    @Test
    void giveTheSameBitsInTheJavaFallbackAsInC2Code(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(VectorApi.AVAILABLE, "no Vector API");
        float[] x = tierInputs();
        int n = x.length;
        // C1 does not intrinsify the Vector API: every lane op runs its Java definition
        int[] fallback = runChild(dir, "c1", 10, n, "-XX:TieredStopAtLevel=1");
        // C2 only, compiled after warm-up calls (BackgroundCompilation off: the timed call runs compiled code)
        int[] c2 = runChild(dir, "c2", 3000, n, "-XX:-TieredCompilation", "-XX:-BackgroundCompilation");
        List<String> outputs = new ArrayList<>();
        for (UnaryOp op : OPS) {
            outputs.add(op + " float");
            outputs.add(op + " double (bits folded to 32)");
        }
        outputs.add("float pow 1.5");
        for (int k = 0; k < outputs.size(); k++) {
            int stride = k < 2 * OPS.length ? 2 : 1;
            int base = k < 2 * OPS.length ? (k / 2) * 2 * n + k % 2 : 2 * OPS.length * n;
            int differ = 0;
            int first = -1;
            for (int i = 0; i < n; i++) {
                if (fallback[base + i * stride] != c2[base + i * stride]) {
                    differ++;
                    first = first < 0 ? i : first;
                }
            }
            assertEquals(0, differ, outputs.get(k) + ": " + differ + " of " + n
                    + " lanes differ between C1 and C2, first at input "
                    + (first < 0 ? "" : first + " (x = " + x[first] + ")"));
        }
    }
}
