package org.sparkgrad.engine.backend;

import org.sparkgrad.engine.DType;

/** A flat block of elements owned by one backend. Tensors view it through shape, strides and offset. */
public interface Storage {
    /** The element type. */
    DType dtype();

    /** The number of elements. */
    int length();

    /** The backend that owns (and alone may read) this storage. */
    Backend backend();
}
