package io.siman.guice;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.multibindings.MapBinder;
import io.siman.api.BackendOptions;
import io.siman.api.BackendRegistry;
import io.siman.api.Binarizer;
import io.siman.models.Siman;
import io.siman.models.train.TrainingConfig;
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

    /** The Guice snippet of docs/embedding.md, as it is shown there. */
    private void guiceSnippet(java.nio.file.Path out) {
        Injector injector = Guice.createInjector(new SimanModule("cpu", BackendOptions.threads(2), getClass().getClassLoader()));
        try (Siman siman = injector.getInstance(Siman.class)) {
            siman.train(TrainingConfig.builder().epochs(1).limit(2000).build(), out);
        }
    }

    @Test
    void theManualsGuiceSnippetRunsAndIsShownAsCompiled(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        guiceSnippet(dir.resolve("run"));
        assertTrue(java.nio.file.Files.exists(dir.resolve("run/best.ckpt")));
        String source = java.nio.file.Files.readString(java.nio.file.Path.of("src/test/java/io/siman/guice/SimanModuleTest.java"));
        int from = source.indexOf("\n", source.indexOf("private void guiceSnippet(")) + 1;
        String body = source.substring(from, source.indexOf("\n    }\n", from));
        String shown = body.lines().map(l -> l.substring(Math.min(8, l.length()))).collect(java.util.stream.Collectors.joining("\n"));
        String manual = java.nio.file.Files.readString(java.nio.file.Path.of("../docs/embedding.md"));
        assertTrue(manual.contains("```java\n" + shown + "\n```"), "docs/embedding.md must show:\n" + shown);
    }
}
