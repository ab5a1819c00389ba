package org.sparkgrad.engine;

/**
 * A tensor a node keeps for its backward, with the version it had when saved. Unpacking after an in-place
 * change, or after the graph was freed, fails with PyTorch's messages.
 */
final class SavedTensor {
    private Tensor saved;
    private final int version;
    private final Node owner;
    private final boolean isOutput;

    private SavedTensor(Tensor t, Node owner, boolean isOutput) {
        this.saved = t.savedAlias();
        this.version = t.version();
        this.owner = owner;
        this.isOutput = isOutput;
    }

    /** Saves an input of {@code owner}. */
    static SavedTensor input(Tensor t, Node owner) {
        return t == null ? null : new SavedTensor(t, owner, false);
    }

    /** Saves an output of {@code owner} (for ops whose derivative is written in their result). */
    static SavedTensor output(Tensor t, Node owner) {
        return new SavedTensor(t, owner, true);
    }

    Tensor unpack() {
        if (saved == null) {
            throw new IllegalStateException("Trying to backward through the graph a second time (or directly access "
                    + "saved tensors after they have already been freed). Saved intermediate values of the graph are "
                    + "freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
                    + "backward through the graph a second time or if you need to access saved tensors after calling "
                    + "backward.");
        }
        int now = saved.version();
        if (now != version) {
            Node producer = isOutput ? owner : saved.gradFn();
            String which = producer == null ? "" : ", which is output " + (isOutput ? 0 : saved.outputNr()) + " of "
                    + producer.name() + ",";
            throw new IllegalStateException("one of the variables needed for gradient computation has been modified "
                    + "by an inplace operation: [" + saved.dtype().legacyName() + " " + Shapes.str(saved.shapeRef())
                    + "]" + which + " is at version " + now + "; expected version " + version + " instead. Hint: the "
                    + "backtrace further above shows the operation that failed to compute its gradient. The variable in "
                    + "question was changed in there or anywhere later. Good luck!");
        }
        return saved;
    }

    void release() {
        saved = null;
    }
}
