package org.sparkgrad.engine.backend;

/** Elementwise functions of one operand, computed in the operand's floating type. */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, ABS, SIN, COS, TANH, SIGMOID, RELU,
    /** sign(x): -1, 0 or 1. */
    SIGN,
    /** 1 where x &gt; 0, else 0 (the derivative mask of relu), in x's type. */
    STEP,
    /** 1 where x is NaN or infinite, else 0. */
    NONFINITE
}
