package io.siman.spark;

import io.siman.api.Encoding;
import io.siman.models.Siman;
import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

/**
 * Not a test of its own: the measurement behind {@link SparkTrainingTest}'s margins. Run on each CPU path
 * (docs/results.md, "Short runs"), it prints single-process and Spark accuracies of the test's configuration per seed:
 * <pre>
 * mvn test -pl siman-spark -Dtest=SpreadProbeTest -Dprobe.seeds=11,12,13,14,15 [-Dsiman.test.flags=-XX:UseAVX=2]
 * </pre>
 */
@EnabledIfSystemProperty(named = "probe.seeds", matches = ".+")
class SpreadProbeTest {
    @Test
    void probe(@TempDir Path dir) {
        try (Siman siman = Siman.builder().backend("cpu").threads(2).build()) {
            for (String s : System.getProperty("probe.seeds").split(",")) {
                long seed = Long.parseLong(s);
                TrainingConfig config = TrainingConfig.builder().encoding(Encoding.PM1).epochs(2).batch(64).seed(seed).limit(4000).build();
                long t0 = System.nanoTime();
                Trainer.Result single = new Trainer(siman.backend(), siman.binarizers(), config, null, dir.resolve("single" + s),
                        TrainingListener.NONE, Map.of()).run(false);
                SparkTraining.Result spark = SparkTraining.run(TestSpark.session(), siman,
                        new SparkTraining.Options(config, null, dir.resolve("spark" + s), 2, 4), TrainingListener.NONE, Map.of());
                System.out.printf("PROBE flags=%s seed=%d single=%.4f spark=%.4f diff=%+.4f (%.0f s)%n", System.getProperty("siman.test.flags"),
                        seed, single.finalTestAcc(), spark.finalTestAcc(), spark.finalTestAcc() - single.finalTestAcc(), (System.nanoTime() - t0) / 1e9);
            }
        }
    }
}
