package org.sparkgrad.spark;

import java.io.Serializable;
import java.util.function.Function;

/**
 * A {@link Function} that Spark can ship to executors (and that a trainer's settings can hold), e.g. an
 * optimizer factory {@code p -> new SGD(p, 0.03)}.
 *
 * @param <A> the argument
 * @param <R> the result
 */
@FunctionalInterface
public interface SerializableFunction<A, R> extends Function<A, R>, Serializable {
}
