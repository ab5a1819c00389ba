package org.sparkgrad.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which data partitions each task of a barrier stage owns: one task per slot (at most one per partition), each
 * owning one or more partitions. Partitions are ordered by the executor that caches them (then by index) and cut into
 * tasks of nearly equal counts, so a task's partitions tend to live on one executor, and the task prefers that
 * executor. The tasks send one sum per owned partition and the driver adds them in partition order, so the grouping
 * changes no float of the result.
 */
final class BlockGroups implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The partitions of each task, ascending. */
    private final int[][] members;
    /** The task of each partition. */
    private final int[] owner;
    /** Each task's preferred locations (Spark's task location strings), most partitions first. */
    private final transient List<List<String>> locations;

    private BlockGroups(int[][] members, int[] owner, List<List<String>> locations) {
        this.members = members;
        this.owner = owner;
        this.locations = locations;
    }

    /**
     * Groups partitions into min(slots, partitions) tasks (at least one).
     *
     * @param where each partition's cache locations (Spark's task location strings, e.g. {@code executor_h_1}); an
     *              empty list where the partition is not cached
     */
    static BlockGroups of(List<List<String>> where, int slots) {
        int partitions = where.size();
        if (partitions == 0) {
            throw new IllegalArgumentException("no partitions to group");
        }
        int tasks = Math.max(1, Math.min(slots, partitions));
        Integer[] order = new Integer[partitions];
        for (int p = 0; p < partitions; p++) {
            order[p] = p;
        }
        if (tasks < partitions) {
            Arrays.sort(order, Comparator.<Integer, String>comparing(p -> where.get(p).isEmpty() ? "" : where.get(p).get(0))
                    .thenComparingInt(p -> p));
        }
        int[][] members = new int[tasks][];
        int[] owner = new int[partitions];
        List<List<String>> locations = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            int lo = (int) ((long) partitions * t / tasks);
            int hi = (int) ((long) partitions * (t + 1) / tasks);
            int[] m = new int[hi - lo];
            Map<String, Integer> votes = new LinkedHashMap<>();
            for (int i = lo; i < hi; i++) {
                m[i - lo] = order[i];
                for (String loc : where.get(order[i])) {
                    votes.merge(loc, 1, Integer::sum);
                }
            }
            Arrays.sort(m);
            for (int p : m) {
                owner[p] = t;
            }
            members[t] = m;
            List<String> preferred = new ArrayList<>(votes.keySet());
            preferred.sort(Comparator.comparing((String loc) -> -votes.get(loc)));
            locations.add(preferred);
        }
        return new BlockGroups(members, owner, locations);
    }

    int tasks() {
        return members.length;
    }

    int partitions() {
        return owner.length;
    }

    /** The partitions task t owns, ascending. */
    int[] members(int t) {
        return members[t].clone();
    }

    int owner(int partition) {
        return owner[partition];
    }

    /** Task t's preferred locations (driver side only). */
    List<String> locations(int t) {
        return locations.get(t);
    }

    /** Whether every task owns exactly the partition of its own index. */
    boolean onePerTask() {
        return members.length == owner.length;
    }

    /** For messages: "partition 3" when tasks and partitions match, else e.g. "task 1 (partitions 3-5, 9)". */
    String name(int t) {
        if (onePerTask()) {
            return "partition " + t;
        }
        int[] m = members[t];
        StringBuilder b = new StringBuilder("task ").append(t).append(m.length > 1 ? " (partitions " : " (partition ");
        for (int i = 0; i < m.length; i++) {
            int j = i;
            while (j + 1 < m.length && m[j + 1] == m[j] + 1) {
                j++;
            }
            b.append(i > 0 ? ", " : "").append(m[i]);
            if (j > i) {
                b.append('-').append(m[j]);
            }
            i = j;
        }
        return b.append(')').toString();
    }
}
