/**
 * Synchronous data-parallel training on Apache Spark (broadcast parameters, per-partition gradient sums,
 * treeAggregate, optimizer step on the driver). Not built yet.
 */
package org.sparkgrad.spark;
