package io.siman.spark;

import io.siman.api.Encoding;
import io.siman.models.Siman;
import io.siman.models.io.Checkpoint;
import io.siman.models.train.Trainer;
import io.siman.models.train.TrainingConfig;
import io.siman.models.train.TrainingListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Data-parallel training by model averaging: close to single-process training, and unharmed by a retried task. */
class SparkTrainingTest {
    @TempDir
    static Path dir;
    private static Siman siman;

    @BeforeAll
    static void backend() {
        siman = Siman.builder().backend("cpu").threads(2).build();
    }

    @AfterAll
    static void close() {
        siman.close();
    }

    private static TrainingConfig config(int limit, int epochs) {
        return TrainingConfig.builder().encoding(Encoding.PM1).epochs(epochs).batch(64).seed(11).limit(limit).build();
    }

    /*
     * How far apart two short runs (2 epochs on 4,000 images) land is set by the training trajectory, which float
     * sums in another order change: the same seed gives other numbers on the 512-bit, 256-bit (AVX2) and plain paths.
     * Measured by SpreadProbeTest over seeds 11-15 on the 512-bit and 256-bit paths, 11-12 on the plain one
     * (docs/results.md, "Short runs"):
     *   spark (2 workers):       0.681 - 0.739 (mean 0.712, sd 0.02)
     *   spark - single process: -0.051 - +0.108 (mean +0.024, sd 0.045)
     * So one pair of runs cannot show "equal within 3 points" (that test failed on AVX2: 0.7088 against 0.6759).
     * What holds on every path with a margin of about 3 standard deviations: model averaging learns as well as
     * these runs do (not 56-64%, as before batch-norm recalibration), and is not much worse than one process.
     */
    static final double SPARK_FLOOR = 0.64;
    static final double WORSE_THAN_SINGLE_AT_MOST = 0.12;

    @Test
    void twoWorkersLearnAsWellAsOneProcess() {
        TrainingConfig config = config(4000, 2);
        Trainer.Result single = new Trainer(siman.backend(), siman.binarizers(), config, null, dir.resolve("single"),
                TrainingListener.NONE, Map.of()).run(false);
        SparkTraining.Result spark = SparkTraining.run(TestSpark.session(), siman,
                new SparkTraining.Options(config, null, dir.resolve("spark"), 2, 4), TrainingListener.NONE, Map.of());
        assertEquals(2, spark.epochs().size());
        assertEquals(32, spark.rounds(), "2 epochs of 16 rounds: 2000 images per worker are 63 batches of 32, 4 steps per round");
        System.out.printf("single process %.4f, spark 2 workers %.4f%n", single.finalTestAcc(), spark.finalTestAcc());
        assertTrue(spark.finalTestAcc() > SPARK_FLOOR, "spark training reached " + spark.finalTestAcc());
        assertTrue(spark.finalTestAcc() >= single.finalTestAcc() - WORSE_THAN_SINGLE_AT_MOST,
                "spark " + spark.finalTestAcc() + " against single process " + single.finalTestAcc());
        // the run folder reads like one of 'siman train'
        Checkpoint last = Checkpoint.read(dir.resolve("spark/last.ckpt"));
        assertEquals("1", last.state().get("epoch"));
        assertEquals("2", last.run().get("spark-workers"));
        assertEquals(2, io.siman.models.train.MetricsFile.read(dir.resolve("spark")).size());
    }

    /** Stops a run after its first epoch, as a kill would (the epoch's checkpoint is written before the listener hears of it). */
    private static final class StopHere extends RuntimeException {
    }

    @Test
    void aResumedRunEndsWithTheWeightsOfAnUninterruptedOne() {
        TrainingConfig config = config(1024, 2);
        SparkTraining.run(TestSpark.session(), siman, new SparkTraining.Options(config, null, dir.resolve("straight"), 2, 4),
                TrainingListener.NONE, Map.of());
        Path resumed = dir.resolve("resumed");
        try {
            SparkTraining.run(TestSpark.session(), siman, new SparkTraining.Options(config, null, resumed, 2, 4),
                    new TrainingListener() {
                        @Override
                        public void epochFinished(io.siman.models.train.EpochMetrics m) {
                            throw new StopHere();
                        }
                    }, Map.of());
        } catch (StopHere expected) {
            // the first epoch is in resumed/last.ckpt
        }
        assertEquals("0", Checkpoint.read(resumed.resolve("last.ckpt")).state().get("epoch"));
        SparkTraining.Result r = SparkTraining.run(TestSpark.session(), siman,
                new SparkTraining.Options(config, null, resumed, 2, 4, true, "cpu", 2), TrainingListener.NONE, Map.of());
        assertEquals(2, r.epochs().size(), "the metrics of the first epoch are kept");
        assertEquals(4, r.rounds(), "only the second epoch's 4 rounds ran (512 images per worker: 16 steps of 32, 4 per round)");
        Map<String, Checkpoint.StoredTensor> a = Checkpoint.read(dir.resolve("straight/last.ckpt")).tensors();
        Map<String, Checkpoint.StoredTensor> b = Checkpoint.read(resumed.resolve("last.ckpt")).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name).values(), b.get(name).values(), name + " after resuming");
        }
        // a configuration other than the stored one is refused
        TrainingConfig other = config.toBuilder().lr(0.05).build();
        io.siman.api.SimanException e = org.junit.jupiter.api.Assertions.assertThrows(io.siman.api.SimanException.class,
                () -> SparkTraining.run(TestSpark.session(), siman, new SparkTraining.Options(other, null, resumed, 2, 4, true, "cpu", 0),
                        TrainingListener.NONE, Map.of()));
        assertTrue(e.getMessage().endsWith("was trained with a different configuration"), e.getMessage());
    }

    @Test
    void aFailedTaskIsRetriedWithoutChangingTheResult() {
        TrainingConfig config = config(1024, 1);
        SparkTraining.Result clean = SparkTraining.run(TestSpark.session(), siman,
                new SparkTraining.Options(config, null, dir.resolve("clean"), 2, 4), TrainingListener.NONE, Map.of());
        System.setProperty(WorkerRound.FAIL_ONCE_PROPERTY, "0:1:0");
        SparkTraining.Result retried;
        try {
            retried = SparkTraining.run(TestSpark.session(), siman,
                    new SparkTraining.Options(config, null, dir.resolve("retried"), 2, 4), TrainingListener.NONE, Map.of());
        } finally {
            System.clearProperty(WorkerRound.FAIL_ONCE_PROPERTY);
        }
        assertEquals(clean.finalTestAcc(), retried.finalTestAcc());
        Map<String, Checkpoint.StoredTensor> a = Checkpoint.read(dir.resolve("clean/last.ckpt")).tensors();
        Map<String, Checkpoint.StoredTensor> b = Checkpoint.read(dir.resolve("retried/last.ckpt")).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name).values(), b.get(name).values(), name + " after the retried round");
        }
    }
}
