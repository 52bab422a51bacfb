package io.siman.testbackend;

import io.siman.api.Activation;
import io.siman.api.BitwiseKernels;
import io.siman.api.ConvGeometry;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.KernelShapes;
import io.siman.api.MagnitudePercentiles;
import io.siman.api.Kernels;
import io.siman.api.PoolGeometry;
import io.siman.api.Shape;
import io.siman.api.SimanException;
import io.siman.api.Tensor;

import java.util.Arrays;

import static io.siman.api.KernelShapes.channels;
import static io.siman.api.KernelShapes.expect;
import static io.siman.api.KernelShapes.expectSize;
import static io.siman.api.KernelShapes.plane;

/**
 * The core kernels and the bitwise group in the plainest Java: one thread, direct loops, sums in double. What a
 * backend author writes for inference only (docs/backends.md); no backward pass, no optimizer, no step family (the
 * binarizers run their portable defaults on these kernels).
 */
final class InferenceOnlyKernels implements Kernels, BitwiseKernels {
    private final InferenceOnlyBackend backend;

    InferenceOnlyKernels(InferenceOnlyBackend backend) {
        this.backend = backend;
    }

    private float[] f(Tensor t) {
        return backend.own(t, DType.FLOAT32).f;
    }

    private float[] fOrNull(Tensor t) {
        return t == null ? null : f(t);
    }

    // ---------------------------------------------------------------- element-wise

    @Override
    public void fill(Tensor x, float value) {
        Arrays.fill(f(x), value);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        KernelShapes.copy(src, dst);
        switch (src.dtype()) {
            case FLOAT32 -> System.arraycopy(f(src), 0, f(dst), 0, src.shape().intSize());
            case INT32 -> System.arraycopy(backend.own(src, DType.INT32).i, 0, backend.own(dst, DType.INT32).i, 0, src.shape().intSize());
            case INT64 -> System.arraycopy(backend.own(src, DType.INT64).l, 0, backend.own(dst, DType.INT64).l, 0, src.shape().intSize());
        }
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        float[] x = f(a), y = f(b), o = f(out);
        expectSize("add", "b", b, x.length);
        expectSize("add", "out", out, x.length);
        for (int i = 0; i < x.length; i++) {
            o[i] = x[i] + y[i];
        }
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        float[] a = f(x), b = f(y);
        expectSize("axpy", "y", y, a.length);
        for (int i = 0; i < a.length; i++) {
            b[i] = Math.fma(alpha, a[i], b[i]);
        }
    }

    @Override
    public void sign(Tensor x, Tensor out) {
        float[] a = f(x), o = f(out);
        expectSize("sign", "out", out, a.length);
        for (int i = 0; i < a.length; i++) {
            o[i] = a[i] >= 0f ? 1f : -1f;
        }
    }

    @Override
    public void mulSign(Tensor x, Tensor s, Tensor out) {
        float[] a = f(x), b = f(s), o = f(out);
        expectSize("mulSign", "s", s, a.length);
        expectSize("mulSign", "out", out, a.length);
        for (int i = 0; i < a.length; i++) {
            o[i] = b[i] >= 0f ? a[i] : -a[i];
        }
    }

    // ---------------------------------------------------------------- dense and convolution

