package io.siman.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.LongArray;

/**
 * The device side of the {@code tornado} backend: one TornadoVM kernel per operation, all with the same signature
 * (the three device-resident pools, an int and a float parameter block), one work-item per output element or row,
 * each summing in a fixed order (no {@code @Reduce}, which gave wrong results on PoCL). Tensors are offsets into the
 * pools, passed in {@code p} with the sizes; the host side ({@link TornadoKernels}) checks shapes before a launch.
 * Compiled with {@code javac -g}: without local-variable tables TornadoVM silently runs plain Java instead. Method
 * names become OpenCL kernel names, so none may be an OpenCL built-in ({@code sign} was: the program then lacked it).
 */
final class DeviceKernels {
    private DeviceKernels() {
    }

    // ---------------------------------------------------------------- memory: p = [offset, n]

    static void fill(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(1)) {
            f.set(p.get(0) + k, q.get(0));
        }
    }

    /** p = [src, dst, n, type]: type 0 float, 1 int, 2 long. */
    static void copy(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(2)) {
            int type = p.get(3);
            if (type == 0) {
                f.set(p.get(1) + k, f.get(p.get(0) + k));
            } else if (type == 1) {
                i.set(p.get(1) + k, i.get(p.get(0) + k));
            } else {
                l.set(p.get(1) + k, l.get(p.get(0) + k));
            }
        }
    }

    /** Staging in: p = [dst, n, type]; the staging arrays are the host's. */
    static void upload(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray sf, IntArray si, LongArray sl) {
        int k = c.globalIdx;
        if (k < p.get(1)) {
            int type = p.get(2);
            if (type == 0) {
                f.set(p.get(0) + k, sf.get(k));
            } else if (type == 1) {
                i.set(p.get(0) + k, si.get(k));
            } else {
                l.set(p.get(0) + k, sl.get(k));
            }
        }
    }

    /** Staging out: p = [src, n, type]. */
    static void download(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray sf, IntArray si, LongArray sl) {
        int k = c.globalIdx;
        if (k < p.get(1)) {
            int type = p.get(2);
            if (type == 0) {
                sf.set(k, f.get(p.get(0) + k));
            } else if (type == 1) {
                si.set(k, i.get(p.get(0) + k));
            } else {
                sl.set(k, l.get(p.get(0) + k));
            }
        }
    }

    // ---------------------------------------------------------------- element-wise: p = [a, b, out, n]

    static void add(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(3)) {
            f.set(p.get(2) + k, f.get(p.get(0) + k) + f.get(p.get(1) + k));
        }
    }

    /** p = [x, y, n], q = [alpha]. */
    static void axpy(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(2)) {
            int y = p.get(1) + k;
            f.set(y, q.get(0) * f.get(p.get(0) + k) + f.get(y));
        }
    }

    /** p = [x, s, out, n, mode]: mode 0 sign(x), 1 x * sign(s). */
    static void signs(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(3)) {
            if (p.get(4) == 0) {
                f.set(p.get(2) + k, f.get(p.get(0) + k) >= 0f ? 1f : -1f);
            } else {
                float v = f.get(p.get(0) + k);
                f.set(p.get(2) + k, f.get(p.get(1) + k) >= 0f ? v : -v);
            }
        }
    }

    // ---------------------------------------------------------------- dense and convolution

    /** p = [x, w, bias (-1: none), y, n, in, out]. */
    static void linear(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        int in = p.get(5), out = p.get(6);
        if (k < p.get(4) * out) {
            int s = k / out, o = k % out, x = p.get(0) + s * in, w = p.get(1) + o * in;
            float acc = p.get(2) < 0 ? 0f : f.get(p.get(2) + o);
            for (int j = 0; j < in; j++) {
                acc += f.get(x + j) * f.get(w + j);
            }
            f.set(p.get(3) + k, acc);
        }
    }

    /** p = [x, w, y, n, ci, h, w, co, kh, kw, stride, pad, ho, wo]. */
    static void conv(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        int ci = p.get(4), h = p.get(5), wd = p.get(6), co = p.get(7), kh = p.get(8), kw = p.get(9), st = p.get(10), pad = p.get(11);
        int ho = p.get(12), wo = p.get(13);
        if (k < p.get(3) * co * ho * wo) {
            int ox = k % wo, oy = (k / wo) % ho, o = (k / (wo * ho)) % co, n = k / (wo * ho * co);
            float acc = 0f;
            for (int ch = 0; ch < ci; ch++) {
                for (int ky = 0; ky < kh; ky++) {
                    int iy = oy * st - pad + ky;
                    if (iy >= 0 && iy < h) {
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = ox * st - pad + kx;
                            if (ix >= 0 && ix < wd) {
                                acc += f.get(p.get(0) + ((n * ci + ch) * h + iy) * wd + ix) * f.get(p.get(1) + ((o * ci + ch) * kh + ky) * kw + kx);
                            }
                        }
                    }
                }
            }
            f.set(p.get(2) + k, acc);
        }
    }

    // ---------------------------------------------------------------- per-channel and per-row scale

    /** p = [x, scale, bias (-1: none), y, total, channels, plane, mode]: mode 0 per channel (rank 2 or 4), 1 per row (plane = row length). */
    static void affine(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(4)) {
            int ch = p.get(7) == 0 ? (k / p.get(6)) % p.get(5) : k / p.get(6);
            float x = f.get(p.get(0) + k), scale = f.get(p.get(1) + ch);
            // x * scale + bias: OpenCL contracts it into one fma (as the contract's channelAffine asks)
            f.set(p.get(3) + k, p.get(2) >= 0 ? x * scale + f.get(p.get(2) + ch) : x * scale);
        }
    }

    /** p = [x, gamma, beta, mean, var, y, total, channels, plane], q = [eps]. */
    static void batchNormInference(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(6)) {
            int ch = (k / p.get(8)) % p.get(7);
            double inv = 1.0 / Math.sqrt((double) f.get(p.get(4) + ch) + q.get(0));
            float scale = (float) (f.get(p.get(1) + ch) * inv);
            float shift = (float) (f.get(p.get(2) + ch) - f.get(p.get(3) + ch) * f.get(p.get(1) + ch) * inv);
            f.set(p.get(5) + k, f.get(p.get(0) + k) * scale + shift);
        }
    }

    // ---------------------------------------------------------------- activations and pooling

    /** p = [x, slope (-1: none), y, total, channels, plane, kind]: kind 0 ReLU, 1 hardtanh, 2 PReLU. */
    static void activation(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(3)) {
            float v = f.get(p.get(0) + k);
            int kind = p.get(6);
            float r;
            if (kind == 0) {
                r = TornadoMath.max(0f, v);
            } else if (kind == 1) {
                r = TornadoMath.max(-1f, TornadoMath.min(1f, v));
            } else {
                r = v >= 0f ? v : f.get(p.get(1) + (k / p.get(5)) % p.get(4)) * v;
            }
            f.set(p.get(2) + k, r);
        }
    }

    /** p = [x, y, argmax (-1: average), planes, h, w, k, stride, pad, ho, wo]. */
    static void pool(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        int h = p.get(4), w = p.get(5), win = p.get(6), st = p.get(7), pad = p.get(8), ho = p.get(9), wo = p.get(10);
        if (k < p.get(3) * ho * wo) {
            int ox = k % wo, oy = (k / wo) % ho, nc = k / (wo * ho), in = p.get(0) + nc * h * w;
            float best = 0f;
            int at = -1;
            double sum = 0;
            for (int ky = 0; ky < win; ky++) {
                int iy = oy * st - pad + ky;
                for (int kx = 0; kx < win; kx++) {
                    int ix = ox * st - pad + kx;
                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                        float v = f.get(in + iy * w + ix);
                        sum += v;
                        if (at < 0 || v > best) {
                            best = v;
                            at = iy * w + ix;
                        }
                    }
                }
            }
            if (p.get(2) >= 0) {
                f.set(p.get(1) + k, best);
                i.set(p.get(2) + k, at);
            } else {
                f.set(p.get(1) + k, (float) (sum / ((double) win * win)));
            }
        }
    }

    // ---------------------------------------------------------------- loss and row statistics

    /** One work-item per row. p = [logits, labels, probs, losses, n, k]. */
    static void softmaxCrossEntropy(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int r = c.globalIdx;
        int kk = p.get(5);
        if (r < p.get(4)) {
            int z = p.get(0) + r * kk;
            float max = f.get(z);
            for (int j = 1; j < kk; j++) {
                max = TornadoMath.max(max, f.get(z + j));
            }
            double sum = 0;
            for (int j = 0; j < kk; j++) {
                sum += TornadoMath.exp(f.get(z + j) - max);
            }
            float logSum = TornadoMath.log((float) sum);
            for (int j = 0; j < kk; j++) {
                f.set(p.get(2) + r * kk + j, TornadoMath.exp(f.get(z + j) - max - logSum));
            }
            f.set(p.get(3) + r, logSum - (f.get(z + i.get(p.get(1) + r)) - max));
        }
    }

    /**
     * One work-item per row: the mean (and, with mode 1, the standardization). p = [x, z (-1: none), mean, invStd,
     * rows, n, mode], q = [eps]; mode 2 is the mean of |x|.
     */
    static void rowStatistics(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int r = c.globalIdx;
        int n = p.get(5), x = p.get(0) + r * n, mode = p.get(6);
        if (r < p.get(4)) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                float v = f.get(x + j);
                s += mode == 2 ? TornadoMath.abs(v) : v;
            }
            float mu = (float) (s / n);
            f.set(p.get(2) + r, mu);
            if (mode == 1) {
                double sq = 0;
                for (int j = 0; j < n; j++) {
                    float d = f.get(x + j) - mu;
                    sq += (double) d * d;
                }
                float inv = (float) (1.0 / Math.sqrt(sq / (n - 1) + q.get(0)));
                f.set(p.get(3) + r, inv);
                if (p.get(1) >= 0) {
                    for (int j = 0; j < n; j++) {
                        f.set(p.get(1) + r * n + j, (f.get(x + j) - mu) * inv);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- generic primitives

    /** p = [x, values, y, total, n]: y = x - values[row]. */
    static void rowSubtract(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(3)) {
            f.set(p.get(2) + k, f.get(p.get(0) + k) - f.get(p.get(1) + k / p.get(4)));
        }
    }

    /** One work-item per element: its rank by magnitude within its row. p = [x, counts, y, total, n], q = [high, low]. */
    static void topMagnitudes(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        int n = p.get(4);
        if (k < p.get(3)) {
            int r = k / n, j = k % n, row = p.get(0) + r * n;
            float mine = TornadoMath.abs(f.get(row + j));
            int above = 0;
            for (int o = 0; o < n; o++) {
                float other = TornadoMath.abs(f.get(row + o));
                if (other > mine || (other == mine && o < j)) {
                    above++;
                }
            }
            f.set(p.get(2) + k, above < i.get(p.get(1) + r) ? q.get(0) : q.get(1));
        }
    }

    /** p = [x, bounds, y, total, mode]: mode 0 clamp magnitudes to bounds, 1 mask by magnitude (a at p[5], limit q[0]). */
    static void magnitudeSelect(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(3)) {
            float v = f.get(p.get(0) + k);
            if (p.get(4) == 0) {
                float m = TornadoMath.min(f.get(p.get(1) + 1), TornadoMath.max(f.get(p.get(1)), TornadoMath.abs(v)));
                f.set(p.get(2) + k, v >= 0f ? m : -m);
            } else {
                f.set(p.get(2) + k, TornadoMath.abs(v) <= q.get(0) ? f.get(p.get(5) + k) : 0f);
            }
        }
    }

    /** p = [src, cs, sc, dst, cd, dc, count, plane, total]. */
    static void copyChannels(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(8)) {
            int per = p.get(6) * p.get(7), sample = k / per, rest = k % per;
            f.set(p.get(3) + (sample * p.get(4) + p.get(5)) * p.get(7) + rest, f.get(p.get(0) + (sample * p.get(1) + p.get(2)) * p.get(7) + rest));
        }
    }

    // ---------------------------------------------------------------- bitwise group

    /**
     * One work-item per word: weights [co, ci, taps] to bits [co, taps, words] (mode 0, x at p[0], threshold unused),
     * or activations [n, c, plane] to bits [n, plane, words] (mode 1, bit where x >= threshold[n]).
     * p = [x, threshold, bits, count (co or n), channels, taps or plane, words, mode].
     */
    static void pack(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        int ch = p.get(4), taps = p.get(5), words = p.get(6);
        if (k < p.get(3) * taps * words) {
            int word = k % words, t = (k / words) % taps, o = k / (words * taps);
            long bits = 0L;
            for (int b = 0; b < 64; b++) {
                int cc = word * 64 + b;
                if (cc < ch) {
                    float v = f.get(p.get(0) + (o * ch + cc) * taps + t);
                    boolean on = p.get(7) == 0 ? v > 0f : v >= f.get(p.get(1) + o);
                    if (on) {
                        bits |= 1L << b;
                    }
                }
            }
            l.set(p.get(2) + k, bits);
        }
    }

    /**
     * One work-item per output value: the popcount sum over the taps inside the image, then {@code sum * scale + bias}.
     * p = [xBits, wBits, scale (-1), bias (-1), y, n, ci, h, w, co, kh, kw, stride, pad, ho, wo, words, pm1].
     */
    static void binaryConv(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        int ci = p.get(6), h = p.get(7), wd = p.get(8), co = p.get(9), kh = p.get(10), kw = p.get(11), st = p.get(12), pad = p.get(13);
        int ho = p.get(14), wo = p.get(15), words = p.get(16);
        if (k < p.get(5) * co * ho * wo) {
            int ox = k % wo, oy = (k / wo) % ho, o = (k / (wo * ho)) % co, n = k / (wo * ho * co);
            long sum = 0;
            for (int ky = 0; ky < kh; ky++) {
                int iy = oy * st - pad + ky;
                for (int kx = 0; kx < kw; kx++) {
                    int ix = ox * st - pad + kx;
                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                        int xo = p.get(0) + ((n * h + iy) * wd + ix) * words, wo0 = p.get(1) + ((o * kh + ky) * kw + kx) * words;
                        for (int q2 = 0; q2 < words; q2++) {
                            long xv = l.get(xo + q2), wv = l.get(wo0 + q2);
                            if (p.get(17) == 1) {
                                sum -= 2L * Long.bitCount(xv ^ wv);
                            } else {
                                sum += 2L * Long.bitCount(xv & wv) - Long.bitCount(wv);
                            }
                        }
                        if (p.get(17) == 1) {
                            sum += ci;
                        }
                    }
                }
            }
            float s = p.get(2) >= 0 ? f.get(p.get(2) + o) : 1f;
            float b = p.get(3) >= 0 ? f.get(p.get(3) + o) : 0f;
            f.set(p.get(4) + k, (float) sum * s + b);
        }
    }

    // ---------------------------------------------------------------- training group

    // Loops inside if/else branches that feed one accumulator came out wrong from TornadoVM on PoCL: each mode of a
    // backward pass is a kernel of its own.

    /** dx[n, in] = dy * w. p = [x, w, dy, dx, n, in, outs]. */
    static void linearBackwardData(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        int in = p.get(5), outs = p.get(6);
        if (k < p.get(4) * in) {
            int s = k / in, j = k % in;
            float acc = 0f;
            for (int o = 0; o < outs; o++) {
                acc += f.get(p.get(2) + s * outs + o) * f.get(p.get(1) + o * in + j);
            }
            f.set(p.get(3) + k, acc);
        }
    }

    /** dw[outs, in] = dy^T * x. p = [x, w, dy, dw, n, in, outs]. */
    static void linearBackwardWeights(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        int n = p.get(4), in = p.get(5), outs = p.get(6);
        if (k < outs * in) {
            int o = k / in, j = k % in;
            float acc = 0f;
            for (int s = 0; s < n; s++) {
                acc += f.get(p.get(2) + s * outs + o) * f.get(p.get(0) + s * in + j);
            }
            f.set(p.get(3) + k, acc);
        }
    }

    /** dbias[outs] = column sums of dy. p = [x, w, dy, dbias, n, in, outs]. */
    static void linearBackwardBias(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        int n = p.get(4), outs = p.get(6);
        if (k < outs) {
            float acc = 0f;
            for (int s = 0; s < n; s++) {
                acc += f.get(p.get(2) + s * outs + k);
            }
            f.set(p.get(3) + k, acc);
        }
    }

    /** One work-item per input value: the taps whose window covers it. p = [dy, w, dx, n, ci, h, w, co, kh, kw, stride, pad, ho, wo]. */
    static void convBackwardData(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        int ci = p.get(4), h = p.get(5), wd = p.get(6), co = p.get(7), kh = p.get(8), kw = p.get(9), st = p.get(10), pad = p.get(11);
        int ho = p.get(12), wo = p.get(13);
        if (k < p.get(3) * ci * h * wd) {
            int ix = k % wd, iy = (k / wd) % h, ch = (k / (wd * h)) % ci, n = k / (wd * h * ci);
            float acc = 0f;
            for (int o = 0; o < co; o++) {
                for (int ky = 0; ky < kh; ky++) {
                    int ty = iy + pad - ky;
                    if (ty >= 0 && ty % st == 0 && ty / st < ho) {
                        for (int kx = 0; kx < kw; kx++) {
                            int tx = ix + pad - kx;
                            if (tx >= 0 && tx % st == 0 && tx / st < wo) {
                                acc += f.get(p.get(0) + ((n * co + o) * ho + ty / st) * wo + tx / st) * f.get(p.get(1) + ((o * ci + ch) * kh + ky) * kw + kx);
                            }
                        }
                    }
                }
            }
            f.set(p.get(2) + k, acc);
        }
    }

    /** One work-item per weight, summed over the batch and the positions. p = [x, dy, dw, n, ci, h, w, co, kh, kw, stride, pad, ho, wo]. */
    static void convBackwardWeights(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        int ci = p.get(4), h = p.get(5), wd = p.get(6), co = p.get(7), kh = p.get(8), kw = p.get(9), st = p.get(10), pad = p.get(11);
        int ho = p.get(12), wo = p.get(13);
        if (k < co * ci * kh * kw) {
            int kx = k % kw, ky = (k / kw) % kh, ch = (k / (kw * kh)) % ci, o = k / (kw * kh * ci);
            float acc = 0f;
            for (int n = 0; n < p.get(3); n++) {
                for (int oy = 0; oy < ho; oy++) {
                    int iy = oy * st - pad + ky;
                    if (iy >= 0 && iy < h) {
                        for (int ox = 0; ox < wo; ox++) {
                            int ix = ox * st - pad + kx;
                            if (ix >= 0 && ix < wd) {
                                acc += f.get(p.get(1) + ((n * co + o) * ho + oy) * wo + ox) * f.get(p.get(0) + ((n * ci + ch) * h + iy) * wd + ix);
                            }
                        }
                    }
                }
            }
            f.set(p.get(2) + k, acc);
        }
    }

    /**
     * One work-item per channel: {@code out[c] = sum over samples and positions of a * b}, where {@code b < 0} only
     * with negativeOnly (PReLU's slope). p = [a, b, out, channels, plane, samples, negativeOnly].
     */
    static void channelDot(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int g = c.globalIdx;
        int ch = p.get(3), plane = p.get(4), negativeOnly = p.get(6);
        if (g < ch) {
            float acc = 0f;
            for (int n = 0; n < p.get(5); n++) {
                int o = (n * ch + g) * plane;
                for (int j = 0; j < plane; j++) {
                    float b = f.get(p.get(1) + o + j);
                    float keep = negativeOnly == 0 || b < 0f ? 1f : 0f;
                    acc += f.get(p.get(0) + o + j) * b * keep;
                }
            }
            f.set(p.get(2) + g, acc);
        }
    }

    /** One work-item per row: {@code out[r] = sum over the row of a * b}. p = [a, b, out, rows, n]. */
    static void rowDot(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int r = c.globalIdx;
        int n = p.get(4);
        if (r < p.get(3)) {
            float acc = 0f;
            for (int j = 0; j < n; j++) {
                acc += f.get(p.get(0) + r * n + j) * f.get(p.get(1) + r * n + j);
            }
            f.set(p.get(2) + r, acc);
        }
    }

    /**
     * One work-item per channel: batch statistics, the running ones updated, mean and 1/std saved.
     * p = [x, runningMean, runningVar, saveMean, saveInvStd, channels, plane, samples], q = [momentum, eps].
     */
    static void batchNormStatistics(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int ch = c.globalIdx;
        int cs = p.get(5), plane = p.get(6), n = p.get(7);
        if (ch < cs) {
            double sum = 0;
            for (int s = 0; s < n; s++) {
                for (int j = 0; j < plane; j++) {
                    sum += f.get(p.get(0) + (s * cs + ch) * plane + j);
                }
            }
            double count = (double) n * plane, mean = sum / count, sq = 0;
            for (int s = 0; s < n; s++) {
                for (int j = 0; j < plane; j++) {
                    double d = f.get(p.get(0) + (s * cs + ch) * plane + j) - mean;
                    sq += d * d;
                }
            }
            double inv = 1.0 / Math.sqrt(sq / count + q.get(1));
            float m = q.get(0);
            f.set(p.get(3) + ch, (float) mean);
            f.set(p.get(4) + ch, (float) inv);
            f.set(p.get(1) + ch, (float) ((1 - m) * f.get(p.get(1) + ch) + m * mean));
            f.set(p.get(2) + ch, (float) ((1 - m) * f.get(p.get(2) + ch) + m * sq / (count - 1)));
        }
    }

    /** p = [x, gamma, beta, saveMean, saveInvStd, y, total, channels, plane]: y = gamma * (x - mean) * invStd + beta. */
    static void batchNormApply(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(6)) {
            int ch = (k / p.get(8)) % p.get(7);
            float g = f.get(p.get(1) + ch), inv = f.get(p.get(4) + ch);
            float scale = g * inv, shift = f.get(p.get(2) + ch) - f.get(p.get(3) + ch) * scale;
            f.set(p.get(5) + k, f.get(p.get(0) + k) * scale + shift);
        }
    }

    /** One work-item per channel: dbeta = sum dy, dgamma = sum dy * xhat. p = [x, dy, saveMean, saveInvStd, dgamma, dbeta, channels, plane, samples]. */
    static void batchNormBackwardSums(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int ch = c.globalIdx;
        int cs = p.get(6), plane = p.get(7);
        if (ch < cs) {
            double mean = f.get(p.get(2) + ch), sumDy = 0, sumCentred = 0;
            for (int s = 0; s < p.get(8); s++) {
                for (int j = 0; j < plane; j++) {
                    int o = (s * cs + ch) * plane + j;
                    float d = f.get(p.get(1) + o);
                    sumDy += d;
                    sumCentred += d * (f.get(p.get(0) + o) - mean);
                }
            }
            f.set(p.get(4) + ch, (float) (sumCentred * f.get(p.get(3) + ch)));
            f.set(p.get(5) + ch, (float) sumDy);
        }
    }

    /**
     * dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat)), the means from the sums.
     * p = [x, dy, gamma, saveMean, saveInvStd, dgamma, dbeta, dx, total, channels, plane], q = [1 / count].
     */
    static void batchNormBackwardApply(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(8)) {
            int ch = (k / p.get(10)) % p.get(9);
            float inv = f.get(p.get(4) + ch), xhat = (f.get(p.get(0) + k) - f.get(p.get(3) + ch)) * inv;
            float meanDy = f.get(p.get(6) + ch) * q.get(0), meanDyXhat = f.get(p.get(5) + ch) * q.get(0);
            f.set(p.get(7) + k, f.get(p.get(2) + ch) * inv * (f.get(p.get(1) + k) - meanDy - xhat * meanDyXhat));
        }
    }

    /** p = [x, dy, slope (-1), dx, total, channels, plane, kind]: kind 0 ReLU, 1 hardtanh, 2 PReLU. */
    static void activationBackward(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(4)) {
            float x = f.get(p.get(0) + k), d = f.get(p.get(1) + k);
            int kind = p.get(7);
            float r;
            if (kind == 0) {
                r = x > 0f ? d : 0f;
            } else if (kind == 1) {
                r = x >= -1f && x <= 1f ? d : 0f;
            } else {
                r = x < 0f ? d * f.get(p.get(2) + (k / p.get(6)) % p.get(5)) : d;
            }
            f.set(p.get(3) + k, r);
        }
    }

    /** One work-item per input plane, which it zeroes and then accumulates into. p = [dy, argmax (-1: average), dx, planes, h, w, k, stride, pad, ho, wo]. */
    static void poolBackward(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int nc = c.globalIdx;
        int h = p.get(4), w = p.get(5), win = p.get(6), st = p.get(7), pad = p.get(8), ho = p.get(9), wo = p.get(10);
        if (nc < p.get(3)) {
            int in = p.get(2) + nc * h * w, out = nc * ho * wo;
            for (int j = 0; j < h * w; j++) {
                f.set(in + j, 0f);
            }
            float area = (float) win * win;
            for (int o = 0; o < ho * wo; o++) {
                float d = f.get(p.get(0) + out + o);
                if (p.get(1) >= 0) {
                    int at = i.get(p.get(1) + out + o);
                    f.set(in + at, f.get(in + at) + d);
                } else {
                    int oy = o / wo, ox = o % wo;
                    for (int ky = 0; ky < win; ky++) {
                        int iy = oy * st - pad + ky;
                        for (int kx = 0; kx < win; kx++) {
                            int ix = ox * st - pad + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                f.set(in + iy * w + ix, f.get(in + iy * w + ix) + d / area);
                            }
                        }
                    }
                }
            }
        }
    }

    /** p = [probs, labels, dlogits, total, k], q = [scale]. */
    static void softmaxCrossEntropyBackward(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(3)) {
            int kk = p.get(4), r = k / kk, j = k % kk;
            f.set(p.get(2) + k, q.get(0) * (f.get(p.get(0) + k) - (j == i.get(p.get(1) + r) ? 1f : 0f)));
        }
    }

    /** One work-item per row: dx = (dz - mean(dz) - z * dot(dz, z) / (n - 1)) * invStd. p = [z, invStd, dz, dx, rows, n]. */
    static void rowStandardizeBackward(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int r = c.globalIdx;
        int n = p.get(5);
        if (r < p.get(4)) {
            int o = r * n;
            double sum = 0, dot = 0;
            for (int j = 0; j < n; j++) {
                float d = f.get(p.get(2) + o + j);
                sum += d;
                dot += d * f.get(p.get(0) + o + j);
            }
            float inv = f.get(p.get(1) + r), mean = (float) (sum / n), proj = (float) (dot / (n - 1));
            for (int j = 0; j < n; j++) {
                f.set(p.get(3) + o + j, (f.get(p.get(2) + o + j) - mean - f.get(p.get(0) + o + j) * proj) * inv);
            }
        }
    }

    /** p = [param, grad, velocity, n], q = [lr, momentum, weightDecay]. */
    static void sgdStep(KernelContext c, FloatArray f, IntArray i, LongArray l, IntArray p, FloatArray q) {
        int k = c.globalIdx;
        if (k < p.get(3)) {
            float w = f.get(p.get(0) + k);
            float d = q.get(2) * w + f.get(p.get(1) + k);
            float v = q.get(1) * f.get(p.get(2) + k) + d;
            f.set(p.get(2) + k, v);
            f.set(p.get(0) + k, w - q.get(0) * v);
        }
    }
}
