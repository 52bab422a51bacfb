package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.ShapeMismatchException;
import io.siman.api.SimanException;
import io.siman.models.inference.Predictor;
import io.siman.models.inference.ModelExport;
import io.siman.testkit.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One loaded model shared by many threads gives what sequential use gives, and releases everything on close. */
class PredictorTest {
    private final BinarizerRegistry binarizers = BinarizerRegistry.discover();

    @Test
    void sixteenThreadsAtOnceGiveTheSequentialResults(@TempDir Path dir) throws Exception {
        try (Backend backend = TestBackends.create(2)) {
            Path model = ModelExport.randomModel(backend, binarizers, "resnet20", "siman", Encoding.PM1, "fashion-mnist", 5, dir);
            int images = 48;
            try (Predictor p = Predictor.load(backend, binarizers, model)) {
                int per = p.imageSize();
                float[] x = Reference.randomFloats(new SplittableRandom(9), images * per, 1.5);
                // sequential, one image at a time: the reference
                float[] expected = new float[images * 10];
                for (int i = 0; i < images; i++) {
                    System.arraycopy(p.logits(Arrays.copyOfRange(x, i * per, (i + 1) * per), 1), 0, expected, i * 10, 10);
                }
                assertArrayEquals(expected, p.logits(x, images), 0f, "a batch gives what single images give");
                assertArrayEquals(Arrays.copyOf(expected, 31 * 10), p.logits(Arrays.copyOf(x, 31 * per), 31), 0f,
                        "so does a batch whose parts are of different sizes");
                int threads = 16;
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int seed = t;
                    results.add(pool.submit(() -> {
                        start.await();
                        SplittableRandom r = new SplittableRandom(seed);
                        for (int round = 0; round < 6; round++) {
                            int from = r.nextInt(images), n = 1 + r.nextInt(Math.min(8, images - from));
                            float[] z = p.logits(Arrays.copyOfRange(x, from * per, (from + n) * per), n);
                            if (!Arrays.equals(z, Arrays.copyOfRange(expected, from * 10, (from + n) * 10))) {
                                return false;
                            }
                        }
                        return true;
                    }));
                }
                start.countDown();
                for (Future<Boolean> f : results) {
                    assertTrue(f.get(2, TimeUnit.MINUTES), "a concurrent call's logits equal the sequential ones");
                }
                pool.shutdown();
                assertTrue(p.networks() > 1, "overlapping calls ran on networks of their own: " + p.networks());
                // a batch runs in a part per backend thread, each on a network of its own
                assertTrue(p.networks() <= threads * backend.taskParallelism(),
                        "at most one network per concurrent call and part: " + p.networks());
            }
            assertEquals(0, backend.liveTensors(), "closing the predictor releases every network");
        }
    }

    @Test
    void oneThreadRunsALargeBatchInMicroBatchesWithTheSameLogits(@TempDir Path dir) {
        try (Backend backend = TestBackends.create(1)) {
            Path model = ModelExport.randomModel(backend, binarizers, "resnet20", "siman", Encoding.PM1, "cifar10", 5, dir);
            try (Predictor p = Predictor.load(backend, binarizers, model)) {
                int per = p.imageSize(), images = 12;
                float[] x = Reference.randomFloats(new SplittableRandom(3), images * per, 1.5);
                float[] expected = new float[images * 10];
                for (int i = 0; i < images; i++) {
                    System.arraycopy(p.logits(Arrays.copyOfRange(x, i * per, (i + 1) * per), 1), 0, expected, i * 10, 10);
                }
                // on the CPU backend ResNet-20's 16x32x32 layer outputs make micro-batches of 4 images
                assertArrayEquals(expected, p.logits(x, images), 0f, "a batch gives what single images give");
            }
        }
    }

    @Test
    void badInputIsRejectedWithOneLine(@TempDir Path dir) {
        try (Backend backend = TestBackends.create(1)) {
            Path model = ModelExport.randomModel(backend, binarizers, "resnet20", "xnor", Encoding.PM1, "fashion-mnist", 5, dir);
            try (Predictor p = Predictor.load(backend, binarizers, model)) {
                assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), p.classNames(), "a model without names numbers its classes");
                ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> p.logits(new float[10], 1));
                assertEquals("predict: 10 values are not 1 images of 1x32x32", e.getMessage());
                float[] nan = new float[p.imageSize()];
                nan[3] = Float.NaN;
                assertEquals("predict: the images contain NaN or infinite values",
                        assertThrows(SimanException.class, () -> p.logits(nan, 1)).getMessage());
                p.close();
                assertThrows(SimanException.class, () -> p.logits(new float[p.imageSize()], 1));
            }
        }
    }
}
