package io.siman.backend.cpu;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.testkit.KernelsContract;

/** The CPU backend against the whole kernel contract. */
class CpuKernelsContractTest extends KernelsContract {
    @Override
    protected Backend createBackend(int threads) {
        return new CpuBackendProvider().create(BackendOptions.threads(threads));
    }
}
