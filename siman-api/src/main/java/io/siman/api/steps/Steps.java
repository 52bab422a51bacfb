package io.siman.api.steps;

import io.siman.api.Backend;

import java.util.function.Function;

/**
 * How a method-specific step family is looked up: a family is an interface with a portable default written on the
 * core {@link io.siman.api.Kernels}; a backend accelerates it by having its kernels implement the interface too.
 * A binarizer plugin brings its own family the same way, and a backend plugin that knows it can accelerate it,
 * neither touching this module.
 */
public final class Steps {
    private Steps() {
    }

    /** {@code backend}'s own implementation of {@code family}, or the portable default built on its core kernels. */
    public static <S> S of(Backend backend, Class<S> family, Function<Backend, ? extends S> portable) {
        return backend.kernels().as(family).<S>map(s -> s).orElseGet(() -> portable.apply(backend));
    }
}
