package org.sparkgrad.engine;

/** The sink of a leaf: adds the incoming gradient into the leaf's {@code grad()}. */
final class AccumulateGrad extends Node {
    final Tensor leaf;

    AccumulateGrad(Tensor leaf) {
        this.leaf = leaf;
        this.inputShapes = new int[][] {leaf.shapeRef()};
        this.inputDtypes = new DType[] {leaf.dtype()};
        this.inputDevices = new Device[] {leaf.device()};
    }

    @Override
    public String name() {
        return "AccumulateGrad";
    }

    @Override
    Tensor[] apply(Tensor[] gradOutputs) {
        GradOwnership own = GradOwnership.current();
        boolean hooks = own != null && leaf.hasLeafHooks();
        if (hooks) {
            own.share(gradOutputs[0]);
        }
        Tensor g = leaf.runLeafHooks(gradOutputs[0]);
        if (hooks) {
            own.share(g);
        }
        leaf.accumulateGrad(g, GradMode.isEnabled());
        return new Tensor[0];
    }
}
