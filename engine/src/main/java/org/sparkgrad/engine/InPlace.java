package org.sparkgrad.engine;

import org.sparkgrad.engine.backend.BinaryOp;

/**
 * In-place ops and their autograd rules: a leaf that requires grad (or a view of one) may not be changed
 * while grad mode is on; a non-leaf takes the new value and the history of the equivalent out-of-place op;
 * a view passes the new value to its base through a CopySlices node; every change bumps the version
 * counter that saved tensors check.
 */
final class InPlace {
    private InPlace() {
    }

    static void checkLeaf(Tensor t) {
        if (!GradMode.isEnabled()) {
            return;
        }
        if (t.requiresGrad() && t.isLeaf()) {
            throw new IllegalStateException("a leaf Variable that requires grad is being used in an in-place operation.");
        }
        Tensor base = t.viewBase();
        if (base != null && base.requiresGrad()) {
            if (t.viewMadeWithoutGrad()) {
                throw madeWithoutGrad();
            }
            if (base.isLeaf()) {
                throw new IllegalStateException("a view of a leaf Variable that requires grad is being used in an "
                        + "in-place operation.");
            }
        }
    }

    /** Before recording an in-place op on t (grad mode on, something requires grad). */
    private static void checkRecordable(Tensor t) {
        if (t.viewBase() != null && t.viewMadeWithoutGrad()) {
            throw madeWithoutGrad();
        }
    }

    private static IllegalStateException madeWithoutGrad() {
        return new IllegalStateException("A view was created in no_grad mode and is being modified inplace with grad mode "
                + "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
                + "code by moving both the view and the inplace either both inside the no_grad block (if you don't want "
                + "the inplace to be tracked) or both outside (if you want the inplace to be tracked).");
    }

    /** Gives self the value {@code result} (computed out of place, with history) and that history. */
    private static Tensor commit(Tensor self, Tensor result) {
        Tensor base = self.viewBase();
        if (base != null) {
            CopySlices.write(base, self, result);
        } else {
            self.rebase(result);
        }
        return self;
    }

    /**
     * fill_ and zero_: the old value gets a zero gradient ({@code name} is PyTorch's node, FillBackward2 or
     * ZeroBackward0).
     */
    static Tensor fill(Tensor self, double value, String name) {
        checkLeaf(self);
        if (!(GradMode.isEnabled() && self.requiresGrad())) {
            self.backend().fill(self.strided(), value);
            self.bumpVersion();
            return self;
        }
        checkRecordable(self);
        Tensor constant = Tensor.scalar(value, self.dtype()).to(self.device());
        if (self.viewBase() != null) {
            return commit(self, constant);
        }
        OpNode n = OpNode.record(name, self);
        self.backend().copy(constant.broadcastView(self.shapeRef()), self.strided());
        self.bumpVersion();
        n.finish(self, g -> new Tensor[] {Tensor.zerosLike(g[0])});
        return self;
    }

    /**
     * copy_: src (broadcast to self's shape, converted to its type, already on its device) replaces the value;
     * the old value gets a zero gradient and src the incoming one (PyTorch's CopyBackwards).
     */
    static Tensor copy(Tensor self, Tensor src) {
        checkLeaf(self);
        if (!(GradMode.isEnabled() && (self.requiresGrad() || src.requiresGrad()))) {
            self.backend().copy(src.broadcastView(self.shapeRef()), self.strided());
            self.bumpVersion();
            return self;
        }
        checkRecordable(self);
        if (self.viewBase() != null) {
            return commit(self, src);
        }
        OpNode n = OpNode.record("CopyBackwards", self, src);
        self.backend().copy(src.broadcastView(self.shapeRef()), self.strided());
        self.bumpVersion();
        n.finish(self, g -> new Tensor[] {n.needsInputGrad(0) ? Tensor.zerosLike(g[0]) : null, g[0]});
        return self;
    }

    static Tensor binary(Tensor self, BinaryOp op, Tensor other) {
        checkLeaf(self);
        boolean record = GradMode.isEnabled() && (self.requiresGrad() || other.requiresGrad());
        if (!record) {
            Dispatch.binaryInPlace(op, self, other);
            self.bumpVersion();
            return self;
        }
        checkRecordable(self);
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
        return commit(self, result);
    }

    /** Clamps self in place; min and max are wrapped numbers or null (open). */
    static Tensor clamp(Tensor self, Tensor min, Tensor max) {
        checkLeaf(self);
        if (GradMode.isEnabled() && self.requiresGrad()) {
            checkRecordable(self);
            // clamp saves its input, which is about to be overwritten: give it a recorded copy.
            return commit(self, MathOps.clamp(ViewOps.cloneTensor(self), min, max));
        }
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor r = MathOps.clamp(self, min, max);
            Dispatch.checkCastable(r.dtype(), self.dtype());
            self.backend().copy(r.strided(), self.strided());
        }
        self.bumpVersion();
        return self;
    }
}
