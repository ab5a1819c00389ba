/**
 * Optimizers and learning-rate schedulers, like {@code torch.optim}, matching torch 1.13's update formulas
 * step for step. {@link org.sparkgrad.engine.optim.Optimizer} holds parameter groups
 * ({@link org.sparkgrad.engine.optim.ParamGroup}: per-group lr, weight decay, momentum, betas...),
 * per-parameter state, updates in place under no-grad, and saves its state as an
 * {@link org.sparkgrad.engine.optim.OptimizerState}. {@link org.sparkgrad.engine.optim.SGD} (momentum, Nesterov,
 * weight decay); {@link org.sparkgrad.engine.optim.Adam} and {@link org.sparkgrad.engine.optim.AdamW} share
 * {@link org.sparkgrad.engine.optim.AdamFamily} and the package-private {@code AdamUpdate};
 * {@link org.sparkgrad.engine.optim.RMSprop}, {@link org.sparkgrad.engine.optim.Adagrad}. Schedulers extend
 * {@link org.sparkgrad.engine.optim.LRScheduler} and set every group's rate: {@link org.sparkgrad.engine.optim.StepLR},
 * {@link org.sparkgrad.engine.optim.MultiStepLR}, {@link org.sparkgrad.engine.optim.ExponentialLR},
 * {@link org.sparkgrad.engine.optim.CosineAnnealingLR}, {@link org.sparkgrad.engine.optim.LambdaLR},
 * {@link org.sparkgrad.engine.optim.LinearLR} (warmup), {@link org.sparkgrad.engine.optim.OneCycleLR},
 * {@link org.sparkgrad.engine.optim.SequentialLR} and {@link org.sparkgrad.engine.optim.ChainedScheduler};
 * {@link org.sparkgrad.engine.optim.ReduceLROnPlateau} steps on a metric instead. The same objects run on one
 * machine and on the Spark driver.
 */
package org.sparkgrad.engine.optim;
