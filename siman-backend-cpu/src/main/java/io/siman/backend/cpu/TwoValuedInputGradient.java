package io.siman.backend.cpu;

import io.siman.api.ConvGeometry;

/**
 * The input gradient of a convolution whose weights take at most two values in each output channel (a binarized
 * layer's, scaled by alpha), by pattern sums (docs/kernels.md, "Pattern sums"): output channels go in
 * groups of 4; at every position each group's 16 sums {@code T[m] = (P0 + P1) + (P2 + P3)}, {@code Pj} being output
 * channel {@code j}'s output gradient times the value its bit {@code j} of {@code m} selects, are made once; then every
 * input channel and tap adds the one sum its 4 weights pick, instead of 4 multiply-adds. The input gradient
 * {@code dx[n, c, y, x]} is {@code 0 + T} over groups, then the turned kernel's taps {@code (ky', kx')} whose window
 * reaches {@code (y, x)} ({@link #phaseTaps}; all of them at stride 1) in increasing order, each {@code T} read at the
 * output position {@code ((y + pad - ky) / s, (x + pad - kx) / s)}, {@code ky = k - 1 - ky'}, and made of zeros
 * outside the plane. This class holds the weights' analysis and the plain path;
 * {@link VectorConv#twoValuedInputGradient} the vector path, with the same operations, so the same bits.
 */
final class TwoValuedInputGradient {
    /** Output channels per group and sums per group. */
    static final int GROUP = 4, PATTERNS = 16;

    private TwoValuedInputGradient() {
    }

    /** Whether the shape takes this path: a square kernel, padded less than its size, a stride no larger than it. */
    static boolean handles(ConvGeometry g) {
        return g.kernelH() == g.kernelW() && g.padding() < g.kernelH() && g.stride() <= g.kernelH();
    }

    /**
     * The turned taps {@code t = ky' * k + kx'} (kernel tap {@code (k - 1 - ky', k - 1 - kx')}), in increasing order, whose
     * window reaches the inputs of phase {@code (py, px)} (rows {@code = py}, columns {@code = px} modulo the stride):
     * those where {@code py + pad - ky} and {@code px + pad - kx} are multiples of the stride. Stride 1: every tap.
     */
    static int[] phaseTaps(ConvGeometry g, int py, int px) {
        int k = g.kernelH(), s = g.stride(), pad = g.padding(), n = 0;
        int[] taps = new int[k * k];
        for (int t = 0; t < k * k; t++) {
            int ky = k - 1 - t / k, kx = k - 1 - t % k;
            if (Math.floorMod(py + pad - ky, s) == 0 && Math.floorMod(px + pad - kx, s) == 0) {
                taps[n++] = t;
            }
        }
        return java.util.Arrays.copyOf(taps, n);
    }

    /** The output row (or column) that turned tap row {@code ky'} reads for input row {@code y} of its phase. */
    static int outputIndex(ConvGeometry g, int y, int turnedRow) {
        return Math.floorDiv(y + g.padding() - (g.kernelH() - 1 - turnedRow), g.stride());
    }

    /** Groups of {@link #GROUP} output channels, the last one completed by channels of zero gradient and weight. */
    static int groups(int outChannels) {
        return (outChannels + GROUP - 1) / GROUP;
    }

    /**
     * Each output channel's two values, {@code [2 o]} its first weight's and {@code [2 o + 1]} the other one (the first
     * again where there is none), over {@code groups * 4} channels (zeros past the last); null where a channel has three
     * or more (compared bit for bit, so {@code -0} and {@code +0} are two values), or where the layer's shape does not
     * take this path ({@link #handles}).
     */
    static float[] values(ConvGeometry g, float[] w) {
        return handles(g) ? values(w, g.outChannels(), g.fanIn()) : null;
    }

    private static float[] values(float[] w, int outChannels, int fanIn) {
        float[] values = new float[2 * GROUP * groups(outChannels)];
        for (int o = 0; o < outChannels; o++) {
            int first = Float.floatToRawIntBits(w[o * fanIn]), other = first;
            for (int i = o * fanIn + 1; i < (o + 1) * fanIn; i++) {
                int v = Float.floatToRawIntBits(w[i]);
                if (v == first || v == other) {
                    continue;
                }
                if (other != first) {
                    return null;
                }
                other = v;
            }
            values[2 * o] = Float.intBitsToFloat(first);
            values[2 * o + 1] = Float.intBitsToFloat(other);
        }
        return values;
    }

    /**
     * The sum each input channel {@code c}, group {@code g} and turned tap {@code t} adds, as
     * {@code patterns[(c * groups + g) * taps + t]}: bit {@code j} set where output channel {@code 4 g + j}'s weight at
     * {@code (c, k - 1 - ky, k - 1 - kx)} is its second value.
     */
    static int[] patterns(ConvGeometry g, float[] w, float[] values) {
        int ci = g.inChannels(), co = g.outChannels(), kh = g.kernelH(), kw = g.kernelW(), taps = kh * kw;
        int groups = groups(co);
        int[] patterns = new int[ci * groups * taps];
        for (int c = 0; c < ci; c++) {
            for (int o = 0; o < co; o++) {
                int first = Float.floatToRawIntBits(values[2 * o]);
                for (int t = 0; t < taps; t++) {
                    int ky = kh - 1 - t / kw, kx = kw - 1 - t % kw;
                    if (Float.floatToRawIntBits(w[((o * ci + c) * kh + ky) * kw + kx]) != first) {
                        patterns[(c * groups + o / GROUP) * taps + t] |= 1 << (o % GROUP);
                    }
                }
            }
        }
        return patterns;
    }

