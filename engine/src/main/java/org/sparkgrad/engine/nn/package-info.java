/**
 * Layers, losses and initialisers, like {@code torch.nn}, built on the tensor facade only (no engine
 * internals): gradients come from autograd. {@link org.sparkgrad.engine.nn.F} holds each formula once (linear,
 * activations, losses); the modules call it. {@link org.sparkgrad.engine.nn.Module} owns named parameters,
 * buffers and children (state dict, {@code to(device)}) and runs forward with its hooks through
 * {@code call} (forward pre-hooks, forward hooks, full backward hooks); {@link org.sparkgrad.engine.nn.Parameter}
 * is a learnable leaf. Containers: {@link org.sparkgrad.engine.nn.Sequential},
 * {@link org.sparkgrad.engine.nn.ModuleList}, {@link org.sparkgrad.engine.nn.ModuleDict}. Layers:
 * {@link org.sparkgrad.engine.nn.Linear}, {@link org.sparkgrad.engine.nn.Conv2d},
 * {@link org.sparkgrad.engine.nn.MaxPool2d}, {@link org.sparkgrad.engine.nn.AvgPool2d},
 * {@link org.sparkgrad.engine.nn.AdaptiveAvgPool2d}, {@link org.sparkgrad.engine.nn.BatchNorm1d},
 * {@link org.sparkgrad.engine.nn.BatchNorm2d}, {@link org.sparkgrad.engine.nn.LayerNorm},
 * {@link org.sparkgrad.engine.nn.Embedding}, {@link org.sparkgrad.engine.nn.Dropout},
 * {@link org.sparkgrad.engine.nn.Flatten}, {@link org.sparkgrad.engine.nn.ReLU},
 * {@link org.sparkgrad.engine.nn.LeakyReLU}, {@link org.sparkgrad.engine.nn.GELU},
 * {@link org.sparkgrad.engine.nn.Softmax}, {@link org.sparkgrad.engine.nn.Sigmoid},
 * {@link org.sparkgrad.engine.nn.Tanh} (the fused layers' nodes live in the engine's public op classes, as the
 * losses' do in LossOps). {@link org.sparkgrad.engine.nn.BatchContext} is the per-step scope of data-parallel
 * training (hashed per-sample dropout masks, batch-norm statistics all-reduced over replicas). Losses extend
 * {@link org.sparkgrad.engine.nn.Loss} with a {@link org.sparkgrad.engine.nn.Reduction}: MSE, L1, cross entropy,
 * BCE with logits. {@link org.sparkgrad.engine.nn.Init} is {@code torch.nn.init}.
 */
package org.sparkgrad.engine.nn;
