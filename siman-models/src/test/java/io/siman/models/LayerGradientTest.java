package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BinarizerRegistry;
import io.siman.api.Encoding;
import io.siman.api.Layer;
import io.siman.api.Parameter;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.models.layers.AvgPool2d;
import io.siman.models.layers.BatchNorm;
import io.siman.models.layers.BinaryConv2d;
import io.siman.models.layers.Conv2d;
import io.siman.models.layers.Linear;
import io.siman.models.layers.MaxPool2d;
import io.siman.models.layers.PRelu;
import io.siman.models.layers.ResidualBlock;
import io.siman.models.layers.ShortcutA;
import io.siman.models.layers.WeightInit;
import io.siman.models.binarizers.FullPrecisionBinarizer;
import io.siman.models.binarizers.SimanBinarizer;
import io.siman.testkit.Reference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every layer's backward against central finite differences of its own forward (float32, so the
 * tolerance is a few parts in a thousand of the largest gradient), for the input and every parameter.
 */
class LayerGradientTest {
    private final Backend backend = TestBackends.create(2);
    private final SplittableRandom rnd = new SplittableRandom(99);
    private static final TrainingProgress TRAIN = TrainingProgress.training(0, 4);

    @AfterEach
    void close() {
        backend.close();
    }

    /** L = <g, layer(x)>; compares the layer's gradients with finite differences of L. */
    private void check(Supplier<Layer> make, Shape inShape, boolean avoidKinks) {
        try (Layer layer = make.get()) {
            float[] xv = Reference.randomFloats(rnd, inShape.intSize(), 1);
            if (avoidKinks) {
                for (int i = 0; i < xv.length; i++) {
                    if (Math.abs(xv[i]) < 0.05f) {
                        xv[i] = 0.3f;
                    }
                }
            }
            try (Tensor x = backend.upload(xv, inShape)) {
                Shape outShape = layer.outputShape(inShape);
                float[] g = Reference.randomFloats(rnd, outShape.intSize(), 1);
                Tensor y = layer.forward(x, TRAIN);
                assertEquals(outShape, y.shape());
                try (Tensor gt = backend.upload(g, outShape)) {
                    Tensor dx = layer.backward(gt);
                    float[] analytic = backend.downloadFloats(dx);
                    compare("input of " + layer.name(), analytic, numeric(layer, x, xv, g, x));
                    for (Parameter p : layer.parameters()) {
                        float[] pa = backend.downloadFloats(p.grad());
                        compare(p.name(), pa, numeric(layer, x, backend.downloadFloats(p.value()), g, p.value()));
                    }
                }
            }
        }
    }

    private double[] numeric(Layer layer, Tensor x, float[] values, float[] g, Tensor target) {
        double h = 1e-2;
        double[] grad = new double[values.length];
        float[] v = values.clone();
        for (int i = 0; i < v.length; i++) {
            float orig = v[i];
            v[i] = (float) (orig + h);
            backend.write(target, v);
            double up = dot(g, backend.downloadFloats(layer.forward(x, TRAIN)));
            v[i] = (float) (orig - h);
            backend.write(target, v);
            double down = dot(g, backend.downloadFloats(layer.forward(x, TRAIN)));
            v[i] = orig;
            grad[i] = (up - down) / (2 * h);
        }
        backend.write(target, v);
        return grad;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    private static void compare(String what, float[] analytic, double[] numeric) {
        double scale = 1e-3;
        for (double v : numeric) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < analytic.length; i++) {
            assertEquals(numeric[i], analytic[i], 5e-3 * scale, what + " element " + i);
        }
    }

    @Test
    void conv2d() {
        check(() -> new Conv2d(backend, "c", 3, 4, 3, 2, 1, WeightInit.KAIMING_FAN_IN, rnd, true), Shape.of(2, 3, 5, 5), false);
    }

    @Test
    void linear() {
        check(() -> new Linear(backend, "fc", 6, 3, WeightInit.KAIMING_FAN_IN, rnd), Shape.of(4, 6), false);
    }

    @Test
    void batchNormTrainingMode() {
        check(() -> new BatchNorm(backend, "bn", 3, 1f), Shape.of(4, 3, 2, 2), false);
        check(() -> new BatchNorm(backend, "bn1d", 5, 1f), Shape.of(6, 5), false);
    }

