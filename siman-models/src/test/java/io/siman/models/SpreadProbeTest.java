package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.Encoding;
import io.siman.backend.cpu.CpuBackendProvider;
import io.siman.api.BinarizerRegistry;
import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

/**
 * Not a test of its own: the measurement behind the accuracy thresholds of {@link TrainingTest} and of the embedding
 * example's test. Run on each CPU path (docs/results.md, "Short runs"), it prints the test accuracy of each of their
 * short runs per seed:
 * <pre>
 * mvn test -pl siman-models -Dtest=SpreadProbeTest -Dprobe.seeds=123,42,1,2,3 [-Dsiman.test.flags=-XX:UseAVX=2]
 * </pre>
 */
@EnabledIfSystemProperty(named = "probe.seeds", matches = ".+")
class SpreadProbeTest {
    @Test
    void probe(@TempDir Path dir) {
        try (Backend backend = new CpuBackendProvider().create(BackendOptions.threads(2))) {
            for (String s : System.getProperty("probe.seeds").split(",")) {
                long seed = Long.parseLong(s);
                Object[][] runs = {{"siman", 2, 3000}, {"none", 2, 3000}, {"irnet", 1, 2000}, {"xnor", 1, 2000}, {"siman", 1, 3000}};
                StringBuilder line = new StringBuilder("PROBE flags=" + System.getProperty("siman.test.flags") + " seed=" + seed);
                for (Object[] r : runs) {
                    TrainingConfig c = TrainingConfig.builder().binarizer((String) r[0]).encoding(Encoding.PM1).epochs((Integer) r[1])
                            .batch(64).seed(seed).limit((Integer) r[2]).build();
                    Trainer.Result res = new Trainer(backend, BinarizerRegistry.discover(), c, TrainingTest.DATA, dir.resolve(r[0] + "-" + r[1] + "-" + seed),
                            TrainingListener.NONE, Map.of()).run(false);
                    line.append(String.format(" %s/%de=%.4f", r[0], r[1], res.bestTestAcc()));
                }
                System.out.println(line);
            }
        }
    }
}
