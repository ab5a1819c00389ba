/**
 * The CUDA backend through JCuda, found at run time by the engine's ServiceLoader lookup of
 * {@link org.sparkgrad.engine.backend.BackendProvider} ({@link org.sparkgrad.gpu.CudaBackendProvider}). Where
 * CUDA cannot be used (no driver, no device, no cuBLAS) the provider logs why once and every tensor stays on the
 * CPU.
 */
package org.sparkgrad.gpu;
