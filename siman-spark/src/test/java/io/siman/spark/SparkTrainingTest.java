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
        return new TrainingConfig("resnet20", "fashion-mnist", "siman", Encoding.PM1, epochs, 64, 0.1, 0.9, 5e-4, null, 0, 11, limit, 0);
    }

    @Test
    void twoWorkersComeCloseToOneProcess() {
        TrainingConfig config = config(4000, 2);
        Trainer.Result single = new Trainer(siman.backend(), siman.binarizers(), config, null, dir.resolve("single"),
                TrainingListener.NONE, Map.of()).run(false);
        SparkTraining.Result spark = SparkTraining.run(TestSpark.session(), siman,
                new SparkTraining.Options(config, null, dir.resolve("spark"), 2, 4), TrainingListener.NONE, Map.of());
        assertEquals(2, spark.epochs().size());
        assertEquals(32, spark.rounds(), "2 epochs of 16 rounds: 2000 images per worker are 63 batches of 32, 4 steps per round");
        // 2 epochs on 4,000 images: both around 72% (measured: 72.14% and 71.74%). Without the batch-norm
        // recalibration after averaging the Spark run fell to 56-64%; the full-data comparison is in docs/spark.md.
        System.out.printf("single process %.4f, spark 2 workers %.4f%n", single.finalTestAcc(), spark.finalTestAcc());
        assertTrue(spark.finalTestAcc() > 0.5, "spark training reached " + spark.finalTestAcc());
        assertTrue(Math.abs(spark.finalTestAcc() - single.finalTestAcc()) <= 0.03,
                "spark " + spark.finalTestAcc() + " against single process " + single.finalTestAcc());
        // the run folder reads like one of 'siman train'
        Checkpoint last = Checkpoint.read(dir.resolve("spark/last.ckpt"));
        assertEquals("1", last.state().get("epoch"));
        assertEquals("2", last.run().get("spark-workers"));
        assertEquals(2, io.siman.models.train.MetricsFile.read(dir.resolve("spark")).size());
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
