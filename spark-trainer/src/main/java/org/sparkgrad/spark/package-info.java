/**
 * Synchronous data-parallel training on Apache Spark. {@link org.sparkgrad.spark.TrainingData} packs rows
 * (an RDD of float arrays, a Dataset with features and label columns, or rows generated on the executors)
 * into cached dense float blocks; {@link org.sparkgrad.spark.DataParallelTrainer} runs global steps whose
 * batches are positions of a {@link org.sparkgrad.spark.KeyedPermutation} keyed by (seed, epoch): the
 * driver sends the flat parameters, partitions return per-sample gradient sums, the driver adds them in
 * partition order, divides by the batch size and steps the optimizer. The steps run inside barrier stages
 * ({@code BarrierSteps}: tasks that keep their replica and exchange frames with the driver's
 * {@code StepEndpoint}) or as one Spark job per step (a broadcast, then one job or treeAggregate). Checkpoints go through
 * {@link org.sparkgrad.spark.CheckpointStore} to any Hadoop file system; Kryo classes are registered by
 * {@link org.sparkgrad.spark.SparkgradKryoRegistrator}.
 */
package org.sparkgrad.spark;
