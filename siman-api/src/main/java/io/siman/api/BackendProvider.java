package io.siman.api;

/**
 * The backend SPI, found with {@link java.util.ServiceLoader}. Register an implementation both in
 * {@code META-INF/services/io.siman.api.BackendProvider} and with {@code provides} in
 * {@code module-info.java} so it works on the class path and the module path.
 *
 * <p>A provider must be cheap to construct: discovery instantiates every provider on the path.
 * The expensive work happens in {@link #probe()} (once; the registry caches it) and {@link #create}.
 */
public interface BackendProvider {
    /** Unique lower-case name, used by {@code --backend}, {@code siman.backend} and {@code SIMAN_BACKEND}. */
    String name();

    /** Finds out whether this backend can run here, on what, and how it ranks. Never throws. */
    BackendProbe probe();

    /**
     * Creates a backend. Callers own it and must {@link Backend#close()} it.
     *
     * @throws UnavailableException when the probe said unavailable
     */
    Backend create(BackendOptions options);
}
