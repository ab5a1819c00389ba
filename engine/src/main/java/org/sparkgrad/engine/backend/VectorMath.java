package org.sparkgrad.engine.backend;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Float and double exp, log and tanh per lane, written only with lane operations whose result Java specifies
 * exactly (add, mul, div, fma, min/max, compares, blends, integer shifts of a same-shape reinterpretation). They
 * give the same bits in the interpreter, C1 and C2. The Vector API's EXP, LOG and TANH do not: before C2 compiles
 * a loop they are {@code Math.exp} (and so on) per lane, after it an SVML routine, and the two differ in the last
 * bit on about one lane in a hundred. A training run (or its rerun, or the same steps as barrier tasks) would
 * then give different parameters depending on when the JIT got to a loop. Every result is within 2 ulp of the
 * correctly rounded one (VectorMathTest checks every 997th float bit pattern and 2^22 random doubles); NaN,
 * infinities, zeros and the overflow and underflow ranges give what {@link Math} gives.
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
        // n's integer value is in t's low mantissa bits (t = 1.5 * 2^23 + n); convert(F2I) is not
        // intrinsified on JDK 17.
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
     * (log(1 + f) = 2 atanh(s), a series in s^2 &lt;= 0.04 of which four terms leave &lt; 2^-26 relative). Subnormal
     * x is scaled by 2^23 first; x &lt; 0 and NaN give NaN, 0 gives -inf, +inf gives +inf.
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

    // ---------------------------------------------------------------- double

    // ln 2 split: the high part ends in 21 zero bits, so n * D_LN2_HI is exact for |n| < 2^11.
    private static final double D_LN2_HI = 6.93147180369123816490e-01;
    private static final double D_LN2_LO = 1.90821492927058770002e-10;
    private static final double D_SHIFTER = 6755399441055744.0; // 1.5 * 2^52
    private static final long D_SHIFTER_BITS = 0x4338000000000000L;

    /** e^x per lane (Taylor polynomial of degree 13 on |r| &lt;= ln2/2, truncation &lt; 2^-57 relative). */
    static DoubleVector exp(DoubleVector x) {
        DoubleVector c = x.max(-746.0).min(710.0);
        DoubleVector t = c.fma(1.4426950408889634, D_SHIFTER);
        DoubleVector n = t.sub(D_SHIFTER);
        DoubleVector r = n.fma(n.broadcast(-D_LN2_HI), c);
        r = n.fma(n.broadcast(-D_LN2_LO), r);
        // Horner, written out (a loop would carry the vector through a phi C2 may box)
        DoubleVector p = r.fma(r.broadcast(1.0 / 6227020800L), r.broadcast(1.0 / 479001600));
        p = p.fma(r, r.broadcast(1.0 / 39916800));
        p = p.fma(r, r.broadcast(1.0 / 3628800));
        p = p.fma(r, r.broadcast(1.0 / 362880));
        p = p.fma(r, r.broadcast(1.0 / 40320));
        p = p.fma(r, r.broadcast(1.0 / 5040));
        p = p.fma(r, r.broadcast(1.0 / 720));
        p = p.fma(r, r.broadcast(1.0 / 120));
        p = p.fma(r, r.broadcast(1.0 / 24));
        p = p.fma(r, r.broadcast(1.0 / 6));
        p = p.fma(r, r.broadcast(1.0 / 2));
        p = p.fma(r, r.broadcast(1.0));
        p = p.fma(r, r.broadcast(1.0));
        LongVector ni = t.reinterpretAsLongs().sub(D_SHIFTER_BITS);
        LongVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        LongVector n2 = ni.sub(n1);
        DoubleVector s1 = n1.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        DoubleVector s2 = n2.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        DoubleVector y = p.mul(s1).mul(s2);
        return y.blend(x, x.compare(VectorOperators.NE, x));
    }

    /** Natural log per lane, as {@link #log(FloatVector)} with ten terms of the series (&lt; 2^-58 relative). */
    static DoubleVector log(DoubleVector x) {
        VectorMask<Double> tiny = x.compare(VectorOperators.LT, 0x1p-1022);
        DoubleVector xs = x.blend(x.mul(0x1p54), tiny);
        LongVector bits = xs.reinterpretAsLongs();
        LongVector k = bits.sub(0x3fe5555555555555L).lanewise(VectorOperators.ASHR, 52); // 0x3fe5555555555555: 2/3
        DoubleVector m = bits.sub(k.lanewise(VectorOperators.LSHL, 52)).reinterpretAsDoubles();
        DoubleVector kf = k.add(D_SHIFTER_BITS).reinterpretAsDoubles().sub(D_SHIFTER);
        kf = kf.sub(x.broadcast(0.0).blend(54.0, tiny));
        DoubleVector f = m.sub(1.0);
        DoubleVector s = f.div(f.add(2.0));
        DoubleVector z = s.mul(s);
        DoubleVector r = z.fma(z.broadcast(2.0 / 23), z.broadcast(2.0 / 21));
        r = r.fma(z, z.broadcast(2.0 / 19));
        r = r.fma(z, z.broadcast(2.0 / 17));
        r = r.fma(z, z.broadcast(2.0 / 15));
        r = r.fma(z, z.broadcast(2.0 / 13));
        r = r.fma(z, z.broadcast(2.0 / 11));
        r = r.fma(z, z.broadcast(2.0 / 9));
        r = r.fma(z, z.broadcast(2.0 / 7));
        r = r.fma(z, z.broadcast(2.0 / 5));
        r = r.fma(z, z.broadcast(2.0 / 3));
        r = r.mul(z);
        DoubleVector hfsq = f.mul(f).mul(0.5);
        DoubleVector low = s.fma(hfsq.add(r), kf.mul(D_LN2_LO));
        DoubleVector y = kf.fma(x.broadcast(D_LN2_HI), f.sub(hfsq.sub(low)));
        y = y.blend(Double.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Double.POSITIVE_INFINITY));
        y = y.blend(Double.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0.0));
        y = y.blend(Double.NaN, x.compare(VectorOperators.LT, 0.0));
        return y.blend(x, x.compare(VectorOperators.NE, x));
    }

    /** tanh per lane, as the float {@link #tanh(FloatVector)} with P of degree 11 (error &lt; 2^-59 relative). */
    static DoubleVector tanh(DoubleVector x) {
        DoubleVector s = x.mul(x);
        DoubleVector p = s.fma(s.broadcast(6.485163482793113e-06), s.broadcast(-3.12011014257974e-05));
        p = p.fma(s, s.broadcast(9.257116129556769e-05));
        p = p.fma(s, s.broadcast(-0.0002375906496055562));
        p = p.fma(s, s.broadcast(0.0005896606577757043));
        p = p.fma(s, s.broadcast(-0.0014557754120478055));
        p = p.fma(s, s.broadcast(0.0035921217511549622));
        p = p.fma(s, s.broadcast(-0.008863235103240878));
        p = p.fma(s, s.broadcast(0.021869488519008305));
        p = p.fma(s, s.broadcast(-0.05396825396789699));
        p = p.fma(s, s.broadcast(0.13333333333333042));
        p = p.fma(s, s.broadcast(-0.3333333333333333));
        DoubleVector a = x.abs();
        DoubleVector small = p.mul(s).fma(a, a);
        DoubleVector e = exp(a.add(a));
        DoubleVector big = x.broadcast(1.0).sub(x.broadcast(2.0).div(e.add(1.0)));
        DoubleVector y = big.blend(small, a.compare(VectorOperators.LT, 0.625));
        return y.reinterpretAsLongs().or(x.reinterpretAsLongs().and(0x8000000000000000L)).reinterpretAsDoubles();
    }
}
