package org.sparkgrad.engine.io;

/**
 * The 16-bit float formats PyTorch writes into safetensors files ({@code F16}: IEEE binary16;
 * {@code BF16}: bfloat16, the top half of a float32), widened to float32 exactly: every value, subnormals,
 * signed zeros, infinities and NaN payloads included, has one float32 equal to it.
 */
final class HalfFloats {
    private HalfFloats() {
    }

    /** The stored formats read as float32, with their item size in bytes; 0 for other formats. */
    static int itemSize(String format) {
        return "F16".equals(format) || "BF16".equals(format) ? 2 : 0;
    }

    /** The float32 of a binary16 value (its 16 bits in the low half of {@code bits}). */
    static float fromF16(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24, exact in float32
            float v = Math.scalb((float) mant, -24);
            return sign != 0 ? -v : v;
        }
        if (exp == 0x1f) {
            // infinity (mant 0) or NaN, keeping the payload
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** The float32 of a bfloat16 value: its 16 bits become the high half. */
    static float fromBF16(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
