package org.sparkgrad.engine.backend;

/**
 * Whether the JDK Vector API ({@code jdk.incubator.vector}, started with
 * {@code --add-modules=jdk.incubator.vector}) can be used, decided once. Without it the kernels run their
 * plain loops; {@link Simd} is only touched when {@link #AVAILABLE} is true, so it is never linked otherwise.
 */
final class VectorApi {
    static final boolean AVAILABLE = probe();

    private VectorApi() {
    }

    private static boolean probe() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;
        }
        try {
            return Simd.floatLanes() > 1 && Simd.doubleLanes() > 1;
        } catch (LinkageError | RuntimeException e) {
            return false;
        }
    }
}
