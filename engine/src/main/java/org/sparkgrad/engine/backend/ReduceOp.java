package org.sparkgrad.engine.backend;

/** Reductions over a set of dimensions. */
public enum ReduceOp {
    SUM, PROD, MAX, MIN
}
