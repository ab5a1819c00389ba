package org.sparkgrad.engine;

/**
 * Whether operations record the graph, per thread. Scopes nest and restore the previous state when closed:
 * <pre>{@code
 * try (var noGrad = GradMode.noGrad()) {
 *     w.sub_(w.grad().mul(lr));
 * }
 * }</pre>
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {
    }

    /** Whether the graph is recorded on this thread. */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Stops recording until the scope closes, like {@code with torch.no_grad():}. */
    public static Scope noGrad() {
        return set(false);
    }

    /** Records again until the scope closes, like {@code with torch.enable_grad():}. */
    public static Scope enableGrad() {
        return set(true);
    }

    /** Sets recording on or off until the scope closes. */
    public static Scope set(boolean enabled) {
        boolean[] state = ENABLED.get();
        Scope scope = new Scope(state[0]);
        state[0] = enabled;
        return scope;
    }

    /** Restores the previous grad mode when closed. */
    public static final class Scope implements AutoCloseable {
        private final boolean previous;
        private boolean closed;

        private Scope(boolean previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                ENABLED.get()[0] = previous;
            }
        }
    }
}
