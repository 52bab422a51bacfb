package io.siman.backend.cpu;

import io.siman.api.ConvGeometry;
import io.siman.api.Shape;

import java.util.Arrays;

/**
 * The bit kernels in plain Java ({@code Long.bitCount} compiles to POPCNT): the path taken without the
 * incubator module, and the literal form of the bitwise identities of docs/method.md section 3 (XOR for {@code pm1}, AND for
 * {@code zero-one}) against which the vectorized path is tested.
 */
final class ScalarBitKernels extends BitKernels {
    static final ScalarBitKernels INSTANCE = new ScalarBitKernels();

    private ScalarBitKernels() {
    }

    @Override
    String describe() {
        return "scalar popcount (Long.bitCount)";
    }

    @Override
    void packActivations(int n, int c, int plane, float[] x, float[] threshold, long[] bits, Reductions red, Parallel par) {
        int words = Shape.words(c);
        par.forRange(n, (long) c * plane, (from, to) -> {
            for (int i = from; i < to; i++) {
                float t = threshold(x, threshold, i, c * plane, red);
                int bOff = i * plane * words;
                Arrays.fill(bits, bOff, bOff + plane * words, 0L);
                for (int ch = 0; ch < c; ch++) {
                    int aOff = (i * c + ch) * plane;
                    long bit = 1L << (ch & 63);
                    int word = ch >>> 6;
                    for (int p = 0; p < plane; p++) {
                        if (x[aOff + p] >= t) {
                            bits[bOff + p * words + word] |= bit;
                        }
                    }
                }
            }
        });
    }

    @Override
    void binaryConv2d(ConvGeometry g, boolean pm1, long[] xb, CpuTensor wBits, float[] scale, float[] bias, Epilogue epilogue,
                      float[] y, Parallel par) {
        long[] wb = wBits.l;
        int words = Shape.words(g.inChannels()), h = g.inHeight(), w = g.inWidth(), ho = g.outHeight(), wo = g.outWidth();
        int kh = g.kernelH(), kw = g.kernelW(), ci = g.inChannels(), co = g.outChannels(), taps = kh * kw, len = taps * words;
        int stride = g.stride(), pad = g.padding();
        int[] tapPop = tapPopcounts(g, wb);
        int[] totalPop = new int[co];
        for (int o = 0; o < co; o++) {
            for (int t = 0; t < taps; t++) {
                totalPop[o] += tapPop[o * taps + t];
            }
        }
        // one task per (sample, output row): gather the row's windows once (padding as zero words), then sweep
        // each output channel along the row, so its weight words stay in L1 and the outputs are stored in order
        par.forRange(g.batch() * ho, (long) wo * co * len, (from, to) -> {
            long[] windows = new long[wo * len];
            int[] valid = new int[wo], ky0 = new int[wo], ky1 = new int[wo], kx0 = new int[wo], kx1 = new int[wo];
            for (int r = from; r < to; r++) {
                int n = r / ho, oy = r % ho, xImg = n * h * w * words;
                int rowKy0 = firstValidTap(oy, stride, pad), rowKy1 = endValidTap(oy, stride, pad, h, kh);
                for (int ox = 0; ox < wo; ox++) {
                    ky0[ox] = rowKy0;
                    ky1[ox] = rowKy1;
                    kx0[ox] = firstValidTap(ox, stride, pad);
                    kx1[ox] = endValidTap(ox, stride, pad, w, kw);
                    valid[ox] = (ky1[ox] - ky0[ox]) * (kx1[ox] - kx0[ox]);
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = oy * stride - pad + ky;
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = ox * stride - pad + kx, at = ox * len + (ky * kw + kx) * words;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                                Arrays.fill(windows, at, at + words, 0L);
                            } else {
                                System.arraycopy(xb, xImg + (iy * w + ix) * words, windows, at, words);
                            }
                        }
                    }
                }
                for (int o = 0; o < co; o++) {
                    int wOff = o * len, yRow = ((n * co + o) * ho + oy) * wo;
                    float s = scale == null ? 1f : scale[o], b = bias == null ? 0f : bias[o];
                    for (int ox = 0; ox < wo; ox++) {
                        int xOff = ox * len, sum;
                        boolean border = valid[ox] < taps;
                        if (pm1) {
                            int pop = 0;
                            for (int i = 0; i < len; i++) {
                                pop += Long.bitCount(windows[xOff + i] ^ wb[wOff + i]);
                            }
                            if (border) {
                                pop -= paddedPopcount(tapPop, o, g, ky0[ox], ky1[ox], kx0[ox], kx1[ox]);
                            }
                            sum = valid[ox] * ci - 2 * pop;
                        } else {
                            int pop = 0;
                            for (int i = 0; i < len; i++) {
                                pop += Long.bitCount(windows[xOff + i] & wb[wOff + i]);
                            }
                            int weightOnes = totalPop[o] - (border ? paddedPopcount(tapPop, o, g, ky0[ox], ky1[ox], kx0[ox], kx1[ox]) : 0);
                            sum = 2 * pop - weightOnes;
                        }
                        float v = Math.fma(sum, s, b);
                        y[yRow + ox] = epilogue == null ? v : epilogue.apply(v, yRow + ox, o);
                    }
                }
            }
        });
    }
}
