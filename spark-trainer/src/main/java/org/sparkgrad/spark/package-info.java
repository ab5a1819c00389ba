/**
 * Synchronous data-parallel training on Apache Spark. {@link org.sparkgrad.spark.TrainingData} packs rows
 * (an RDD of float arrays, a Dataset with features and label columns, or rows generated on the executors)
 * into cached dense float blocks; {@link org.sparkgrad.spark.DataParallelTrainer} runs global steps whose
 * batches are positions of a {@link org.sparkgrad.spark.KeyedPermutation} keyed by (seed, epoch): the
 * driver broadcasts the flat parameters, partitions return per-sample gradient sums, treeAggregate adds
 * them, the driver divides by the batch size and steps the optimizer. Checkpoints go through
 * {@link org.sparkgrad.spark.CheckpointStore} to any Hadoop file system; Kryo classes are registered by
 * {@link org.sparkgrad.spark.SparkgradKryoRegistrator}.
 */
package org.sparkgrad.spark;
