package org.sparkgrad.spark;

import java.io.Serializable;
import java.util.function.Supplier;

/**
 * A {@link Supplier} that Spark can ship to executors, so the driver and every executor build the same
 * object (a model, a loss) from the same code.
 *
 * <pre>{@code
 * SerializableSupplier<Module> model = () -> new Sequential(new Linear(2, 1, true, new Generator(0)));
 * }</pre>
 *
 * @param <T> what it supplies
 */
@FunctionalInterface
public interface SerializableSupplier<T> extends Supplier<T>, Serializable {
}
