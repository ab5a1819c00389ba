package org.sparkgrad.engine;

import java.util.IdentityHashMap;
import org.sparkgrad.engine.backend.Storage;

/**
 * Which gradient buffers one backward pass owns outright, so that it may reuse them: what Java cannot tell
 * from a reference count (PyTorch's {@code use_count()}), the pass tracks for the storages it allocates itself.
 * While a pass runs on a thread (no create_graph, gradients accumulating into leaves), every storage of at
 * least {@link #MIN_NUMEL} elements that {@link Dispatch} allocates on that thread is recorded with the
 * number of gradient slots holding it: a node's output gradient counts once per edge it is sent to (views of
 * one storage all count), a sum of two arriving gradients once. When a built-in node has consumed its
 * incoming gradients and did not send their storage on, each such slot is given up; a storage no slot holds
 * any more is recycled by its backend. {@link AccumulateGrad} takes an owned gradient as the leaf's new
 * {@code grad()} instead of copying it, as PyTorch steals an incoming gradient nothing else refers to.
 *
 * <p>A storage is shared for good (never reused) once code outside the built-in ops could have kept a
 * reference to it: a tensor or leaf hook saw it, a custom {@link Function} saw or returned it, or it became a
 * leaf's gradient. Storages the pass did not allocate (forward results, saved tensors, the caller's upstream
 * gradient) are never touched.
 */
final class GradOwnership {
    /** Smaller storages are not tracked: copying or reallocating them costs less than tracking. */
    static final int MIN_NUMEL = 1 << 14;
    private static final int SHARED = -1;
    private static final ThreadLocal<GradOwnership> CURRENT = new ThreadLocal<>();

    /** Storage -> the slots holding it (0 while only the code that made it has it), or SHARED. */
    private final IdentityHashMap<Storage, int[]> made = new IdentityHashMap<>();
    /** The pass this one interrupted (a backward run from inside a hook or custom function), or null. */
    private final GradOwnership outer;

    /** Whether this pass reuses buffers (a pass that does not still hides its allocations from an outer one). */
    private final boolean active;

    private GradOwnership(GradOwnership outer, boolean active) {
        this.outer = outer;
        this.active = active;
    }

    /**
     * Starts a pass on this thread, tracking when {@code active}. A nested pass (a backward run from a hook or
     * custom function) has its own: storages allocated meanwhile are unknown to the outer pass, which therefore
     * never reuses them.
     */
    static GradOwnership begin(boolean active) {
        GradOwnership o = new GradOwnership(CURRENT.get(), active);
        CURRENT.set(o);
        return o;
    }

    /** Stops tracking (the interrupted pass, if any, resumes); what is left is the garbage collector's. */
    void end() {
        if (outer == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(outer);
        }
    }

    /** The pass tracking this thread, or null. */
    static GradOwnership current() {
        return CURRENT.get();
    }

    /** Records a storage Dispatch just allocated (called for every allocation, so kept cheap). */
    static void allocated(Tensor t, int numel) {
        if (numel >= MIN_NUMEL) {
            GradOwnership o = CURRENT.get();
            if (o != null && o.active) {
                o.made.put(t.storage(), new int[1]);
            }
        }
    }

    /** g now sits in one more gradient slot. */
    void held(Tensor g) {
        int[] c = g == null ? null : made.get(g.storage());
        if (c != null && c[0] != SHARED) {
            c[0]++;
        }
    }

    /** Code outside the built-in ops may keep g: its storage is never reused. */
    void share(Tensor g) {
        int[] c = g == null ? null : made.get(g.storage());
        if (c != null) {
            c[0] = SHARED;
        }
    }

    /** One slot holding g was consumed; recycles the storage when that was the last. */
    void released(Tensor g) {
        int[] c = g == null ? null : made.get(g.storage());
        if (c == null || c[0] == SHARED) {
            return;
        }
        if (--c[0] <= 0) {
            made.remove(g.storage());
            g.backend().recycle(g.storage());
        }
    }

    /**
     * Whether the leaf may take g as its gradient without a copy: g is the one slot's holding of a storage this
     * pass made, covering it densely. The storage is then the leaf's (shared) for good.
     */
    boolean claim(Tensor g) {
        int[] c = made.get(g.storage());
        if (c == null || c[0] != 1 || g.storageOffset() != 0 || !g.isContiguous()
                || g.numel() != g.storage().length()) {
            return false;
        }
        c[0] = SHARED;
        return true;
    }
}
