package io.siman.cli;

import picocli.CommandLine.Option;

/** The options that pick and size a backend, shared by every command that computes. */
final class BackendOption {
    @Option(names = "--backend", paramLabel = "NAME",
            description = "Backend to use (see 'siman backends'). Default: -Dsiman.backend, then SIMAN_BACKEND, then the available backend with the highest priority.")
    String backend;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Worker threads; 0 means one per processor (default: ${DEFAULT-VALUE}).")
    int threads;
}
