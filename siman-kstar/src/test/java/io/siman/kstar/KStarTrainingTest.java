package io.siman.kstar;

import io.siman.models.EvaluationRun;
import io.siman.models.Siman;
import io.siman.models.TrainingRun;
import io.siman.models.inference.ModelExport;
import io.siman.models.train.TrainingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plugin found by the registry, trained, exported, and run bitwise with exactly the float simulation's logits. */
class KStarTrainingTest {
    @TempDir
    Path dir;

    @Test
    void trainsExportsAndRunsBitwiseExactly() {
        try (Siman siman = Siman.builder().backend("cpu").threads(2).build()) {
            assertTrue(siman.binarizers().names().contains(KStarBinarizer.NAME), siman.binarizers().names().toString());
            TrainingConfig config = TrainingConfig.builder().binarizer(KStarBinarizer.NAME).epochs(1).batch(64).limit(1024).build();
            TrainingRun.Result run = siman.train(config, dir.resolve("run"));
            // 16 steps: far from converged, but over 10,000 test images chance (0.10) has a spread of 0.003
            assertTrue(run.finalTestAccuracy() > 0.15, "learns: " + run.finalTestAccuracy());
            Path model = dir.resolve("kstar.siman");
            ModelExport.Result exported = siman.export(run.bestCheckpoint(), model);
            assertEquals(18, exported.bitwiseLayers(), "every binarized layer exported as bits");
            EvaluationRun.Result bitwise = siman.evaluation(model).limit(500).compareWith(run.bestCheckpoint()).run();
            assertEquals("bitwise", bitwise.mode());
            assertEquals(500, bitwise.agreement().count());
            assertEquals(500, bitwise.agreement().identicalLogits(), "bitwise logits equal the float simulation's: " + bitwise.agreement());
            EvaluationRun.Result simulated = siman.evaluation(run.bestCheckpoint()).limit(500).run();
            assertEquals(simulated.accuracy(), bitwise.accuracy());
        }
    }
}
