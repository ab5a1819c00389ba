package org.sparkgrad.engine;

/**
 * Where a gradient flows next: input {@code inputNr} of {@code node}, like the pairs in PyTorch's
 * {@code grad_fn.next_functions}. The node is null for an input that does not require grad.
 *
 * @param node the next node, or null
 * @param inputNr which of its outputs' gradients this edge feeds
 */
public record Edge(Node node, int inputNr) {
}
