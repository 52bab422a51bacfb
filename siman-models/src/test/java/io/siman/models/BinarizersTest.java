package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.SimanException;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.api.WeightBinarization;
import io.siman.models.binarizers.FullPrecisionBinarizer;
import io.siman.models.binarizers.IrNetBinarizer;
import io.siman.models.binarizers.SimanBinarizer;
import io.siman.models.binarizers.XnorBinarizer;
import io.siman.testkit.BinarizerContract;
import io.siman.testkit.Reference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built-in binarizers: the shared contract, then each one's formulas from the spec. */
class BinarizersTest {
    static Backend cpu() {
        return TestBackends.create(2);
    }

    @Test
    void allBuiltInsAreDiscovered() {
        assertEquals(List.of("siman", "xnor", "irnet", "none"), BinarizerRegistry.discover().names());
    }

    @Nested
    class Siman extends BinarizerContract {
        @Override
        protected Binarizer binarizer() {
            return new SimanBinarizer();
        }

        @Override
        protected Backend createBackend() {
            return cpu();
        }

        @Override
        protected Encoding[] encodings() {
            return Encoding.values();
        }

        @Test
        void trainingClipsIntoTheLatentWeightsAndTakesExactlyHalfTheBits() {
            float[] w0 = Reference.gaussians(rnd, (int) SHAPE.size(), 0.1);
            try (Tensor w = backend.upload(w0, SHAPE);
                 WeightBinarization wb = binarizer().create(backend, SHAPE, Encoding.PM1)) {
                float[] s = backend.downloadFloats(wb.forward(w, TrainingProgress.training(0, 10)));
                int n = SHAPE.rowLength();
                for (int r = 0; r < SHAPE.dim(0); r++) {
                    int ones = 0;
                    for (int j = 0; j < n; j++) {
                        ones += s[r * n + j] > 0 ? 1 : 0;
                    }
                    assertEquals(n / 2, ones, "channel " + r);
                }
                // the clip at 15% wrote back: centred rows, magnitudes within the layer's percentiles
                float[] after = backend.downloadFloats(w);
                double[] mags = new double[after.length];
                for (int r = 0; r < SHAPE.dim(0); r++) {
                    double m = 0;
                    for (int j = 0; j < n; j++) {
                        m += w0[r * n + j];
                    }
                    m /= n;
                    for (int j = 0; j < n; j++) {
                        mags[r * n + j] = Math.abs(w0[r * n + j] - m);
                    }
                }
                double lo = Reference.percentile(mags, 15), hi = Reference.percentile(mags, 85);
                for (float v : after) {
                    assertTrue(Math.abs(v) >= lo - 1e-6 && Math.abs(v) <= hi + 1e-6, "clipped magnitude " + v);
                }
                // the high-magnitude half of the standardized weights gets +1, whatever its sign
                double[] z = Reference.rowStandardize(Reference.toDouble(after), SHAPE.dim(0), 1e-5);
                for (int r = 0; r < SHAPE.dim(0); r++) {
                    double minOn = Double.MAX_VALUE, maxOff = 0;
                    for (int j = 0; j < n; j++) {
                        double a = Math.abs(z[r * n + j]);
                        if (s[r * n + j] > 0) {
                            minOn = Math.min(minOn, a);
                        } else {
                            maxOff = Math.max(maxOff, a);
                        }
                    }
                    assertTrue(minOn >= maxOff - 1e-6, "bits mark the larger magnitudes in channel " + r);
                }
            }
        }

        @Test
        void clipScheduleFallsFromFifteenToZero() {
            assertEquals(15f, SimanBinarizer.clipPercent(TrainingProgress.training(0, 400)));
            assertEquals(7.5f, SimanBinarizer.clipPercent(TrainingProgress.training(200, 400)));
            assertEquals(0.0375f, SimanBinarizer.clipPercent(TrainingProgress.training(399, 400)), 1e-6f);
        }

