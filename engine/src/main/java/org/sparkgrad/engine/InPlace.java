package org.sparkgrad.engine;

import org.sparkgrad.engine.backend.BinaryOp;

/**
 * In-place ops and their autograd rules: a leaf that requires grad may not be changed while grad mode is
 * on; a non-leaf takes the new value and the history of the equivalent out-of-place op; every change bumps
 * the version counter that saved tensors check.
 */
final class InPlace {
    private InPlace() {
    }

    static void checkLeaf(Tensor t) {
        if (GradMode.isEnabled() && t.requiresGrad() && t.isLeaf()) {
            throw new IllegalStateException("a leaf Variable that requires grad is being used in an in-place operation.");
        }
    }

    /** For ops whose new value does not depend on the old one (fill_, copy_, normal_). */
    static void checkOverwrite(Tensor t, String op) {
        checkLeaf(t);
        if (GradMode.isEnabled() && t.requiresGrad()) {
            throw new UnsupportedOperationException(op + " on a tensor that is part of the autograd graph ("
                    + t.gradFn().name() + ") is not supported; use an out-of-place op or detach() it first");
        }
    }

    static Tensor binary(Tensor self, BinaryOp op, Tensor other) {
        checkLeaf(self);
        boolean record = GradMode.isEnabled() && (self.requiresGrad() || other.requiresGrad());
        if (!record) {
            Kernels.binaryInPlace(op, self, other);
            self.bumpVersion();
            return self;
        }
        if (self.isView()) {
            throw new UnsupportedOperationException("in-place " + op.name().toLowerCase(java.util.Locale.ROOT)
                    + "_ on a view while recording autograd is not supported; use the out-of-place op");
        }
        int[] shape = Shapes.broadcast(self.shapeRef(), other.shapeRef());
        if (!java.util.Arrays.equals(shape, self.shapeRef())) {
            throw new IllegalArgumentException("output with shape " + Shapes.str(self.shapeRef())
                    + " doesn't match the broadcast shape " + Shapes.str(shape));
        }
        // mul and div save self for the gradient of other, and self is about to be overwritten: they get a
        // recorded copy of its old value instead (PyTorch saves original_self the same way).
        Tensor old = (op == BinaryOp.MUL || op == BinaryOp.DIV) && other.requiresGrad() ? ViewOps.cloneTensor(self) : self;
        Tensor result = switch (op) {
            case ADD -> ArithmeticOps.add(self, other);
            case SUB -> ArithmeticOps.sub(self, other);
            case MUL -> ArithmeticOps.mul(old, other);
            case DIV -> ArithmeticOps.div(old, other);
            default -> throw new IllegalArgumentException("no in-place form of " + op);
        };
        self.rebase(result);
        return self;
    }

    /** Clamps self in place; min and max are wrapped numbers or null (open). */
    static Tensor clamp(Tensor self, Tensor min, Tensor max) {
        checkLeaf(self);
        if (GradMode.isEnabled() && self.requiresGrad()) {
            if (self.isView()) {
                throw new UnsupportedOperationException("in-place clamp_ on a view while recording autograd is not supported");
            }
            // clamp saves its input, which is about to be overwritten: give it a recorded copy.
            self.rebase(MathOps.clamp(ViewOps.cloneTensor(self), min, max));
            return self;
        }
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor r = MathOps.clamp(self, min, max);
            Kernels.checkCastable(r.dtype(), self.dtype());
            self.backend().copy(r.strided(), self.strided());
        }
        self.bumpVersion();
        return self;
    }
}
