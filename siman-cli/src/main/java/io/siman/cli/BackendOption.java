package io.siman.cli;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.ProvisionException;
import io.siman.api.BackendOptions;
import io.siman.api.SimanException;
import io.siman.guice.SimanModule;
import io.siman.models.Siman;
import picocli.CommandLine.Option;

/** The options that pick and size a backend, shared by every command that computes; {@link #open()} composes the library. */
public final class BackendOption {
    @Option(names = "--backend", paramLabel = "NAME",
            description = "Backend to use (see 'siman backends'). Default: -Dsiman.backend, then SIMAN_BACKEND, then the available backend with the highest priority.")
    public String backend;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Worker threads; 0 means one per processor (default: ${DEFAULT-VALUE}).")
    public int threads;

    /**
     * The library as these options configure it, assembled by Guice ({@link SimanModule}); the caller closes it.
     * Guice's wrapping is taken off so that the command sees the library's one-line errors.
     */
    public Siman open() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        try {
            return Guice.createInjector(new SimanModule(backend, BackendOptions.threads(threads),
                    loader != null ? loader : BackendOption.class.getClassLoader())).getInstance(Siman.class);
        } catch (CreationException | ProvisionException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof SimanException s) {
                    throw s;
                }
            }
            throw e;
        }
    }
}
