package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.Dependency;
import org.apache.spark.Partition;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import scala.collection.Iterator;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The RDD a barrier stage runs over: one partition per task of {@link BlockGroups}, whose task reads the cached
 * blocks of the partitions it owns (from its executor's block manager, another executor's, or their lineage when
 * evicted), as a coalesce does. The data RDD is a field, not a dependency: Spark runs no barrier stage in which an RDD
 * has another number of partitions than the stage's tasks (a coalesce), and the blocks are already computed and cached
 * when a stage starts, so the stage needs nothing from the data's lineage but its blocks.
 */
final class GroupedBlocks extends RDD<DataBlock> {
    private static final long serialVersionUID = 1L;
    private static final scala.reflect.ClassTag<DataBlock> BLOCK = scala.reflect.ClassTag$.MODULE$.apply(DataBlock.class);

    private final RDD<DataBlock> blocks;
    private final Partition[] groups;

    /** One task's share: the data partitions it reads and where it would rather run. */
    private static final class Group implements Partition {
        private static final long serialVersionUID = 1L;
        private final int index;
        private final Partition[] members;
        private final transient List<String> locations;

        Group(int index, Partition[] members, List<String> locations) {
            this.index = index;
            this.members = members;
            this.locations = locations;
        }

        @Override
        public int index() {
            return index;
        }

        @Override
        public int hashCode() {
            return index;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Group g && g.index == index;
        }
    }

    @SuppressWarnings("unchecked")
    GroupedBlocks(RDD<DataBlock> blocks, BlockGroups grouping) {
        super(blocks.context(), (Seq<Dependency<?>>) (Object) scala.collection.immutable.Nil$.MODULE$, BLOCK);
        this.blocks = blocks;
        Partition[] data = blocks.partitions();
        this.groups = new Partition[grouping.tasks()];
        for (int t = 0; t < groups.length; t++) {
            int[] m = grouping.members(t);
            Partition[] members = new Partition[m.length];
            for (int i = 0; i < m.length; i++) {
                members[i] = data[m[i]];
            }
            groups[t] = new Group(t, members, grouping.locations(t));
        }
    }

    @Override
    public Partition[] getPartitions() {
        return groups.clone();
    }

    @Override
    public Iterator<DataBlock> compute(Partition split, TaskContext context) {
        List<DataBlock> out = new ArrayList<>();
        for (Partition p : ((Group) split).members) {
            Iterator<DataBlock> it = blocks.iterator(p, context);
            while (it.hasNext()) {
                out.add(it.next());
            }
        }
        return CollectionConverters.asScala(out.iterator());
    }

    @Override
    public Seq<String> getPreferredLocations(Partition split) {
        List<String> locations = ((Group) split).locations;
        return CollectionConverters.asScala(locations == null ? List.<String>of() : locations).toList();
    }
}
