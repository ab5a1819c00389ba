/**
 * The CUDA backend (through JCuda, found at run time by the engine's ServiceLoader lookup of
 * {@link org.sparkgrad.engine.backend.BackendProvider}). Not built yet: until it is, every tensor lives on
 * the CPU and {@link org.sparkgrad.engine.Devices#cudaAvailable()} is false.
 */
package org.sparkgrad.gpu;
