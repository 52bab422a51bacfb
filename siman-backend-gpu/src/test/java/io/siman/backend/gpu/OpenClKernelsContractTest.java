package io.siman.backend.gpu;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BackendProbe;
import io.siman.api.KernelGroup;
import io.siman.api.steps.IrNetSteps;
import io.siman.api.steps.SimanSteps;
import io.siman.testkit.KernelsContract;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenCL backend against the whole kernel contract, unchanged. On machines without a GPU it runs on PoCL's
 * CPU device, which the backend uses only when asked to ({@code siman.gpu.allowCpuDevices=true}, set here).
 */
class OpenClKernelsContractTest extends KernelsContract {
    @BeforeAll
    static void allowCpuDevices() {
        System.setProperty(OpenClBackendProvider.ALLOW_CPU_PROPERTY, "true");
    }

    @Override
    protected Backend createBackend(int threads) {
        return new OpenClBackendProvider().create(BackendOptions.threads(threads));
    }

    @Test
    void theProbeNamesTheDeviceWithItsMemoryAndComputeUnits() {
        BackendProbe p = new OpenClBackendProvider().probe();
        assertTrue(p.available(), p.reason());
        assertTrue(p.device().memoryBytes() > 0 && p.device().cores() > 0, p.device().toString());
        assertTrue(p.device().kind().equals("gpu") ? p.priority() > BackendProbe.CPU_PRIORITY : p.priority() < BackendProbe.CPU_PRIORITY,
                "a GPU ranks above the CPU backend, an OpenCL CPU device below it: " + p);
        assertEquals("gpu", backend.name());
    }

    @Test
    void declaresBothGroupsAndItsOwnStepFamilies() {
        assertEquals(List.of(KernelGroup.BITWISE, KernelGroup.TRAINING), KernelGroup.of(backend));
        assertSame(backend.kernels(), SimanSteps.of(backend));
        assertSame(backend.kernels(), IrNetSteps.of(backend));
    }
}
