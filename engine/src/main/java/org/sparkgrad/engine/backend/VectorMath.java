package org.sparkgrad.engine.backend;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Float exp, log and tanh per lane, written only with lane operations whose result Java specifies exactly (add,
 * mul, div, fma, min/max, compares, blends, integer shifts of a same-shape reinterpretation). They give the same
 * bits in the interpreter, C1 and C2. The Vector API's EXP, LOG and TANH do not: before C2 compiles a loop they
 * are {@code Math.exp} (and so on) per lane, after it an SVML routine, and the two differ in the last bit on about
 * one lane in a hundred. A training run (or its rerun, or the same steps as barrier tasks) would then give
 * different parameters depending on when the JIT got to a loop. Every result is within 2 ulp of the correctly
 * rounded one (VectorMathTest checks every 997th float bit pattern); NaN, infinities, zeros and the overflow and
 * underflow ranges give what {@link Math} gives.
 */
final class VectorMath {
    private VectorMath() {
    }

    private static final float LOG2E = 1.44269504088896341f;
    // ln 2 split: the high part has few enough bits that n * LN2_HI is exact for |n| <= 256.
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.42860682030941723212e-6f;
    private static final float SHIFTER = 12582912f; // 1.5 * 2^23: adding it rounds to an integer (nearest even)
    private static final int SHIFTER_BITS = 0x4B400000;

    /** e^x per lane; NaN stays NaN, overflow gives +inf, underflow goes through the subnormals to 0. */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(-104f).min(89f);
        FloatVector t = c.fma(LOG2E, SHIFTER);
        FloatVector n = t.sub(SHIFTER);
        FloatVector r = n.fma(n.broadcast(-LN2_HI), c);
        r = n.fma(n.broadcast(-LN2_LO), r);
        // Taylor polynomial of e^r on |r| <= ln2/2 (degree 7, truncation error < 2^-28 relative).
        FloatVector p = r.fma(r.broadcast(1f / 5040f), r.broadcast(1f / 720f));
        p = p.fma(r, r.broadcast(1f / 120f));
        p = p.fma(r, r.broadcast(1f / 24f));
        p = p.fma(r, r.broadcast(1f / 6f));
        p = p.fma(r, r.broadcast(0.5f));
        p = p.fma(r, r.broadcast(1f));
        p = p.fma(r, r.broadcast(1f));
        // 2^n as two factors 2^(n/2) and 2^(n - n/2), each a normal float, so the subnormal range is rounded once.
        // n's integer value is in t's low mantissa bits (t = 1.5 * 2^23 + n); convert(F2I) is not intrinsified on JDK 17.
        IntVector ni = t.reinterpretAsInts().sub(SHIFTER_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector y = p.mul(s1).mul(s2);
        return y.blend(x, x.compare(VectorOperators.NE, x));
    }

    /**
     * Natural log per lane: x = 2^k * m with m in [2/3, 4/3), and log(m) = log(1 + f) from s = f / (2 + f)
     * (log(1 + f) = 2 atanh(s), a series in s^2 <= 0.04 of which four terms leave < 2^-26 relative). Subnormal x
     * is scaled by 2^23 first; x < 0 and NaN give NaN, 0 gives -inf, +inf gives +inf.
     */
    static FloatVector log(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, 0x1p-126f);
        FloatVector xs = x.blend(x.mul(0x1p23f), tiny);
        IntVector bits = xs.reinterpretAsInts();
        IntVector k = bits.sub(0x3f2aaaab).lanewise(VectorOperators.ASHR, 23); // 0x3f2aaaab: 2/3
        FloatVector m = bits.sub(k.lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats();
        // k as a float without convert(I2F): 1.5 * 2^23 + k has k in its low mantissa bits
        FloatVector kf = k.add(SHIFTER_BITS).reinterpretAsFloats().sub(SHIFTER);
        kf = kf.sub(x.broadcast(0f).blend(23f, tiny));
        FloatVector f = m.sub(1f);
        FloatVector s = f.div(f.add(2f));
        FloatVector z = s.mul(s);
        FloatVector r = z.fma(z.broadcast(2f / 9f), z.broadcast(2f / 7f));
        r = r.fma(z, z.broadcast(2f / 5f));
        r = r.fma(z, z.broadcast(2f / 3f));
        r = r.mul(z);
        FloatVector hfsq = f.mul(f).mul(0.5f);
        // log(1 + f) = f - (hfsq - s * (hfsq + r)), and k ln2 added in two parts
        FloatVector low = s.fma(hfsq.add(r), kf.mul(LN2_LO));
        FloatVector y = kf.fma(x.broadcast(LN2_HI), f.sub(hfsq.sub(low)));
        y = y.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        y = y.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        y = y.blend(Float.NaN, x.compare(VectorOperators.LT, 0f));
        return y.blend(x, x.compare(VectorOperators.NE, x));
    }

    /** |x| below which tanh takes the odd polynomial; above it 1 - 2 / (e^(2|x|) + 1) cancels little. */
    private static final float TANH_SMALL = 0.625f;

    /**
     * tanh per lane: x + x^3 P(x^2) for |x| &lt; 0.625 (P of degree 5, a Chebyshev fit of (tanh(x) - x) / x^3,
     * error &lt; 2^-30 relative), else 1 - 2 / (e^(2|x|) + 1) with x's sign; keeps -0 and NaN, +-1 beyond |x| = 9.
     */
    static FloatVector tanh(FloatVector x) {
        FloatVector s = x.mul(x);
        FloatVector p = s.fma(s.broadcast(0.002292744816178142f), s.broadcast(-0.008343945515839153f));
        p = p.fma(s, s.broadcast(0.02176891865102821f));
        p = p.fma(s, s.broadcast(-0.053959259577204544f));
        p = p.fma(s, s.broadcast(0.1333330355691574f));
        p = p.fma(s, s.broadcast(-0.3333333317214036f));
        FloatVector a = x.abs();
        FloatVector small = p.mul(s).fma(a, a);
        FloatVector e = exp(a.add(a));
        FloatVector big = x.broadcast(1f).sub(x.broadcast(2f).div(e.add(1f)));
        // |tanh(x)| from its branch, then x's sign bit (so -0 stays -0)
        FloatVector y = big.blend(small, a.compare(VectorOperators.LT, TANH_SMALL));
        return y.reinterpretAsInts().or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
    }
}
