package org.sparkgrad.engine.backend;

/**
 * Elementwise functions of two operands. Comparisons write 1 or 0 into the output: a {@code BOOL} mask, or a
 * mask in the operands' floating type (derivative masks multiply gradients directly).
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM,
    EQ, NE, LT, LE, GT, GE;

    /** Whether the result is a mask rather than a number. */
    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }
}
