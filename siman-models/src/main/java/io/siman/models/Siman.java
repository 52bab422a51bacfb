package io.siman.models;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.ProvisionException;
import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendRegistry;
import io.siman.api.Binarizer;
import io.siman.api.BinarizerRegistry;
import io.siman.api.SimanException;

import java.util.Map;

/**
 * The entry point for applications that embed SiMaN-J; no Guice knowledge needed.
 *
 * <pre>{@code
 * try (Siman siman = Siman.builder().backend("cpu").threads(2).build()) {
 *     Backend backend = siman.backend();
 *     Binarizer binarizer = siman.binarizer("siman");
 * }
 * }</pre>
 *
 * The backend is chosen by the selection order of {@link BackendRegistry}: the name given to
 * {@link Builder#backend}, then {@code -Dsiman.backend}, then {@code SIMAN_BACKEND}, then priority.
 * It is created on first use and closed by {@link #close()}.
 */
public final class Siman implements AutoCloseable {
    private final Injector injector;
    private Backend backend;

    private Siman(Injector injector) {
        this.injector = injector;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Every backend on the path, with probes. */
    public BackendRegistry backends() {
        return get(BackendRegistry.class);
    }

    /** The selected backend's provider, probe and how it was chosen (without creating it). */
    public BackendRegistry.Selection selection() {
        return get(BackendRegistry.Selection.class);
    }

    /** The selected backend, created on first call. */
    public synchronized Backend backend() {
        if (backend == null) {
            backend = get(Backend.class);
        }
        return backend;
    }

    public BinarizerRegistry binarizers() {
        return get(BinarizerRegistry.class);
    }

    public Binarizer binarizer(String name) {
        return binarizers().get(name);
    }

    /** Unwraps Guice's wrapping so callers see SiMaN-J's own one-line errors. */
    private <T> T get(Class<T> type) {
        try {
            return injector.getInstance(Key.get(type));
        } catch (ProvisionException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof SimanException s) {
                    throw s;
                }
            }
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (backend != null) {
            backend.close();
            backend = null;
        }
    }

    /** Configures a {@link Siman}. */
    public static final class Builder {
        private String backend;
        private int threads;
        private Map<String, String> properties = Map.of();
        private ClassLoader loader;

        private Builder() {
        }

        /** The backend by name; null keeps the rest of the selection order. */
        public Builder backend(String name) {
            this.backend = name;
            return this;
        }

        /** Worker threads; 0 (the default) means one per available processor. */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        public Builder properties(Map<String, String> properties) {
            this.properties = Map.copyOf(properties);
            return this;
        }

        /** Where backends and binarizers are looked up; default: the thread's context class loader. */
        public Builder classLoader(ClassLoader loader) {
            this.loader = loader;
            return this;
        }

        public Siman build() {
            ClassLoader cl = loader != null ? loader : Thread.currentThread().getContextClassLoader();
            if (cl == null) {
                cl = Siman.class.getClassLoader();
            }
            try {
                return new Siman(Guice.createInjector(new SimanModule(backend, new BackendOptions(threads, properties), cl)));
            } catch (com.google.inject.CreationException e) {
                for (Throwable t = e; t != null; t = t.getCause()) {
                    if (t instanceof SimanException s) {
                        throw s;
                    }
                }
                throw e;
            }
        }
    }
}
