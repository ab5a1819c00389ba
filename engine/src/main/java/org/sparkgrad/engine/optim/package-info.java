/**
 * Optimizers and learning-rate schedulers, like {@code torch.optim}, matching torch 1.13's update formulas
 * step for step. {@link org.sparkgrad.engine.optim.Optimizer} holds the parameters, the learning rate and
 * per-parameter state, updates in place under no-grad, and saves its state as an
 * {@link org.sparkgrad.engine.optim.OptimizerState}. {@link org.sparkgrad.engine.optim.SGD} (momentum, Nesterov,
 * weight decay); {@link org.sparkgrad.engine.optim.Adam} and {@link org.sparkgrad.engine.optim.AdamW} share
 * {@link org.sparkgrad.engine.optim.AdamFamily} and the package-private {@code AdamUpdate}. Schedulers extend
 * {@link org.sparkgrad.engine.optim.LRScheduler}: {@link org.sparkgrad.engine.optim.StepLR},
 * {@link org.sparkgrad.engine.optim.ExponentialLR}, {@link org.sparkgrad.engine.optim.CosineAnnealingLR}. The
 * same objects run on one machine and on the Spark driver.
 */
package org.sparkgrad.engine.optim;
