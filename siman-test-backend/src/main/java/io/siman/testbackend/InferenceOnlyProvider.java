package io.siman.testbackend;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendProbe;
import io.siman.api.BackendProvider;
import io.siman.api.DeviceInfo;

/**
 * The provider of the {@code inference-only} test backend. Always available, ranked below every real backend, so it
 * runs only when asked for by name.
 */
public final class InferenceOnlyProvider implements BackendProvider {
    public static final String NAME = "inference-only";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public BackendProbe probe() {
        return BackendProbe.available(1, InferenceOnlyBackend.DEVICE);
    }

    @Override
    public Backend create(BackendOptions options) {
        return new InferenceOnlyBackend();
    }

    static DeviceInfo device() {
        return InferenceOnlyBackend.DEVICE;
    }
}
