/**
 * Tier 4 of the engine (see {@link org.sparkgrad.engine}): the primitives a device implements, below autograd
 * and below dispatch. {@link org.sparkgrad.engine.backend.Backend} is the whole contract (allocate, copy, fill,
 * unary, binary, axpy, where, reductions, softmax and its backward, matmul, gather, scatter-add) over
 * {@link org.sparkgrad.engine.backend.Strided} views of a backend's own
 * {@link org.sparkgrad.engine.backend.Storage}, with the ops named by {@link org.sparkgrad.engine.backend.UnaryOp},
 * {@link org.sparkgrad.engine.backend.BinaryOp} and {@link org.sparkgrad.engine.backend.ReduceOp}. Inputs arrive
 * already promoted and broadcast (stride 0); a backend does no autograd and no type promotion.
 *
 * <p>{@link org.sparkgrad.engine.backend.CpuBackend} is the built-in host backend: {@code StridedLoop} walks and
 * splits strided loops, {@code FloatKernels} and {@code SoftmaxKernels} hold the hot inner loops,
 * {@link org.sparkgrad.engine.backend.Blas} picks the matrix-product library. Other devices register a
 * {@link org.sparkgrad.engine.backend.BackendProvider} through ServiceLoader (gpu-worker's CUDA backend; the
 * tests' "sim" device); {@link org.sparkgrad.engine.backend.DeviceOutOfMemoryError} is how they report a full
 * device.
 */
package org.sparkgrad.engine.backend;
