package io.siman.guice;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.MapBinder;
import io.siman.api.BackendOptions;
import io.siman.api.BackendRegistry;
import io.siman.api.Binarizer;
import io.siman.api.BinarizerRegistry;
import io.siman.api.NamedServices;
import io.siman.models.Siman;

import java.util.List;
import java.util.Map;

/**
 * Composes SiMaN-J in Guice: the discovered backends, the discovered binarizers (bound in a map by name, so an
 * application's module can add its own), and the {@link Siman} facade over them, whose backend is the one the
 * selection order picks. The command line assembles itself with it; applications that use Guice install it.
 * Close the {@link Siman} when done: it owns the backend.
 */
public final class SimanModule extends AbstractModule {
    private final String explicitBackend;
    private final BackendOptions options;
    private final ClassLoader loader;

    /**
     * @param explicitBackend the backend named by the caller (the CLI's {@code --backend}), or null to apply
     *                        the rest of the selection order
     * @param options         thread count and backend settings
     * @param loader          where providers are looked up
     */
    public SimanModule(String explicitBackend, BackendOptions options, ClassLoader loader) {
        this.explicitBackend = explicitBackend;
        this.options = options;
        this.loader = loader;
    }

    @Override
    protected void configure() {
        bind(BackendOptions.class).toInstance(options);
        MapBinder<String, Binarizer> byName = MapBinder.newMapBinder(binder(), String.class, Binarizer.class);
        // validated for duplicate names before binding, so a clash reads as our one-line error, not Guice's
        for (Binarizer b : new BinarizerRegistry(NamedServices.load(Binarizer.class, loader)).all()) {
            byName.addBinding(b.name()).toInstance(b);
        }
    }

    @Provides
    @Singleton
    BackendRegistry backendRegistry() {
        return BackendRegistry.discover(loader);
    }

    @Provides
    @Singleton
    BinarizerRegistry binarizerRegistry(Map<String, Binarizer> byName) {
        return new BinarizerRegistry(List.copyOf(byName.values()));
    }

    @Provides
    @Singleton
    Siman siman(BackendRegistry backends, BackendOptions backendOptions, BinarizerRegistry binarizers) {
        return Siman.of(backends, explicitBackend, backendOptions, binarizers);
    }
}
