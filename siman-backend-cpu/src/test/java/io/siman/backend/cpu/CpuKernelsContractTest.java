package io.siman.backend.cpu;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.KernelGroup;
import io.siman.api.steps.BinaryActivationSteps;
import io.siman.api.steps.ShortcutSteps;
import io.siman.api.steps.SimanSteps;
import io.siman.testkit.KernelsContract;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU backend against the whole kernel contract, on each of its paths: the default (vectorized when
 * the incubator module is present), plain Java forced by a backend property, and, in JVMs of their own
 * (see this module's pom), a forced 128-bit vector size and a JVM without the incubator module.
 */
class CpuKernelsContractTest extends KernelsContract {
    static Backend cpu(int threads, Map<String, String> properties) {
        return new CpuBackendProvider().create(new BackendOptions(threads, properties));
    }

    @Override
    protected Backend createBackend(int threads) {
        return cpu(threads, Map.of());
    }

    @Test
    void runsThePathThisJvmWasSetUpFor() {
        // surefire runs this class three times: preferred vectors, forced 128-bit vectors, no incubator module
        String expected = System.getProperty("siman.test.expectedPath", "vector");
        String path = ((CpuBackend) backend).kernelPath();
        assertTrue(path.startsWith(expected), "kernel path " + path + ", expected " + expected);
        assertEquals(Vectorization.moduleAvailable(), path.startsWith("vector"));
    }

    @Test
    void declaresBothGroupsAndItsOwnStepFamiliesUnlessThePortableOnesAreAskedFor() {
        assertEquals(List.of(KernelGroup.BITWISE, KernelGroup.TRAINING), KernelGroup.of(backend));
        assertSame(backend.kernels(), SimanSteps.of(backend));
        assertSame(backend.kernels(), BinaryActivationSteps.of(backend));
        try (Backend portable = cpu(2, Map.of(CpuKernels.PORTABLE_STEPS, "true"))) {
            assertEquals(List.of(KernelGroup.BITWISE, KernelGroup.TRAINING), KernelGroup.of(portable), "groups stay");
            assertNotSame(portable.kernels(), SimanSteps.of(portable));
            assertNotSame(portable.kernels(), ShortcutSteps.of(portable));
        }
    }

    @Nested
    class PlainJava extends KernelsContract {
        @Override
        protected Backend createBackend(int threads) {
            return cpu(threads, Map.of(Vectorization.PROPERTY, "false"));
        }

        @Test
        void usesThePlainPath() {
            assertEquals("scalar", ((CpuBackend) backend).kernelPath());
        }
    }
}