    @Test
    void preluAwayFromItsKink() {
        check(() -> new PRelu(backend, "p", 3), Shape.of(2, 3, 3, 3), true);
    }

    @Test
    void poolingAndShortcut() {
        check(() -> AvgPool2d.global(backend, "gap"), Shape.of(2, 3, 4, 4), false);
        check(() -> new MaxPool2d(backend, "mp", 2, 2, 0), Shape.of(2, 2, 4, 4), false);
        check(() -> new ShortcutA(backend, "sc", 8), Shape.of(2, 4, 6, 6), false);
    }

    /** PReLU with slope 1: linear, so finite differences inside a block never straddle a kink. */
    private PRelu linearPrelu(String name, int channels) {
        PRelu p = new PRelu(backend, name, channels);
        float[] ones = new float[channels];
        java.util.Arrays.fill(ones, 1f);
        backend.write(p.parameters().get(0).value(), ones);
        return p;
    }

    @Test
    void residualBlockWiring() {
        BinarizerRegistry reg = BinarizerRegistry.discover();
        check(() -> new ResidualBlock(backend, "blk",
                new BinaryConv2d(backend, "blk.conv1", 4, 8, 3, 2, 1, reg.get("none"), Encoding.PM1, WeightInit.KAIMING_FAN_IN, rnd),
                new BatchNorm(backend, "blk.bn1", 8, 1f), linearPrelu("blk.prelu1", 8),
                new BinaryConv2d(backend, "blk.conv2", 8, 8, 3, 1, 1, reg.get("none"), Encoding.PM1, WeightInit.KAIMING_FAN_IN, rnd),
                new BatchNorm(backend, "blk.bn2", 8, 1f), linearPrelu("blk.prelu2", 8),
                new ShortcutA(backend, "blk.shortcut", 8)), Shape.of(3, 4, 6, 6), false);
        check(() -> new ResidualBlock(backend, "same",
                new Conv2d(backend, "same.conv1", 4, 4, 3, 1, 1, WeightInit.KAIMING_FAN_IN, rnd, true),
                new BatchNorm(backend, "same.bn1", 4, 1f), linearPrelu("same.prelu1", 4),
                new Conv2d(backend, "same.conv2", 4, 4, 3, 1, 1, WeightInit.KAIMING_FAN_IN, rnd, true),
                new BatchNorm(backend, "same.bn2", 4, 1f), linearPrelu("same.prelu2", 4), null), Shape.of(2, 4, 4, 4), false);
    }

