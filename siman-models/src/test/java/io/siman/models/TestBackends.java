package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendRegistry;

/**
 * The backend the model tests run on: the one the test run names (-Dsiman.backend, else SIMAN_BACKEND, as for any
 * run), else {@code cpu}. So the same tests rerun on another backend, e.g.
 * {@code mvn test -pl siman-models -Dsiman.backend=gpu} with {@code SIMAN_GPU_ALLOW_CPU=1} on PoCL.
 */
final class TestBackends {
    private TestBackends() {
    }

    static String name() {
        String property = System.getProperty(BackendRegistry.PROPERTY), env = System.getenv(BackendRegistry.ENV);
        return property != null && !property.isBlank() ? property.trim() : env != null && !env.isBlank() ? env.trim() : "cpu";
    }

    static Backend create(int threads) {
        return BackendRegistry.discover().select(name()).provider().create(BackendOptions.threads(threads));
    }
}
