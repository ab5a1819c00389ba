package org.sparkgrad.engine;

/**
 * Element types of tensors. {@link #FLOAT32} is the default, as in PyTorch; {@link #FLOAT64} is what
 * gradcheck runs in. {@link #INT64} (class targets, indices) and {@link #BOOL} (masks) are stored by the
 * CPU backend in double precision, which holds every integer index exactly up to 2^53.
 */
public enum DType {
    FLOAT32("float32", "torch.FloatTensor", true, 4),
    FLOAT64("float64", "torch.DoubleTensor", true, 8),
    INT64("int64", "torch.LongTensor", false, 8),
    BOOL("bool", "torch.BoolTensor", false, 1);

    private final String pyName;
    private final String legacyName;
    private final boolean floating;
    private final int itemSize;

    DType(String pyName, String legacyName, boolean floating, int itemSize) {
        this.pyName = pyName;
        this.legacyName = legacyName;
        this.floating = floating;
        this.itemSize = itemSize;
    }

    /** PyTorch's name, e.g. {@code float32}. */
    public String pyName() {
        return pyName;
    }

    /** PyTorch's legacy type name used in autograd messages, e.g. {@code torch.FloatTensor}. */
    public String legacyName() {
        return legacyName;
    }

    /** PyTorch's ScalarType name used in type errors, e.g. {@code Float} (from {@code torch.FloatTensor}). */
    public String scalarName() {
        return legacyName.substring("torch.".length(), legacyName.length() - "Tensor".length());
    }

    /** Whether values of this type can carry gradients. */
    public boolean isFloatingPoint() {
        return floating;
    }

    /** Bytes per element in the standard (safetensors / numpy) layout. */
    public int itemSize() {
        return itemSize;
    }
}
