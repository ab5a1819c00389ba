package org.sparkgrad.engine.backend;

/**
 * Elementwise functions of two operands. Comparisons write 1 or 0 into the output: a {@code BOOL} mask, or a
 * mask in the operands' floating type (derivative masks multiply gradients directly). The {@code _BACKWARD}
 * ops are the fused vector-Jacobian products of activations, a the output gradient and b the activation's
 * output y, as PyTorch's sigmoid_backward, tanh_backward and threshold_backward; ABS_BACKWARD's b is abs's input.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM,
    EQ, NE, LT, LE, GT, GE,
    /** a * (1 - b) * b. */
    SIGMOID_BACKWARD,
    /** a * (1 - b * b). */
    TANH_BACKWARD,
    /** b &lt;= 0 ? 0 : a (a NaN b lets the gradient through, as PyTorch's threshold_backward). */
    RELU_BACKWARD,
    /** a * sgn(b), sgn being -1, 0 or 1 and 0 at NaN (abs's VJP, PyTorch's grad * self.sgn()). */
    ABS_BACKWARD;

    /** Whether the result is a mask rather than a number. */
    public boolean isComparison() {
        return ordinal() >= EQ.ordinal() && ordinal() <= GE.ordinal();
    }
}
