package io.siman.guice;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.multibindings.MapBinder;
import io.siman.api.BackendOptions;
import io.siman.api.BackendRegistry;
import io.siman.api.Binarizer;
import io.siman.models.Siman;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimanModuleTest {
    @Test
    void providesOneFacadeWithTheNamedBackendAndTheDiscoveredBinarizers() {
        Injector injector = Guice.createInjector(new SimanModule("cpu", BackendOptions.threads(2), getClass().getClassLoader()));
        try (Siman siman = injector.getInstance(Siman.class)) {
            assertSame(siman, injector.getInstance(Siman.class), "one facade per injector");
            assertEquals("cpu", siman.backend().name());
            assertEquals(2, siman.backend().threads());
            assertEquals(BackendRegistry.Source.EXPLICIT, siman.selection().source());
            assertEquals(java.util.List.of("siman", "xnor", "irnet", "none"), siman.binarizers().names());
        }
    }

    @Test
    void anApplicationModuleAddsABinarizerByName() {
        Binarizer plain = new io.siman.models.binarizers.FullPrecisionBinarizer();
        Binarizer custom = (Binarizer) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{Binarizer.class},
                (proxy, method, args) -> method.getName().equals("name") ? "custom" : method.invoke(plain, args));
        Injector injector = Guice.createInjector(new SimanModule(null, BackendOptions.threads(1), getClass().getClassLoader()),
                new AbstractModule() {
                    @Override
                    protected void configure() {
                        MapBinder.newMapBinder(binder(), String.class, Binarizer.class).addBinding("custom").toInstance(custom);
                    }
                });
        try (Siman siman = injector.getInstance(Siman.class)) {
            assertSame(custom, siman.binarizer("custom"));
            assertTrue(siman.binarizers().names().contains("siman"));
        }
    }
}