    /**
     * The 16 sums of group {@code group} at one position from its 4 channels' gradients {@code d0 .. d3} (zeros for
     * channels past the last), into {@code table[at + m * stride]}.
     */
    static void sums(float[] values, int group, float d0, float d1, float d2, float d3, float[] table, int at, int stride) {
        int v = 2 * GROUP * group;
        float p00 = values[v] * d0, p01 = values[v + 1] * d0, p10 = values[v + 2] * d1, p11 = values[v + 3] * d1;
        float p20 = values[v + 4] * d2, p21 = values[v + 5] * d2, p30 = values[v + 6] * d3, p31 = values[v + 7] * d3;
        float a0 = p00 + p10, a1 = p01 + p10, a2 = p00 + p11, a3 = p01 + p11;
        float b0 = p20 + p30, b1 = p21 + p30, b2 = p20 + p31, b3 = p21 + p31;
        table[at] = a0 + b0;
        table[at + stride] = a1 + b0;
        table[at + 2 * stride] = a2 + b0;
        table[at + 3 * stride] = a3 + b0;
        table[at + 4 * stride] = a0 + b1;
        table[at + 5 * stride] = a1 + b1;
        table[at + 6 * stride] = a2 + b1;
        table[at + 7 * stride] = a3 + b1;
        table[at + 8 * stride] = a0 + b2;
        table[at + 9 * stride] = a1 + b2;
        table[at + 10 * stride] = a2 + b2;
        table[at + 11 * stride] = a3 + b2;
        table[at + 12 * stride] = a0 + b3;
        table[at + 13 * stride] = a1 + b3;
        table[at + 14 * stride] = a2 + b3;
        table[at + 15 * stride] = a3 + b3;
    }

    /** The plain path: a task per sample, its sums over the output plane made first, then every input gradient. */
    static void inputGradient(ConvGeometry g, float[] dy, float[] values, int[] patterns, float[] dx, Parallel par) {
        int ci = g.inChannels(), co = g.outChannels(), k = g.kernelW(), taps = k * k, s = g.stride();
        int h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth(), p = ho * wo;
        int groups = groups(co), planeSums = PATTERNS * p, tableSize = groups * planeSums;
        // the sums outside the plane, of zero gradients: signed zeros that the vector path adds too
        float[] outside = new float[groups * PATTERNS];
        for (int gr = 0; gr < groups; gr++) {
            sums(values, gr, 0f, 0f, 0f, 0f, outside, gr * PATTERNS, 1);
        }
        int[][] phaseTaps = new int[s * s][];
        for (int phase = 0; phase < s * s; phase++) {
            phaseTaps[phase] = phaseTaps(g, phase / s, phase % s);
        }
        par.forRange(g.batch(), (long) ci * groups * taps * h * w, (from, to) -> {
            float[] table = scratch(tableSize);
            for (int n = from; n < to; n++) {
                int dyAt = n * co * p;
                for (int gr = 0; gr < groups; gr++) {
                    int o = GROUP * gr;
                    for (int q = 0; q < p; q++) {
                        sums(values, gr, gradient(dy, dyAt, o, co, p, q), gradient(dy, dyAt, o + 1, co, p, q),
                                gradient(dy, dyAt, o + 2, co, p, q), gradient(dy, dyAt, o + 3, co, p, q),
                                table, gr * planeSums + q, p);
                    }
                }
                for (int c = 0; c < ci; c++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            int[] reaching = phaseTaps[(y % s) * s + x % s];
                            float acc = 0f;
                            for (int gr = 0; gr < groups; gr++) {
                                int pattern = (c * groups + gr) * taps;
                                for (int t : reaching) {
                                    int m = patterns[pattern + t];
                                    int oy = outputIndex(g, y, t / k), ox = outputIndex(g, x, t % k);
                                    acc += oy >= 0 && oy < ho && ox >= 0 && ox < wo
                                            ? table[gr * planeSums + m * p + oy * wo + ox] : outside[gr * PATTERNS + m];
                                }
                            }
                            dx[((n * ci + c) * h + y) * w + x] = acc;
                        }
                    }
                }
            }
        });
    }

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /** A task's table of sums, reused so the training loop does not allocate. */
    private static float[] scratch(int n) {
        float[][] s = SCRATCH.get();
        if (s[0].length < n) {
            s[0] = new float[n];
        }
        return s[0];
    }

    private static float gradient(float[] dy, int at, int o, int co, int p, int q) {
        return o < co ? dy[at + o * p + q] : 0f;
    }
}
