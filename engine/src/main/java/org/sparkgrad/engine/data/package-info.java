/**
 * Datasets and batching, like {@code torch.utils.data}: a map-style {@link org.sparkgrad.engine.data.Dataset},
 * {@link org.sparkgrad.engine.data.TensorDataset} over tensors that share their first dimension, and
 * {@link org.sparkgrad.engine.data.DataLoader}, whose epochs are seeded permutations (the same batches on every
 * machine). {@link org.sparkgrad.engine.data.SyntheticData} generates datasets with known answers for the
 * examples and tests.
 */
package org.sparkgrad.engine.data;
