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
            assertTrue(((CpuBackend) backend).kernelPath().startsWith("scalar; bits: scalar popcount"), ((CpuBackend) backend).kernelPath());
        }
    }

    /** Every popcount strategy on every machine: a vector size the CPU lacks is emulated, so only speed differs. */
    abstract class ForcedPopcount extends KernelsContract {
        abstract String strategy();

        abstract String described();

        @Override
        protected Backend createBackend(int threads) {
            return cpu(threads, Map.of(Vectorization.POPCOUNT_PROPERTY, strategy()));
        }

        @Test
        void usesTheForcedStrategy() {
            String path = ((CpuBackend) backend).kernelPath();
            String bits = path.substring(path.indexOf("bits: "));
            assertTrue(bits.contains(Vectorization.moduleAvailable() || strategy().equals("scalar") ? described() : "scalar popcount"), path);
        }
    }

    @Nested
    class Avx512Popcount extends ForcedPopcount {
        String strategy() {
            return "avx512";
        }

        String described() {
            return "register tiles of 16";
        }
    }

    @Nested
    class Avx2Popcount extends ForcedPopcount {
        String strategy() {
            return "avx2";
        }

        String described() {
            return "register tiles of 8";
        }
    }

    @Nested
    class ScalarPopcount extends ForcedPopcount {
        String strategy() {
            return "scalar";
        }

        String described() {
            return "scalar popcount";
        }
    }

    @Test
    void anUnknownPopcountStrategyIsAOneLineError() {
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(io.siman.api.UnknownNameException.class,
                () -> cpu(1, Map.of(Vectorization.POPCOUNT_PROPERTY, "sse9")));
        assertEquals("unknown cpu.popcount strategy 'sse9'; known: auto, avx512, avx2, scalar", e.getMessage());
    }
}
