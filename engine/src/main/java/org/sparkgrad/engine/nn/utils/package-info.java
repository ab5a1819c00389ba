/**
 * Helpers for training loops, like {@code torch.nn.utils}: {@link org.sparkgrad.engine.nn.utils.ClipGrad}
 * clips gradients by their total norm ({@code clip_grad_norm_}) or by value ({@code clip_grad_value_}).
 */
package org.sparkgrad.engine.nn.utils;
