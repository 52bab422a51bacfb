package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BitwiseKernels;
import io.siman.api.BackendRegistry;
import io.siman.api.ConvGeometry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.testkit.Reference;
import org.junit.jupiter.api.Test;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Discovery, selection and the lazily built state of kernels (the bit convolution's plan of a weight tensor)
 * initialised from many threads at once; and the threads of backends end when they are closed, so an embedding
 * application can exit.
 */
class ConcurrencyTest {
    private static final int THREADS = 16;

    @Test
    void discoveryAndLazyKernelStateAreSafeFromManyThreads() throws Exception {
        ConvGeometry g = new ConvGeometry(2, 130, 9, 9, 24, 3, 3, 1, 1);
        SplittableRandom r = new SplittableRandom(7);
        float[] xv = Reference.randomFloats(r, (int) g.inputShape().size(), 1);
        float[] wv = new float[(int) g.weightShape().size()];
        for (int i = 0; i < wv.length; i++) {
            wv[i] = r.nextBoolean() ? 1f : -1f;
        }
        try (Siman shared = Siman.builder().backend("cpu").threads(2).build()) {
            Backend b = shared.backend();
            Kernels k = b.kernels();
            BitwiseKernels bits = b.kernels(BitwiseKernels.class);
            try (Tensor x = b.upload(xv, g.inputShape()); Tensor w = b.upload(wv, g.weightShape());
                 Tensor th = b.allocate(Shape.of(2)); Tensor xb = b.allocate(DType.INT64, g.packedInputShape());
                 Tensor wb = b.allocate(DType.INT64, g.packedWeightShape()); Tensor y = b.allocate(g.outputShape())) {
                k.rowMean(x, th);
                bits.packActivations(x, th, xb);
                bits.packWeights(w, wb); // a fresh weight tensor: its plan is built by whichever thread comes first
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<float[]>> results = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    results.add(pool.submit(() -> {
                        go.await();
                        // discovery and selection in every thread too
                        BackendRegistry registry = BackendRegistry.discover();
                        assertEquals("cpu", registry.select("cpu").name());
                        try (Tensor out = b.allocate(g.outputShape())) {
                            bits.binaryConv2d(g, Encoding.PM1, xb, wb, null, null, out);
                            return b.downloadFloats(out);
                        }
                    }));
                }
                go.countDown();
                bits.binaryConv2d(g, Encoding.PM1, xb, wb, null, null, y);
                float[] expected = b.downloadFloats(y);
                for (Future<float[]> f : results) {
                    assertArrayEquals(expected, f.get(1, TimeUnit.MINUTES));
                }
                pool.shutdown();
            }
            assertEquals(0, shared.backend().liveTensors());
        }
    }

    @Test
    void closedBackendsLeaveNoThreadsBehind() throws InterruptedException {
        java.util.Set<Thread> before = java.util.Set.copyOf(Thread.getAllStackTraces().keySet()); // other tests' backends
        for (int i = 0; i < 3; i++) {
            try (Siman s = Siman.builder().backend("cpu").threads(4).build()) {
                Backend b = s.backend();
                try (Tensor a = b.upload(new float[1 << 20], Shape.of(1 << 20)); Tensor c = b.allocate(Shape.of(1 << 20))) {
                    b.kernels().add(a, a, c); // large enough to wake the workers
                }
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<String> alive;
        do {
            Thread.sleep(50);
            alive = Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && !before.contains(t)).map(Thread::getName)
                    .filter(n -> n.startsWith("siman-cpu-")).toList();
        } while (!alive.isEmpty() && System.nanoTime() < deadline);
        assertTrue(alive.isEmpty(), "worker threads still running after close: " + Arrays.toString(alive.toArray()));
    }
}
