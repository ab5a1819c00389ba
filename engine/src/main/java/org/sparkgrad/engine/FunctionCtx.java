package org.sparkgrad.engine;

import java.util.HashMap;
import java.util.Map;

/** What a custom {@link Function}'s forward leaves for its backward, like PyTorch's {@code ctx}. */
public final class FunctionCtx {
    private SavedTensor[] saved = new SavedTensor[0];
    private final boolean[] needsInputGrad;
    private final Map<String, Object> values = new HashMap<>();
    Node node;

    FunctionCtx(boolean[] needsInputGrad) {
        this.needsInputGrad = needsInputGrad;
    }

    /** Keeps tensors for backward; they are checked against in-place changes when read back. */
    public void saveForBackward(Tensor... tensors) {
        saved = new SavedTensor[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            saved[i] = SavedTensor.input(tensors[i], node);
        }
    }

    /** The tensors given to {@link #saveForBackward}. */
    public Tensor[] savedTensors() {
        Tensor[] out = new Tensor[saved.length];
        for (int i = 0; i < saved.length; i++) {
            out[i] = saved[i] == null ? null : saved[i].unpack();
        }
        return out;
    }

    /** Whether input i needs a gradient (false lets backward skip work). */
    public boolean needsInputGrad(int i) {
        return needsInputGrad[i];
    }

    /** Keeps a non-tensor value for backward. */
    public void put(String key, Object value) {
        values.put(key, value);
    }

    /** A value kept with {@link #put}. */
    @SuppressWarnings("unchecked")
    public <T> T get(String key) {
        return (T) values.get(key);
    }

    void release() {
        for (SavedTensor s : saved) {
            if (s != null) {
                s.release();
            }
        }
    }
}
