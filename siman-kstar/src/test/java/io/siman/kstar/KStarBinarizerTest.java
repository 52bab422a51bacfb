package io.siman.kstar;

import io.siman.api.Backend;
import io.siman.api.BackendOptions;
import io.siman.api.Binarizer;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.api.WeightBinarization;
import io.siman.backend.cpu.CpuBackendProvider;
import io.siman.testbackend.InferenceOnlyProvider;
import io.siman.testkit.BinarizerContract;
import io.siman.testkit.Reference;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plugin against the binarizer contract, its own formula, and the step-family lookup. */
class KStarBinarizerTest extends BinarizerContract {
    @Override
    protected Binarizer binarizer() {
        return new KStarBinarizer();
    }

    @Override
    protected Backend createBackend() {
        return new CpuBackendProvider().create(BackendOptions.threads(2));
    }

    @Override
    protected Encoding[] encodings() {
        return Encoding.values();
    }

    /** The count by brute force: the k whose top-k indicator has the largest cosine with the magnitudes. */
    private static int bruteForceCount(float[] z, int off, int n) {
        float[] mags = new float[n];
        for (int j = 0; j < n; j++) {
            mags[j] = Math.abs(z[off + j]);
        }
        java.util.Arrays.sort(mags);
        double norm = 0;
        for (float m : mags) {
            norm += (double) m * m;
        }
        int best = 0;
        double bestCos = -1;
        for (int k = 1; k <= n; k++) {
            double dot = 0;
            for (int j = n - k; j < n; j++) {
                dot += mags[j];
            }
            double cos = dot / (Math.sqrt(k) * Math.sqrt(norm));
            if (cos > bestCos + 1e-12) {
                bestCos = cos;
                best = k;
            }
        }
        return best;
    }

    @Test
    void eachChannelGetsItsAngleAlignedCountOfOnesOnTheLargestMagnitudes() {
        Shape shape = Shape.of(16, 8, 3, 3);
        int n = shape.rowLength();
        try (Tensor w = backend.upload(Reference.gaussians(rnd, (int) shape.size(), 0.1), shape);
             WeightBinarization wb = binarizer().create(backend, shape, Encoding.ZERO_ONE);
             Tensor z = backend.allocate(shape); Tensor m = backend.allocate(Shape.of(16)); Tensor s = backend.allocate(Shape.of(16))) {
            float[] bits = backend.downloadFloats(wb.forward(w, TrainingProgress.EVAL));
            backend.kernels().rowStandardize(w, 1e-5f, z, m, s);
            float[] zf = backend.downloadFloats(z);
            int total = 0;
            for (int r = 0; r < 16; r++) {
                int ones = 0;
                float minOn = Float.POSITIVE_INFINITY, maxOff = 0;
                for (int j = r * n; j < (r + 1) * n; j++) {
                    if (bits[j] == 1f) {
                        ones++;
                        minOn = Math.min(minOn, Math.abs(zf[j]));
                    } else {
                        assertEquals(0f, bits[j]);
                        maxOff = Math.max(maxOff, Math.abs(zf[j]));
                    }
                }
                assertEquals(bruteForceCount(zf, r * n, n), ones, "channel " + r);
                assertTrue(minOn >= maxOff, "channel " + r + ": the ones sit on the largest magnitudes");
                total += ones;
            }
            // Gaussian weights: k*/n near 0.54 (docs/method.md), so not SiMaN's half
            double fraction = total / (16.0 * n);
            assertTrue(fraction > 0.5 && fraction < 0.6, "k*/n = " + fraction);
            assertNotEquals(16 * (n / 2), total);
        }
    }

    @Test
    void theCountsAreReported() {
        Shape shape = Shape.of(3, 10);
        try (Tensor z = backend.upload(new float[]{
                3, 3, 3, 0, 0, 0, 0, 0, 0, 0,
                1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                5, -4, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f}, shape);
             Tensor s = backend.allocate(shape); Tensor counts = backend.allocate(DType.INT32, Shape.of(3))) {
            KStarSteps.of(backend).kStarBits(z, Encoding.PM1, s, counts);
            // three equal values and zeros: 3; all equal: S_k / sqrt(k) = sqrt(k) grows, so n; 5, 4 and small ones: 2
            assertArrayEquals(new int[]{3, 10, 2}, backend.downloadInts(counts));
            // the bits go by magnitude: -4 gets bit 1 (+1)
            assertArrayEquals(new float[]{1, 1, -1}, java.util.Arrays.copyOfRange(backend.downloadFloats(s), 20, 23));
        }
    }

    @Test
    void aBackendThatImplementsTheFamilyIsUsedAndTheOthersRunThePortableDefault() {
        assertSame(PortableKStarSteps.class, KStarSteps.of(backend).getClass(), "cpu does not accelerate this family");
        AtomicInteger calls = new AtomicInteger();
        Backend accelerated = accelerating(backend, calls);
        Shape shape = Shape.of(6, 5, 3, 3);
        try (Tensor w = backend.upload(Reference.gaussians(rnd, (int) shape.size(), 0.1), shape);
             WeightBinarization own = binarizer().create(accelerated, shape, Encoding.PM1);
             WeightBinarization portable = binarizer().create(backend, shape, Encoding.PM1)) {
            float[] a = backend.downloadFloats(own.forward(w, TrainingProgress.EVAL));
            float[] b = backend.downloadFloats(portable.forward(w, TrainingProgress.EVAL));
            assertEquals(1, calls.get(), "the binarizer went through the backend's own kStarBits");
            assertArrayEquals(b, a);
        }
    }

    @Test
    void evaluatesOnAnInferenceOnlyBackendWithTheSameBits() {
        Shape shape = Shape.of(6, 5, 3, 3);
        float[] latent = Reference.gaussians(rnd, (int) shape.size(), 0.1);
        try (Backend small = new InferenceOnlyProvider().create(BackendOptions.threads(1));
             Tensor w1 = small.upload(latent, shape); Tensor w2 = backend.upload(latent, shape);
             WeightBinarization a = binarizer().create(small, shape, Encoding.PM1);
             WeightBinarization b = binarizer().create(backend, shape, Encoding.PM1)) {
            assertArrayEquals(backend.downloadFloats(b.forward(w2, TrainingProgress.EVAL)),
                    small.downloadFloats(a.forward(w1, TrainingProgress.EVAL)));
        }
    }

    /**
     * {@code inner} with kernels that also implement {@link KStarSteps} (counting calls, computing with the portable
     * default): what a backend plugin that accelerates this family looks like to the lookup.
     */
    private static Backend accelerating(Backend inner, AtomicInteger calls) {
        KStarSteps portable = KStarSteps.portable(inner);
        Kernels real = inner.kernels();
        Kernels kernels = (Kernels) Proxy.newProxyInstance(KStarBinarizerTest.class.getClassLoader(),
                new Class<?>[]{Kernels.class, KStarSteps.class}, (proxy, method, args) -> {
                    if (method.getName().equals("as")) {
                        Class<?> type = (Class<?>) args[0];
                        return type.isInstance(proxy) ? Optional.of(proxy) : real.as(type);
                    }
                    if (method.getDeclaringClass() == KStarSteps.class) {
                        calls.incrementAndGet();
                        return method.invoke(portable, args);
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return (Backend) Proxy.newProxyInstance(KStarBinarizerTest.class.getClassLoader(), new Class<?>[]{Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("kernels") && (args == null || args.length == 0)) {
                        return kernels;
                    }
                    if (method.isDefault()) {
                        return java.lang.reflect.InvocationHandler.invokeDefault(proxy, method, args);
                    }
                    try {
                        return method.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
