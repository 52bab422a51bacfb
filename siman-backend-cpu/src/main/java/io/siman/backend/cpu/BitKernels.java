package io.siman.backend.cpu;

import io.siman.api.ConvGeometry;

/**
 * The bit operations of bitwise inference: packing activations and the popcount convolution. A plain-Java
 * implementation ({@link ScalarBitKernels}) and a Vector API one ({@link VectorBitKernels}) sit side by side;
 * both produce exactly the same bits and the same integer sums, so they agree bit for bit.
 *
 * <p>What both share lives here: the per-tap popcounts of the weights, and which taps of a window fall on
 * padding. A padded tap holds no input (neither +1 nor -1); a kernel that reads it as a zero word adds
 * {@code popcount(w)} to an XOR count, which {@link #paddedPopcount} takes back out.
 */
abstract class BitKernels {
    abstract String describe();

    /**
     * {@code bits[n, p, word]} bit {@code c % 64} of word {@code c / 64} is 1 where {@code x[n, c, p] >= threshold[n]};
     * bits past {@code c} are 0. With {@code red} (else null), each sample's threshold is first written as its mean
     * ({@link RowStatisticsKernels#rowMeanOf}), by the task that then packs the sample while it is in cache.
     */
    abstract void packActivations(int n, int c, int plane, float[] x, float[] threshold, long[] bits, Reductions red, Parallel par);

    /** Sample {@code i}'s threshold for {@link #packActivations}: first written as its mean where {@code red} is given. */
    static float threshold(float[] x, float[] threshold, int i, int length, Reductions red) {
        if (red != null) {
            threshold[i] = RowStatisticsKernels.rowMeanOf(red, x, i * length, length);
        }
        return threshold[i];
    }

    /**
     * The popcount convolution of the kernel contract ({@code Kernels.binaryConv2d}); {@code scale} and
     * {@code bias} may be null; {@code epilogue} (null for none) follows the affine, fused.
     */
    abstract void binaryConv2d(ConvGeometry g, boolean pm1, long[] xb, CpuTensor wBits, float[] scale, float[] bias,
                               Epilogue epilogue, float[] y, Parallel par);

    /**
     * What follows the affine in a binarized residual block ({@code BinaryBlockSteps}): the residual add, then PReLU
     * by output channel, rounded as {@code add} and {@code prelu} round them.
     */
    record Epilogue(float[] residual, float[] slope) {
        float apply(float v, int at, int channel) {
            float o = v + residual[at];
            return o < 0f ? slope[channel] * o : o;
        }

        /** Applies it to a finished output {@code y[N, C, plane]} (paths that do not fuse it). */
        void applyTo(float[] y, int channels, int plane, Parallel par) {
            par.forRange(y.length / plane, plane, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int c = r % channels;
                    for (int i = r * plane, end = i + plane; i < end; i++) {
                        y[i] = apply(y[i], i, c);
                    }
                }
            });
        }
    }

    /** Popcount of each output channel's weight words per tap: {@code [co * taps]}. */
    static int[] tapPopcounts(ConvGeometry g, long[] wb) {
        int taps = g.kernelH() * g.kernelW(), words = io.siman.api.Shape.words(g.inChannels()), co = g.outChannels();
        int[] pop = new int[co * taps];
        for (int o = 0; o < co; o++) {
            for (int t = 0; t < taps; t++) {
                int p = 0;
                for (int q = 0; q < words; q++) {
                    p += Long.bitCount(wb[(o * taps + t) * words + q]);
                }
                pop[o * taps + t] = p;
            }
        }
        return pop;
    }

    /** First kernel offset whose input coordinate {@code out * stride - pad + k} is inside {@code [0, size)}. */
    static int firstValidTap(int out, int stride, int pad) {
        return Math.max(0, pad - out * stride);
    }

    /** One past the last kernel offset inside the input. */
    static int endValidTap(int out, int stride, int pad, int size, int kernel) {
        return Math.min(kernel, size + pad - out * stride);
    }

    /**
     * Sum of {@code tapPop[o]} over the taps of output position {@code (oy, ox)} that fall on padding: what an
     * XOR against zero words there added to the count.
     */
    static int paddedPopcount(int[] tapPop, int o, ConvGeometry g, int ky0, int ky1, int kx0, int kx1) {
        int kh = g.kernelH(), kw = g.kernelW(), taps = kh * kw, s = 0;
        for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
                if (ky < ky0 || ky >= ky1 || kx < kx0 || kx >= kx1) {
                    s += tapPop[o * taps + ky * kw + kx];
                }
            }
        }
        return s;
    }
}
