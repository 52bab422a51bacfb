package io.siman.testkit;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.Encoding;
import io.siman.api.InferenceForm;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.api.WeightBinarization;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link Binarizer} must do, on any backend: effective weights of the weight shape, frozen or
 * reproducible in evaluation, an inference form that reproduces them from packed bits and a per-channel
 * scale, a straight-through backward that is linear in the upstream gradient, and no leaked tensors.
 * Extend it with the binarizer and a backend; add the binarizer's own formulas in the subclass.
 */
public abstract class BinarizerContract {
    protected static final Shape SHAPE = Shape.of(6, 5, 3, 3);

    protected Backend backend;
    protected final SplittableRandom rnd = new SplittableRandom(7);
    private long liveAtStart;

    protected abstract Binarizer binarizer();

    protected abstract Backend createBackend();

    /** The encodings this binarizer accepts. */
    protected Encoding[] encodings() {
        return new Encoding[]{Encoding.PM1};
    }

    @BeforeEach
    void open() {
        backend = createBackend();
        liveAtStart = backend.liveTensors();
    }

    @AfterEach
    void closeAll() {
        try {
            assertEquals(liveAtStart, backend.liveTensors(), "binarizer leaked tensors");
        } finally {
            backend.close();
        }
    }

    protected Tensor latent() {
        return backend.upload(Reference.gaussians(rnd, (int) SHAPE.size(), 0.1), SHAPE);
    }

    @Test
    void hasANameAndADescription() {
        Binarizer b = binarizer();
        assertTrue(b.name().matches("[a-z0-9-]+"), "names are lower-case words: " + b.name());
        assertFalse(b.description().isBlank());
    }

    @Test
    void effectiveWeightsAreFiniteAndFrozenInEvaluation() {
        for (Encoding enc : encodings()) {
            try (Tensor w = latent(); WeightBinarization wb = binarizer().create(backend, SHAPE, enc)) {
                float[] fresh = backend.downloadFloats(wb.forward(w, TrainingProgress.EVAL));
                for (float v : fresh) {
                    assertTrue(Float.isFinite(v), "finite effective weights before training");
                }
                Tensor trained = wb.forward(w, TrainingProgress.training(1, 4));
                assertEquals(SHAPE, trained.shape());
                float[] s = backend.downloadFloats(trained);
                float[] eval = backend.downloadFloats(wb.forward(w, TrainingProgress.EVAL));
                assertArrayEquals(s, eval, "evaluation uses the weights of the last training step");
            }
        }
    }

    @Test
    void inferenceFormReproducesEffectiveWeights() {
        for (Encoding enc : encodings()) {
            try (Tensor w = latent(); WeightBinarization wb = binarizer().create(backend, SHAPE, enc)) {
                float[] s = backend.downloadFloats(wb.forward(w, TrainingProgress.training(0, 4)));
                InferenceForm form = wb.inferenceForm(w);
                if (!binarizer().binarizesActivations()) {
                    continue; // full precision has nothing to pack
                }
                assertNotNull(form, "a binarizing binarizer has an inference form");
                float[] e = backend.downloadFloats(form.effective());
                int n = SHAPE.rowLength();
                for (int i = 0; i < s.length; i++) {
                    float scale = form.channelScale() == null ? 1f : form.channelScale()[i / n];
                    float bitValue = e[i] > 0 ? 1f : (form.encoding() == Encoding.PM1 ? -1f : 0f);
                    assertEquals(s[i], bitValue * scale, 1e-6f * Math.max(1f, Math.abs(s[i])), "element " + i);
                }
            }
        }
    }

    @Test
    void backwardIsLinearInTheUpstreamGradient() {
        for (Encoding enc : encodings()) {
            try (Tensor w = latent(); WeightBinarization wb = binarizer().create(backend, SHAPE, enc);
                 Tensor g = backend.upload(Reference.randomFloats(rnd, (int) SHAPE.size(), 1), SHAPE);
                 Tensor g2 = backend.allocate(SHAPE); Tensor d1 = backend.allocate(SHAPE); Tensor d2 = backend.allocate(SHAPE)) {
                wb.forward(w, TrainingProgress.training(2, 4));
                backend.kernels().axpy(2f, g, g2);
                wb.backward(w, g, d1);
                wb.backward(w, g2, d2);
                float[] a = backend.downloadFloats(d1), b = backend.downloadFloats(d2);
                boolean nonZero = false;
                for (int i = 0; i < a.length; i++) {
                    assertTrue(Float.isFinite(a[i]));
                    assertEquals(2 * a[i], b[i], 1e-5f * (1 + Math.abs(b[i])), "element " + i);
                    nonZero |= a[i] != 0f;
                }
                assertTrue(nonZero, "gradients reach the latent weights");
            }
        }
    }
}
