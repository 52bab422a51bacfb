package io.siman.backend.tornado;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.backend.cpu.CpuBackendProvider;
import io.siman.models.BackendAgreement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The {@code tornado} backend (on PoCL's CPU device where there is no GPU) against the CPU backend, with the checks
 * the OpenCL backend passes ({@link BackendAgreement}): training steps give the same losses and gradients within
 * float rounding, a model exported on the CPU predicts the same classes bitwise, and no device range leaks.
 */
class TornadoBackendTest {
    private static Backend tornado() {
        return new TornadoBackendProvider().create(BackendOptions.threads(1));
    }

    private static Backend cpu() {
        return new CpuBackendProvider().create(BackendOptions.threads(2));
    }

    @Test
    void trainingStepsGiveTheCpuBackendsLosses() {
        try (Backend c = cpu(); Backend t = tornado()) {
            BackendAgreement.trainingSteps(c, t, "none", 3, 3, 16);
            BackendAgreement.trainingSteps(c, t, "siman", 4, 2, 16);
        }
    }

    @Test
    void bitwiseInferenceGivesTheCpuBackendsPredictions(@TempDir Path dir) {
        try (Backend c = cpu(); Backend t = tornado()) {
            BackendAgreement.Predictions p = BackendAgreement.bitwisePredictions(c, t, dir, 128);
            assertEquals(p.count(), p.sameClass(), "bitwise predictions: " + p);
        }
    }
}