        @Test
        void backwardIsTheStraightThroughOfMagnitudes() {
            float[] w0 = Reference.gaussians(rnd, (int) SHAPE.size(), 0.1);
            float[] up = Reference.randomFloats(rnd, w0.length, 1);
            try (Tensor w = backend.upload(w0, SHAPE); Tensor ds = backend.upload(up, SHAPE);
                 Tensor dw = backend.allocate(SHAPE);
                 WeightBinarization wb = binarizer().create(backend, SHAPE, Encoding.PM1)) {
                wb.forward(w, TrainingProgress.training(3, 4));
                wb.backward(w, ds, dw);
                // d/dw of <ds, |standardize(w)|> at the clipped weights, by finite differences
                double[] clipped = Reference.toDouble(backend.downloadFloats(w));
                int rows = SHAPE.dim(0);
                double[] numeric = Reference.numericGradient(x -> {
                    double[] z = Reference.rowStandardize(x, rows, 1e-5);
                    double s = 0;
                    for (int i = 0; i < z.length; i++) {
                        s += up[i] * Math.abs(z[i]);
                    }
                    return s;
                }, clipped, 1e-6);
                float[] got = backend.downloadFloats(dw);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(numeric[i], got[i], 1e-3 * (1 + Math.abs(numeric[i])), "element " + i);
                }
            }
        }
    }

    @Nested
    class Xnor extends BinarizerContract {
        @Override
        protected Binarizer binarizer() {
            return new XnorBinarizer();
        }

        @Override
        protected Backend createBackend() {
            return cpu();
        }

        @Test
        void rejectsTheZeroOneEncoding() {
            assertThrows(SimanException.class, () -> binarizer().create(backend, SHAPE, Encoding.ZERO_ONE));
        }
    }

    @Nested
    class IrNet extends BinarizerContract {
        @Override
        protected Binarizer binarizer() {
            return new IrNetBinarizer();
        }

        @Override
        protected Backend createBackend() {
            return cpu();
        }

        @Test
        void edeScheduleAndBackward() {
            assertEquals(1e-3f, IrNetBinarizer.edeT(TrainingProgress.training(0, 4)), 1e-9f);
            assertEquals(0.1f, IrNetBinarizer.edeT(TrainingProgress.training(2, 4)), 1e-7f);
            assertEquals(10f, IrNetBinarizer.edeT(new TrainingProgress(true, 4, 4)), 1e-5f);
            float[] w0 = Reference.gaussians(rnd, (int) SHAPE.size(), 0.1);
            float[] up = Reference.randomFloats(rnd, w0.length, 1);
            try (Tensor w = backend.upload(w0, SHAPE); Tensor ds = backend.upload(up, SHAPE);
                 Tensor dw = backend.allocate(SHAPE);
                 WeightBinarization wb = binarizer().create(backend, SHAPE, Encoding.PM1)) {
                TrainingProgress p = TrainingProgress.training(2, 4);
                float[] s = backend.downloadFloats(wb.forward(w, p));
                wb.backward(w, ds, dw);
                double t = Math.pow(10, -3 + 4 * 0.5), kk = Math.max(1 / t, 1);
                int rows = SHAPE.dim(0), n = SHAPE.rowLength();
                // surrogate: sum ds * scale * k * tanh(t z), z standardized without eps; scale held constant
                double[] numeric = Reference.numericGradient(x -> {
                    double[] z = Reference.rowStandardize(x, rows, 0);
                    double acc = 0;
                    for (int i = 0; i < z.length; i++) {
                        acc += up[i] * Math.abs(s[(i / n) * n]) * kk * Math.tanh(t * z[i]);
                    }
                    return acc;
                }, Reference.toDouble(w0), 1e-6);
                float[] got = backend.downloadFloats(dw);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(numeric[i], got[i], 2e-3 * (1 + Math.abs(numeric[i])), "element " + i);
                }
            }
        }
    }

    @Nested
    class FullPrecision extends BinarizerContract {
        @Override
        protected Binarizer binarizer() {
            return new FullPrecisionBinarizer();
        }

        @Override
        protected Backend createBackend() {
            return cpu();
        }

        @Override
        protected Encoding[] encodings() {
            return Encoding.values();
        }

        @Test
        void passesWeightsAndGradientsThrough() {
            float[] w0 = Reference.gaussians(rnd, (int) SHAPE.size(), 0.1);
            try (Tensor w = backend.upload(w0, SHAPE); Tensor dw = backend.allocate(SHAPE);
                 WeightBinarization wb = binarizer().create(backend, SHAPE, Encoding.PM1)) {
                assertArrayEquals(w0, backend.downloadFloats(wb.forward(w, TrainingProgress.training(0, 1))));
                wb.backward(w, w, dw);
                assertArrayEquals(w0, backend.downloadFloats(dw));
            }
        }
    }

    @Test
    void xnorEffectiveWeightsAreScaledSigns() {
        try (Backend b = cpu(); Tensor w = b.upload(new float[]{0.5f, -0.3f, 0.1f, -0.1f}, Shape.of(1, 4, 1, 1));
             WeightBinarization wb = new XnorBinarizer().create(b, Shape.of(1, 4, 1, 1), Encoding.PM1)) {
            assertArrayEquals(new float[]{0.25f, -0.25f, 0.25f, -0.25f}, b.downloadFloats(wb.forward(w, TrainingProgress.EVAL)), 1e-7f);
        }
    }
}