    @Override
    public void linearForward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        String op = "linearForward";
        if (x.shape().rank() != 2 || w.shape().rank() != 2 || x.shape().dim(1) != w.shape().dim(1)) {
            throw new io.siman.api.ShapeMismatchException(op + ": x " + x.shape() + " and w " + w.shape() + " do not fit");
        }
        int n = x.shape().dim(0), in = x.shape().dim(1), out = w.shape().dim(0);
        expect(op, "y", y, Shape.of(n, out));
        if (bias != null) {
            expect(op, "bias", bias, Shape.of(out));
        }
        float[] xa = f(x), wa = f(w), b = fOrNull(bias), ya = f(y);
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int j = 0; j < in; j++) {
                    s += (double) xa[i * in + j] * wa[o * in + j];
                }
                ya[i * out + o] = (float) s;
            }
        }
    }

    @Override
    public void conv2dForward(ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        KernelShapes.convolution("conv2dForward", g, x, w, y);
        float[] xa = f(x), wa = f(w), ya = f(y);
        int ci = g.inChannels(), h = g.inHeight(), wd = g.inWidth(), kh = g.kernelH(), kw = g.kernelW();
        int ho = g.outHeight(), wo = g.outWidth();
        for (int n = 0; n < g.batch(); n++) {
            for (int co = 0; co < g.outChannels(); co++) {
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        double s = 0;
                        for (int c = 0; c < ci; c++) {
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = oy * g.stride() - g.padding() + ky;
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = ox * g.stride() - g.padding() + kx;
                                    if (ix >= 0 && ix < wd) {
                                        s += (double) xa[((n * ci + c) * h + iy) * wd + ix] * wa[((co * ci + c) * kh + ky) * kw + kx];
                                    }
                                }
                            }
                        }
                        ya[((n * g.outChannels() + co) * ho + oy) * wo + ox] = (float) s;
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- per-channel and per-row scale

    @Override
    public void channelScale(Tensor x, Tensor scale, Tensor y) {
        int c = channels("channelScale", x);
        expect("channelScale", "scale", scale, Shape.of(c));
        expect("channelScale", "y", y, x.shape());
        float[] a = f(x), s = f(scale), o = f(y);
        int plane = plane(x);
        for (int i = 0; i < a.length; i++) {
            o[i] = a[i] * s[i / plane % c];
        }
    }

    @Override
    public void channelAffine(Tensor x, Tensor scale, Tensor bias, Tensor y) {
        int c = KernelShapes.channelAffine(x, scale, bias, y);
        float[] a = f(x), s = f(scale), b = f(bias), o = f(y);
        int plane = plane(x);
        for (int i = 0; i < a.length; i++) {
            int ch = i / plane % c;
            o[i] = Math.fma(a[i], s[ch], b[ch]);
        }
    }

    @Override
    public void rowScale(Tensor x, Tensor scale, Tensor y) {
        KernelShapes.rowScale(x, scale, y);
        float[] a = f(x), s = f(scale), o = f(y);
        int n = x.shape().rowLength();
        for (int i = 0; i < a.length; i++) {
            o[i] = a[i] * s[i / n];
        }
    }

    // ---------------------------------------------------------------- batch norm, activations, pooling

    @Override
    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps, Tensor y) {
        int c = KernelShapes.batchNormForward("batchNormInference", x, y, gamma, beta, runningMean, runningVar);
        float[] a = f(x), g = f(gamma), b = f(beta), m = f(runningMean), v = f(runningVar), o = f(y);
        int plane = plane(x);
        for (int i = 0; i < a.length; i++) {
            int ch = i / plane % c;
            double inv = 1.0 / Math.sqrt((double) v[ch] + eps);
            o[i] = (float) ((a[i] - m[ch]) * inv * g[ch] + b[ch]);
        }
    }

    @Override
    public void activation(Activation kind, Tensor x, Tensor y) {
        float[] a = f(x), o = f(y);
        expectSize("activation", "y", y, a.length);
        for (int i = 0; i < a.length; i++) {
            o[i] = switch (kind) {
                case RELU -> Math.max(0f, a[i]);
                case HARDTANH -> Math.max(-1f, Math.min(1f, a[i]));
            };
        }
    }

    @Override
    public void prelu(Tensor x, Tensor slope, Tensor y) {
        int c = channels("prelu", x);
        expect("prelu", "slope", slope, Shape.of(c));
        expect("prelu", "y", y, x.shape());
        float[] a = f(x), s = f(slope), o = f(y);
        int plane = plane(x);
        for (int i = 0; i < a.length; i++) {
            o[i] = a[i] >= 0f ? a[i] : s[i / plane % c] * a[i];
        }
    }

    @Override
    public void maxPool2d(PoolGeometry g, Tensor x, Tensor y, Tensor argmax) {
        expect("maxPool2d", "x", x, g.inputShape());
        expect("maxPool2d", "y", y, g.outputShape());
        expect("maxPool2d", "argmax", argmax, g.outputShape());
        float[] xa = f(x), ya = f(y);
        int[] am = backend.own(argmax, DType.INT32).i;
        pool(g, (in, out, window) -> {
            float best = Float.NEGATIVE_INFINITY;
            int at = -1;
            for (int p : window) {
                float v = xa[in + p];
                if (at < 0 || v > best || Float.isNaN(v) && !Float.isNaN(best)) {
                    best = v;
                    at = p;
                }
            }
            ya[out] = best;
            am[out] = at;
        });
    }

    @Override
    public void avgPool2d(PoolGeometry g, Tensor x, Tensor y) {
        expect("avgPool2d", "x", x, g.inputShape());
        expect("avgPool2d", "y", y, g.outputShape());
        float[] xa = f(x), ya = f(y);
        double area = (double) g.kernel() * g.kernel();
        pool(g, (in, out, window) -> {
            double s = 0;
            for (int p : window) {
                s += xa[in + p];
            }
            ya[out] = (float) (s / area);
        });
    }

    /** What one pooling output does with its window: the in-plane positions ({@code h * inWidth + w}) inside the input. */
    private interface Window {
        void apply(int inPlane, int out, int[] positions);
    }

    private static void pool(PoolGeometry g, Window window) {
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth(), k = g.kernel();
        for (int nc = 0; nc < g.batch() * g.channels(); nc++) {
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    int[] positions = new int[k * k];
                    int count = 0;
                    for (int ky = 0; ky < k; ky++) {
                        int iy = oy * g.stride() - g.padding() + ky;
                        for (int kx = 0; kx < k; kx++) {
                            int ix = ox * g.stride() - g.padding() + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                positions[count++] = iy * w + ix;
                            }
                        }
                    }
                    window.apply(nc * h * w, (nc * ho + oy) * wo + ox, Arrays.copyOf(positions, count));
                }
            }
        }
    }

    // ---------------------------------------------------------------- loss and per-row statistics

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor losses) {
        KernelShapes.softmaxCrossEntropy(logits, labels, probs, losses);
        int n = logits.shape().dim(0), k = logits.shape().dim(1);
        float[] z = f(logits), p = f(probs), l = f(losses);
        int[] y = backend.own(labels, DType.INT32).i;
        for (int i = 0; i < n; i++) {
            if (y[i] < 0 || y[i] >= k) {
                throw new SimanException("softmaxCrossEntropy: label " + y[i] + " of sample " + i + " is outside [0, " + k + ")");
            }
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, z[i * k + j]);
            }
            for (int j = 0; j < k; j++) {
                sum += Math.exp(z[i * k + j] - max);
            }
            double logSum = Math.log(sum);
            for (int j = 0; j < k; j++) {
                p[i * k + j] = (float) Math.exp(z[i * k + j] - max - logSum);
            }
            l[i] = (float) (logSum - (z[i * k + y[i]] - max));
        }
    }

    private static float mean(float[] a, int off, int n) {
        double s = 0;
        for (int j = off; j < off + n; j++) {
            s += a[j];
        }
        return (float) (s / n);
    }

    @Override
    public void rowMean(Tensor x, Tensor mean) {
        int r = KernelShapes.perRow("rowMean", x, mean, null), n = x.shape().rowLength();
        float[] a = f(x), m = f(mean);
        for (int i = 0; i < r; i++) {
            m[i] = mean(a, i * n, n);
        }
    }

    @Override
    public void rowStandardize(Tensor x, float eps, Tensor z, Tensor mean, Tensor invStd) {
        KernelShapes.rowStandardize(x, z, mean, invStd);
        int r = x.shape().dim(0), n = x.shape().rowLength();
        float[] a = f(x), za = fOrNull(z), m = f(mean), s = f(invStd);
        for (int i = 0; i < r; i++) {
            int off = i * n;
            float mu = mean(a, off, n);
            double sq = 0;
            for (int j = off; j < off + n; j++) {
                sq += (double) (a[j] - mu) * (a[j] - mu);
            }
            float inv = (float) (1.0 / Math.sqrt(sq / (n - 1) + eps));
            if (za != null) {
                for (int j = off; j < off + n; j++) {
                    za[j] = (a[j] - mu) * inv;
                }
            }
            m[i] = mu;
            s[i] = inv;
        }
    }

    // ---------------------------------------------------------------- generic primitives

    @Override
    public void rowSubtract(Tensor x, Tensor values, Tensor y) {
        KernelShapes.perRow("rowSubtract", x, values, y);
        float[] a = f(x), v = f(values), o = f(y);
        int n = x.shape().rowLength();
        for (int i = 0; i < a.length; i++) {
            o[i] = a[i] - v[i / n];
        }
    }

    @Override
    public void rowAbsMean(Tensor x, Tensor mean) {
        int r = KernelShapes.perRow("rowAbsMean", x, mean, null), n = x.shape().rowLength();
        float[] a = f(x), m = f(mean);
        for (int i = 0; i < r; i++) {
            double s = 0;
            for (int j = i * n; j < (i + 1) * n; j++) {
                s += Math.abs(a[j]);
            }
            m[i] = (float) (s / n);
        }
    }

    @Override
    public void topMagnitudes(Tensor x, Tensor counts, float high, float low, Tensor y) {
        int r = x.shape().dim(0), n = x.shape().rowLength();
        expect("topMagnitudes", "counts", counts, Shape.of(r));
        expect("topMagnitudes", "y", y, x.shape());
        float[] a = f(x), o = f(y);
        int[] c = backend.own(counts, DType.INT32).i;
        for (int i = 0; i < r; i++) {
            if (c[i] < 0 || c[i] > n) {
                throw new SimanException("topMagnitudes: count " + c[i] + " of row " + i + " is outside [0, " + n + "]");
            }
            int off = i * n;
            Integer[] order = new Integer[n];
            for (int j = 0; j < n; j++) {
                order[j] = j;
            }
            Arrays.sort(order, (p, q) -> {
                int byMagnitude = Float.compare(Math.abs(a[off + q]), Math.abs(a[off + p]));
                return byMagnitude != 0 ? byMagnitude : Integer.compare(p, q);
            });
            Arrays.fill(o, off, off + n, low);
            for (int j = 0; j < c[i]; j++) {
                o[off + order[j]] = high;
            }
        }
    }

    @Override
    public void magnitudePercentiles(Tensor x, float lowPercent, float highPercent, Tensor bounds) {
        KernelShapes.magnitudePercentiles(x, lowPercent, highPercent, bounds);
        System.arraycopy(MagnitudePercentiles.of(f(x), lowPercent, highPercent), 0, f(bounds), 0, 2);
    }


    @Override
    public void clampMagnitudes(Tensor x, Tensor bounds, Tensor y) {
        KernelShapes.sameShape("clampMagnitudes", x, y, y);
        expect("clampMagnitudes", "bounds", bounds, Shape.of(2));
        float[] a = f(x), b = f(bounds), o = f(y);
        for (int i = 0; i < a.length; i++) {
            float m = Math.min(b[1], Math.max(b[0], Math.abs(a[i])));
            o[i] = a[i] >= 0f ? m : -m;
        }
    }

    @Override
    public void maskByMagnitude(Tensor x, float limit, Tensor a, Tensor y) {
        KernelShapes.sameShape("maskByMagnitude", x, a, y);
        float[] c = f(x), v = f(a), o = f(y);
        for (int i = 0; i < c.length; i++) {
            o[i] = Math.abs(c[i]) <= limit ? v[i] : 0f;
        }
    }

    @Override
    public void copyChannels(Tensor src, int srcChannel, Tensor dst, int dstChannel, int count) {
        KernelShapes.copyChannels(src, srcChannel, dst, dstChannel, count);
        float[] s = f(src), d = f(dst);
        int cs = src.shape().dim(1), cd = dst.shape().dim(1), plane = plane(src);
        for (int i = 0; i < src.shape().dim(0); i++) {
            System.arraycopy(s, (i * cs + srcChannel) * plane, d, (i * cd + dstChannel) * plane, count * plane);
        }
    }

    // ---------------------------------------------------------------- bitwise group

    @Override
    public void packWeights(Tensor s, Tensor bits) {
        if (s.shape().rank() != 4) {
            throw new io.siman.api.ShapeMismatchException("packWeights: weights must be [Co, Ci, kh, kw], got " + s.shape());
        }
        int co = s.shape().dim(0), ci = s.shape().dim(1), kh = s.shape().dim(2), kw = s.shape().dim(3), words = Shape.words(ci);
        expect("packWeights", "bits", bits, Shape.of(co, kh, kw, words));
        float[] a = f(s);
        long[] b = backend.own(bits, DType.INT64).l;
        Arrays.fill(b, 0L);
        for (int o = 0; o < co; o++) {
            for (int c = 0; c < ci; c++) {
                for (int t = 0; t < kh * kw; t++) {
                    if (a[(o * ci + c) * kh * kw + t] > 0f) {
                        b[(o * kh * kw + t) * words + c / 64] |= 1L << (c % 64);
                    }
                }
            }
        }
    }

    @Override
    public void packActivations(Tensor x, Tensor threshold, Tensor bits) {
        if (x.shape().rank() != 4) {
            throw new io.siman.api.ShapeMismatchException("packActivations: input must be [N, C, H, W], got " + x.shape());
        }
        int n = x.shape().dim(0), c = x.shape().dim(1), plane = plane(x), words = Shape.words(c);
        expect("packActivations", "threshold", threshold, Shape.of(n));
        expect("packActivations", "bits", bits, Shape.of(n, x.shape().dim(2), x.shape().dim(3), words));
        float[] a = f(x), t = f(threshold);
        long[] b = backend.own(bits, DType.INT64).l;
        Arrays.fill(b, 0L);
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < plane; p++) {
                    if (a[(i * c + ch) * plane + p] >= t[i]) {
                        b[(i * plane + p) * words + ch / 64] |= 1L << (ch % 64);
                    }
                }
            }
        }
    }

    @Override
    public void binaryConv2d(ConvGeometry g, Encoding encoding, Tensor xBits, Tensor wBits, Tensor scale, Tensor bias, Tensor y) {
        KernelShapes.binaryConvolution(g, xBits, wBits, scale, bias, y);
        long[] xb = backend.own(xBits, DType.INT64).l, wb = backend.own(wBits, DType.INT64).l;
        float[] s = fOrNull(scale), b = fOrNull(bias), o = f(y);
        int words = Shape.words(g.inChannels()), h = g.inHeight(), w = g.inWidth(), kh = g.kernelH(), kw = g.kernelW();
        int ho = g.outHeight(), wo = g.outWidth();
        for (int n = 0; n < g.batch(); n++) {
            for (int co = 0; co < g.outChannels(); co++) {
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        long sum = 0;
                        for (int ky = 0; ky < kh; ky++) {
                            int iy = oy * g.stride() - g.padding() + ky;
                            for (int kx = 0; kx < kw; kx++) {
                                int ix = ox * g.stride() - g.padding() + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                                    continue; // padding is 0: no contribution
                                }
                                int xo = ((n * h + iy) * w + ix) * words, wo0 = ((co * kh + ky) * kw + kx) * words;
                                for (int q = 0; q < words; q++) {
                                    long xv = xb[xo + q], wv = wb[wo0 + q];
                                    sum += encoding == Encoding.PM1
                                            ? -2L * Long.bitCount(xv ^ wv)
                                            : 2L * Long.bitCount(xv & wv) - Long.bitCount(wv);
                                }
                                if (encoding == Encoding.PM1) {
                                    sum += g.inChannels();
                                }
                            }
                        }
                        o[((n * g.outChannels() + co) * ho + oy) * wo + ox] =
                                Math.fma((float) sum, s == null ? 1f : s[co], b == null ? 0f : b[co]);
                    }
                }
            }
        }
    }
}
