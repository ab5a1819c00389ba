/**
 * Layers, losses and initialisers, like {@code torch.nn}, built on the tensor facade only (no engine
 * internals): gradients come from autograd. {@link org.sparkgrad.engine.nn.F} holds each formula once (linear,
 * activations, losses); the modules call it. {@link org.sparkgrad.engine.nn.Module} owns named parameters,
 * buffers and children (state dict, {@code to(device)}); {@link org.sparkgrad.engine.nn.Parameter} is a
 * learnable leaf. Layers: {@link org.sparkgrad.engine.nn.Linear}, {@link org.sparkgrad.engine.nn.Sequential},
 * {@link org.sparkgrad.engine.nn.Flatten}, {@link org.sparkgrad.engine.nn.ReLU},
 * {@link org.sparkgrad.engine.nn.Sigmoid}, {@link org.sparkgrad.engine.nn.Tanh}. Losses extend
 * {@link org.sparkgrad.engine.nn.Loss} with a {@link org.sparkgrad.engine.nn.Reduction}: MSE, L1, cross entropy,
 * BCE with logits. {@link org.sparkgrad.engine.nn.Init} is {@code torch.nn.init}.
 */
package org.sparkgrad.engine.nn;
