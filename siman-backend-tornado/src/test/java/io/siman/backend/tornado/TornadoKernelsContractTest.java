package io.siman.backend.tornado;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendProbe;
import io.siman.api.KernelGroup;
import io.siman.testkit.KernelsContract;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code tornado} backend against the contract on TornadoVM's device here (PoCL's CPU device without a GPU). */
class TornadoKernelsContractTest extends KernelsContract {
    @Override
    protected Backend createBackend(int threads) {
        return new TornadoBackendProvider().create(BackendOptions.threads(threads));
    }

    @Test
    void theProbeFindsADeviceAndTheGroupsAreDeclared() {
        BackendProbe p = new TornadoBackendProvider().probe();
        assertTrue(p.available(), p.reason());
        assertTrue(p.device().kind().equals("gpu") ? p.priority() > BackendProbe.CPU_PRIORITY : p.priority() < BackendProbe.CPU_PRIORITY, p.toString());
        assertEquals(List.of(KernelGroup.BITWISE, KernelGroup.TRAINING), KernelGroup.of(backend));
    }
}
