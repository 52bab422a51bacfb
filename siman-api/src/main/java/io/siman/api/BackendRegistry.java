package io.siman.api;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backends found on the class path or module path, and the one rule that picks which to use.
 *
 * <p>Selection order: an explicit name (the CLI's {@code --backend}, or a library call); the system
 * property {@value #PROPERTY}; the environment variable {@value #ENV}; otherwise the available provider
 * with the highest priority (ties go to the name first in alphabetical order). An unknown name fails
 * with the known names; a known but unavailable one fails with its reason. Thread-safe; each provider is
 * probed at most once.
 */
public final class BackendRegistry {
    public static final String PROPERTY = "siman.backend";
    public static final String ENV = "SIMAN_BACKEND";

    /** How the selected backend was chosen. */
    public enum Source {
        EXPLICIT("--backend"), PROPERTY("-D" + BackendRegistry.PROPERTY), ENVIRONMENT(BackendRegistry.ENV), PRIORITY("priority");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** The outcome of {@link #select}. */
    public record Selection(BackendProvider provider, BackendProbe probe, Source source) {
        public String name() {
            return provider.name();
        }
    }

    private final NamedServices<BackendProvider> providers;
    private final Map<String, BackendProbe> probes = new ConcurrentHashMap<>();

    public BackendRegistry(List<BackendProvider> providers) {
        this.providers = new NamedServices<>("backend", providers, BackendProvider::name);
    }

    /** Providers visible to the thread's context class loader (or the system loader). */
    public static BackendRegistry discover() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return discover(cl != null ? cl : ClassLoader.getSystemClassLoader());
    }

    public static BackendRegistry discover(ClassLoader loader) {
        return new BackendRegistry(NamedServices.load(BackendProvider.class, loader));
    }

    public List<String> names() {
        return providers.names();
    }

    public BackendProvider provider(String name) {
        return providers.get(name);
    }

    /** The provider's probe, computed once. A probe that throws counts as unavailable with its message. */
    public BackendProbe probe(String name) {
        BackendProvider p = providers.get(name);
        return probes.computeIfAbsent(name, n -> {
            try {
                BackendProbe probe = p.probe();
                return probe != null ? probe : BackendProbe.unavailable("probe returned nothing");
            } catch (RuntimeException | LinkageError e) {
                return BackendProbe.unavailable("probe failed: " + e);
            }
        });
    }

    /** Applies the selection order with the real system property and environment. */
    public Selection select(String explicitName) {
        return select(explicitName, System.getProperty(PROPERTY), System.getenv(ENV));
    }

    /** Applies the selection order to the given values; null or blank means "not set". */
    public Selection select(String explicitName, String propertyValue, String envValue) {
        Selection s = choose(explicitName, propertyValue, envValue);
        System.getLogger(BackendRegistry.class.getName()).log(System.Logger.Level.DEBUG, "backend {0} selected ({1}): {2}",
                s.provider().name(), s.source().label(), s.probe().device());
        return s;
    }

    private Selection choose(String explicitName, String propertyValue, String envValue) {
        if (isSet(explicitName)) {
            return named(explicitName.trim(), Source.EXPLICIT);
        }
        if (isSet(propertyValue)) {
            return named(propertyValue.trim(), Source.PROPERTY);
        }
        if (isSet(envValue)) {
            return named(envValue.trim(), Source.ENVIRONMENT);
        }
        return providers.names().stream()
                .filter(n -> probe(n).available())
                .max(Comparator.<String>comparingInt(n -> probe(n).priority()).thenComparing(Comparator.reverseOrder()))
                .map(n -> new Selection(providers.get(n), probe(n), Source.PRIORITY))
                .orElseThrow(() -> new UnavailableException("no backend is available here"
                        + (providers.names().isEmpty() ? " (none is on the class path)" : ": " + reasons())));
    }

    private Selection named(String name, Source source) {
        BackendProvider p = providers.get(name);
        BackendProbe probe = probe(name);
        if (!probe.available()) {
            throw new UnavailableException("backend '" + name + "' (from " + source.label() + ") is unavailable: " + probe.reason());
        }
        return new Selection(p, probe, source);
    }

    private String reasons() {
        StringBuilder b = new StringBuilder();
        for (String n : providers.names()) {
            b.append(b.isEmpty() ? "" : "; ").append(n).append(": ").append(probe(n).reason());
        }
        return b.toString();
    }

    private static boolean isSet(String s) {
        return s != null && !s.isBlank();
    }
}