    /**
     * SiMaN's binarized convolution against a double-precision reference of its straight-through rules:
     * dxb = conv^T(dy * alpha, s); dx through ApproxSign and the per-sample standardization;
     * ds = conv_w^T(xb, dy * alpha); dw through sign(z) and the per-channel standardization; dalpha = sum(dy * conv).
     */
    @Test
    void binaryConvolutionFollowsTheStraightThroughRules() {
        int n = 2, ci = 3, h = 4, co = 4, kk = 3;
        try (BinaryConv2d layer = new BinaryConv2d(backend, "b", ci, co, kk, 1, 1, new SimanBinarizer(), Encoding.PM1,
                WeightInit.KAIMING_FAN_IN, rnd)) {
            float[] xv = Reference.randomFloats(rnd, n * ci * h * h, 1);
            Parameter w = layer.parameters().get(0), alpha = layer.parameters().get(1);
            try (Tensor x = backend.upload(xv, Shape.of(n, ci, h, h))) {
                float[] y = backend.downloadFloats(layer.forward(x, TrainingProgress.training(3, 4)));
                float[] g = Reference.randomFloats(rnd, y.length, 1);
                try (Tensor gt = backend.upload(g, Shape.of(n, co, h, h))) {
                    float[] dx = backend.downloadFloats(layer.backward(gt));
                    // reference, from the layer's own (clipped) latent weights and alpha
                    double[] wc = Reference.toDouble(backend.downloadFloats(w.value()));
                    double[] al = Reference.toDouble(backend.downloadFloats(alpha.value()));
                    double[] a1 = Reference.rowStandardize(Reference.toDouble(xv), n, 1e-5);
                    double[] xb = new double[a1.length];
                    for (int i = 0; i < a1.length; i++) {
                        xb[i] = a1[i] >= 0 ? 1 : -1;
                    }
                    double[] z = Reference.rowStandardize(wc, co, 1e-5);
                    double[] s = new double[z.length];
                    int fan = ci * kk * kk;
                    for (int c = 0; c < co; c++) {
                        Integer[] idx = new Integer[fan];
                        for (int j = 0; j < fan; j++) {
                            idx[j] = j;
                        }
                        final int cc = c;
                        java.util.Arrays.sort(idx, (p, q) -> {
                            int cmp = Double.compare(Math.abs(z[cc * fan + q]), Math.abs(z[cc * fan + p]));
                            return cmp != 0 ? cmp : Integer.compare(p, q);
                        });
                        for (int j = 0; j < fan; j++) {
                            s[c * fan + idx[j]] = j < fan / 2 ? 1 : -1;
                        }
                    }
                    double[] conv = Reference.conv(xb, s, n, ci, h, h, co, kk, kk, 1, 1);
                    double[] dyScaled = new double[g.length];
                    double[] dAlpha = new double[co];
                    for (int i = 0; i < g.length; i++) {
                        int c = (i / (h * h)) % co;
                        dyScaled[i] = g[i] * al[c];
                        dAlpha[c] += g[i] * conv[i];
                    }
                    // conv is linear: its adjoints are the gradients of <dyScaled, conv(., .)>
                    double[] dxb = Reference.numericGradient(v -> Reference.dot(dyScaled, Reference.conv(v, s, n, ci, h, h, co, kk, kk, 1, 1)), xb, 0.5);
                    double[] ds = Reference.numericGradient(v -> Reference.dot(dyScaled, Reference.conv(xb, v, n, ci, h, h, co, kk, kk, 1, 1)), s, 0.5);
                    double[] da1 = new double[a1.length];
                    for (int i = 0; i < a1.length; i++) {
                        da1[i] = dxb[i] * Math.max(0, 2 - 2 * Math.abs(a1[i]));
                    }
                    double[] expectDx = standardizeBackward(a1, da1, n, Reference.toDouble(xv), 1e-5);
                    double[] gz = new double[z.length];
                    for (int i = 0; i < z.length; i++) {
                        gz[i] = ds[i] * (z[i] >= 0 ? 1 : -1);
                    }
                    double[] expectDw = standardizeBackward(z, gz, co, wc, 1e-5);
                    compare("dx", dx, expectDx);
                    compare("dw", backend.downloadFloats(w.grad()), expectDw);
                    compare("dalpha", backend.downloadFloats(alpha.grad()), dAlpha);
                }
            }
        }
    }

    /** dx of the unbiased per-row standardization (docs/method.md section 1): (g - mean(g) - z*dot(g,z)/(n-1)) / sqrt(var+eps). */
    private static double[] standardizeBackward(double[] z, double[] g, int rows, double[] x, double eps) {
        int m = z.length / rows;
        double[] dx = new double[z.length];
        for (int r = 0; r < rows; r++) {
            double mean = 0, dot = 0, xm = 0, q = 0;
            for (int j = 0; j < m; j++) {
                mean += g[r * m + j];
                dot += g[r * m + j] * z[r * m + j];
                xm += x[r * m + j];
            }
            mean /= m;
            xm /= m;
            for (int j = 0; j < m; j++) {
                q += (x[r * m + j] - xm) * (x[r * m + j] - xm);
            }
            double inv = 1 / Math.sqrt(q / (m - 1) + eps);
            for (int j = 0; j < m; j++) {
                dx[r * m + j] = (g[r * m + j] - mean - z[r * m + j] * dot / (m - 1)) * inv;
            }
        }
        return dx;
    }

    @Test
    void fullPrecisionBinaryConvIsAPlainConvolution() {
        check(() -> new BinaryConv2d(backend, "fp", 2, 3, 3, 1, 1, new FullPrecisionBinarizer(), Encoding.PM1,
                WeightInit.KAIMING_FAN_IN, rnd), Shape.of(2, 2, 4, 4), false);
    }
}
