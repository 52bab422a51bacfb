package io.siman.testkit;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Plain double-precision reference implementations of the kernel contract, written for clarity, not
 * speed. The contract suites compare backends with these, and check every backward kernel against
 * central finite differences of these forwards.
 */
public final class Reference {
    private Reference() {
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    public static float[] randomFloats(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    public static float[] gaussians(SplittableRandom rnd, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
            a[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
        }
        return a;
    }

    /** The values a binarizer gives each output channel's weights (its own alpha per channel). */
    public enum WeightValues {
        /** {@code +alpha} or {@code -alpha} (XNOR-Net, IR-Net, SiMaN's {@code pm1} encoding). */
        PLUS_MINUS_ALPHA,
        /** {@code 0} or {@code alpha} (SiMaN's {@code zero-one} encoding). */
        ZERO_OR_ALPHA,
        /** {@code -alpha} throughout. */
        ONE_VALUE,
        /** {@code +-alpha}, but the last weight of the last channel takes a third value: not two-valued. */
        THIRD_VALUE
    }

    /**
     * Weights {@code [Co, fanIn]} of the kind asked, each chosen at random between its channel's values: what the
     * binarized layers' input gradients are tested on.
     */
    public static float[] binarizedWeights(SplittableRandom rnd, int outChannels, int fanIn, WeightValues kind) {
        float[] w = new float[outChannels * fanIn];
        for (int o = 0; o < outChannels; o++) {
            float alpha = (float) (0.05 + rnd.nextDouble());
            for (int i = 0; i < fanIn; i++) {
                boolean high = rnd.nextBoolean();
                w[o * fanIn + i] = switch (kind) {
                    case PLUS_MINUS_ALPHA, THIRD_VALUE -> high ? alpha : -alpha;
                    case ZERO_OR_ALPHA -> high ? alpha : 0f;
                    case ONE_VALUE -> -alpha;
                };
            }
        }
        if (kind == WeightValues.THIRD_VALUE) {
            w[w.length - 1] = 0.3f;
        }
        return w;
    }

    /** Convolution: x[N,Ci,H,W], w[Co,Ci,k,k] with stride and zero padding. */
    public static double[] conv(double[] x, double[] w, int n, int ci, int h, int wd, int co, int kh, int kw,
                                int stride, int pad) {
        int ho = (h + 2 * pad - kh) / stride + 1, wo = (wd + 2 * pad - kw) / stride + 1;
        double[] y = new double[n * co * ho * wo];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < co; o++) {
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        double s = 0;
                        for (int c = 0; c < ci; c++) {
                            for (int ky = 0; ky < kh; ky++) {
                                for (int kx = 0; kx < kw; kx++) {
                                    int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                        s += x[((b * ci + c) * h + iy) * wd + ix] * w[((o * ci + c) * kh + ky) * kw + kx];
                                    }
                                }
                            }
                        }
                        y[((b * co + o) * ho + oy) * wo + ox] = s;
                    }
                }
            }
        }
        return y;
    }

    /** Batch norm forward over [N, C, HW] with the biased variance. */
    public static double[] batchNorm(double[] x, double[] gamma, double[] beta, int n, int c, int hw, double eps) {
        double[] y = new double[x.length];
        for (int ch = 0; ch < c; ch++) {
            double[] st = channelStats(x, n, c, hw, ch);
            double inv = 1 / Math.sqrt(st[1] + eps);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < hw; j++) {
                    int at = (i * c + ch) * hw + j;
                    y[at] = gamma[ch] * (x[at] - st[0]) * inv + beta[ch];
                }
            }
        }
        return y;
    }

    /** {mean, biased variance, unbiased variance} of one channel. */
    public static double[] channelStats(double[] x, int n, int c, int hw, int ch) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < hw; j++) {
                s += x[(i * c + ch) * hw + j];
            }
        }
        double m = s / (n * hw), q = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < hw; j++) {
                double d = x[(i * c + ch) * hw + j] - m;
                q += d * d;
            }
        }
        return new double[]{m, q / (n * hw), q / (n * hw - 1)};
    }

    /** Per-row standardization with the unbiased variance. */
    public static double[] rowStandardize(double[] x, int rows, double eps) {
        int n = x.length / rows;
        double[] z = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double m = 0;
            for (int j = 0; j < n; j++) {
                m += x[r * n + j];
            }
            m /= n;
            double q = 0;
            for (int j = 0; j < n; j++) {
                q += (x[r * n + j] - m) * (x[r * n + j] - m);
            }
            double inv = 1 / Math.sqrt(q / (n - 1) + eps);
            for (int j = 0; j < n; j++) {
                z[r * n + j] = (x[r * n + j] - m) * inv;
            }
        }
        return z;
    }

    /** numpy's linear percentile. */
    public static double percentile(double[] values, double q) {
        double[] s = values.clone();
        Arrays.sort(s);
        double pos = q / 100 * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }

    /** Log-softmax cross-entropy per sample. */
    public static double[] crossEntropy(double[] logits, int[] labels, int k) {
        double[] l = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, logits[i * k + j]);
            }
            double s = 0;
            for (int j = 0; j < k; j++) {
                s += Math.exp(logits[i * k + j] - max);
            }
            l[i] = Math.log(s) + max - logits[i * k + labels[i]];
        }
        return l;
    }

    /** A scalar function of a vector, for finite differences. */
    @FunctionalInterface
    public interface ScalarFunction {
        double apply(double[] x);
    }

    /** Central finite differences of {@code f} at {@code x}. */
    public static double[] numericGradient(ScalarFunction f, double[] x, double h) {
        double[] g = new double[x.length];
        double[] p = x.clone();
        for (int i = 0; i < x.length; i++) {
            double v = p[i];
            p[i] = v + h;
            double up = f.apply(p);
            p[i] = v - h;
            double down = f.apply(p);
            p[i] = v;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    public static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
