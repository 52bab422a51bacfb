package io.siman.api;

import java.util.Map;

/**
 * Settings for creating a backend.
 *
 * @param threads    worker threads for compute; 0 means one per available processor
 * @param properties backend-specific settings (keys documented by each backend)
 */
public record BackendOptions(int threads, Map<String, String> properties) {
    public BackendOptions {
        if (threads < 0) {
            throw new SimanException("threads must be 0 (all processors) or positive, got " + threads);
        }
        properties = Map.copyOf(properties);
    }

    public static BackendOptions defaults() {
        return new BackendOptions(0, Map.of());
    }

    public static BackendOptions threads(int threads) {
        return new BackendOptions(threads, Map.of());
    }

    /** The thread count with 0 resolved to the number of available processors. */
    public int resolvedThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
