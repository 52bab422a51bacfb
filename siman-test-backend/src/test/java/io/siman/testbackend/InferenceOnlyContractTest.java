package io.siman.testbackend;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.KernelGroup;
import io.siman.api.MissingKernelsException;
import io.siman.api.TrainingKernels;
import io.siman.testkit.KernelsContract;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The inference-only backend against the contract: the core and the bitwise group run, training's tests are skipped. */
class InferenceOnlyContractTest extends KernelsContract {
    @Override
    protected Backend createBackend(int threads) {
        return new InferenceOnlyProvider().create(BackendOptions.threads(threads));
    }

    @Test
    void declaresTheBitwiseGroupOnlyAndRefusesTrainingInOneLine() {
        assertEquals(List.of(KernelGroup.BITWISE), KernelGroup.of(backend));
        MissingKernelsException e = assertThrows(MissingKernelsException.class, () -> backend.kernels(TrainingKernels.class));
        assertEquals("backend 'inference-only' does not implement the training kernels (group 'training'); "
                + "choose a backend that does (siman backends lists them)", e.getMessage());
    }
}
