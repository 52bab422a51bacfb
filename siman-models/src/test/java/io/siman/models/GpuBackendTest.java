package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.TrainingProgress;
import io.siman.backend.cpu.CpuBackendProvider;
import io.siman.backend.gpu.OpenClBackendProvider;
import io.siman.models.bench.TrainingBenchmark;
import io.siman.models.nets.Network;
import io.siman.models.train.Models;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingStep;
import io.siman.testkit.Reference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenCL backend (on PoCL's CPU device where there is no GPU) against the CPU backend: the same training steps
 * give the same losses within a tolerance, bitwise inference gives the same predictions, and device memory is
 * released step after step.
 */
class GpuBackendTest {
    private static final BinarizerRegistry BINARIZERS = BinarizerRegistry.discover();

    @BeforeAll
    static void allowCpuDevices() {
        System.setProperty(OpenClBackendProvider.ALLOW_CPU_PROPERTY, "true");
    }

    private static Backend gpu() {
        return new OpenClBackendProvider().create(BackendOptions.threads(1));
    }

    private static Backend cpu() {
        return new CpuBackendProvider().create(BackendOptions.threads(2));
    }

    private static final TrainingConfig CONFIG =
            new TrainingConfig("resnet20", "fashion-mnist", "siman", Encoding.PM1, 2, 16, 0.1, 0.9, 5e-4, null, 0, 9, 0, 0);

    /** Five steps each, from the CPU network's state: see {@link BackendAgreement} for what must agree and why. */
    @Test
    void trainingStepsGiveTheCpuBackendsLosses() {
        try (Backend c = cpu(); Backend g = gpu()) {
            BackendAgreement.trainingSteps(c, g, "none", 5, 5, 32);
            BackendAgreement.trainingSteps(c, g, "siman", 5, 3, 32);
        }
    }

    /** Many steps in a row on the device: the number of live buffers returns to where it started. */
    @Test
    void deviceMemoryIsReleasedStepAfterStep() {
        try (Backend g = gpu()) {
            long before = g.liveTensors();
            try (Network n = Models.build(g, BINARIZERS, CONFIG, new int[]{1, 32, 32}, 10);
                 TrainingStep st = new TrainingStep(g, n, BINARIZERS.get("siman"), 0.9, 5e-4, null)) {
                SplittableRandom r = new SplittableRandom(1);
                long during = -1;
                for (int s = 0; s < 4; s++) {
                    int batch = s % 2 == 0 ? 16 : 8; // a new batch size reallocates the work buffers
                    float[] x = Reference.randomFloats(r, batch * 1024, 1.5);
                    st.run(x, new int[batch], batch, 0.05, TrainingProgress.training(0, 2));
                    if (s == 2) {
                        during = g.liveTensors();
                    }
                }
                assertEquals(during, g.liveTensors(), "steps of a size already seen allocate nothing more");
            }
            assertEquals(before, g.liveTensors(), "closing the network and the step releases every buffer");
        }
    }

    /**
     * A model exported on the CPU, run bitwise on both backends over 256 Fashion-MNIST test images: the integer sums
     * are exact on both, so the logits agree to rounding, but for the rare activation that lies within rounding of its
     * sample's mean (the threshold both compute, in different summation orders): that one takes the other bit. Almost
     * every prediction and logit row agrees.
     */
    @Test
    void bitwiseInferenceGivesTheCpuBackendsPredictions(@TempDir Path dir) {
        try (Backend c = cpu(); Backend g = gpu()) {
            BackendAgreement.Predictions p = BackendAgreement.bitwisePredictions(c, g, dir, 256);
            assertEquals("gpu", g.name());
            assertTrue(p.sameClass() >= 0.99 * p.count(), p.sameClass() + " of " + p.count() + " predictions agree");
            assertTrue(p.closeLogits() >= 0.95 * p.count(), p.closeLogits() + " of " + p.count() + " logit rows agree to rounding");
        }
    }

    @Test
    void theTrainingBenchmarkRunsOnTheDevice() {
        try (Backend b = gpu()) {
            TrainingBenchmark.Result r = TrainingBenchmark.run(b, BINARIZERS, "resnet20", "siman", "fashion-mnist", null, 16, 1, 1,
                    false, false, line -> {
                    });
            assertTrue(r.imagesPerSecond() > 0);
            assertEquals("gpu", r.backend());
            assertEquals(0, b.liveTensors());
        }
    }
}
