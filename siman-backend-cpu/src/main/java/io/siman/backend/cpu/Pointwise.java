package io.siman.backend.cpu;

/**
 * Point-wise loops that the JIT does not vectorize by itself (a select between two products), in plain Java and
 * with the Vector API ({@link VectorPointwise}); both give the same floats.
 */
abstract class Pointwise {
    /** {@code y[i] = x[i] < 0 ? slope * x[i] : x[i]} for {@code i} in {@code [off, off + n)}. */
    abstract void prelu(float[] x, int off, int n, float slope, float[] y);

    /**
     * PReLU's input gradient: {@code dx[i] = x[i] < 0 ? dy[i] * negative : dy[i]} for {@code i} in
     * {@code [off, off + n)}, where {@code negative} is the caller's {@code 1 + (slope - 1)}.
     */
    abstract void preluBackward(float[] x, float[] dy, int off, int n, float negative, float[] dx);

    /**
     * Batch norm's plane, the residual add and PReLU: {@code sum[i] = fma(x[i], scale, shift) + residual[i]},
     * {@code y[i] = sum[i] < 0 ? slope * sum[i] : sum[i]}, each rounded as the three kernels round it.
     */
    abstract void normalizeAddPrelu(float[] x, float[] residual, int off, int n, float scale, float shift, float slope,
                                    float[] sum, float[] y);

    /**
     * The binarization's input gradient over one sample (the second pass of {@code binaryActivationBackward}): with
     * {@code a1 = (x[xOff + i] - mean) * inv} and {@code da = d[dOff + i] * max(0, 2 - 2|a1|)},
     * {@code dx[xOff + i] = fma(inv, da, fma(c1, a1, c0))}, plus {@code addend[xOff + i]} unless it is null, for
     * {@code i} in {@code [0, n)}.
     */
    abstract void approxSignBackward(float[] x, int xOff, float[] d, int dOff, int n, float mean, float inv, float c1, float c0,
                                     float[] addend, float[] dx);

    /**
     * 2x2, stride-2 max pooling of one plane: {@code ho x wo} outputs at {@code y[out..]} from the {@code w}-wide input
     * plane at {@code x[in..]}; each is the first maximum of its window in scan order (or its first NaN), the value
     * itself (so -0 and +0 stay apart), and {@code am} gets its position within the input plane.
     */
    abstract void maxPool2x2Plane(float[] x, int in, int w, int ho, int wo, float[] y, int out, int[] am);

    /**
     * Outputs {@code [from, wo)} of one output row of {@link #maxPool2x2Plane}, one at a time: input rows at
     * {@code x[row..]} and {@code x[row + w..]}, the upper one at {@code top} within its plane.
     */
    static void maxPool2x2Outputs(float[] x, int row, int w, int top, int from, int wo, float[] y, int out, int[] am) {
        for (int ox = from; ox < wo; ox++) {
            int i = row + 2 * ox;
            float x0 = x[i], x1 = x[i + 1], x2 = x[i + w], x3 = x[i + w + 1];
            float m = Math.max(Math.max(x0, x1), Math.max(x2, x3));
            // the first position holding the maximum (or, where there is one, a NaN): integer selects, not branches
            // on the data (where the maximum of four values lies is unpredictable; a float select is a branch on x86)
            int k = x3 == m | x3 != x3 ? w + 1 : 0;
            k = x2 == m | x2 != x2 ? w : k;
            k = x1 == m | x1 != x1 ? 1 : k;
            k = x0 == m | x0 != x0 ? 0 : k;
            y[out + ox] = x[i + k]; // the value itself: -0 and +0 compare equal
            am[out + ox] = top + 2 * ox + k;
        }
    }

    static final Pointwise SCALAR = new Pointwise() {
        @Override
        void prelu(float[] x, int off, int n, float slope, float[] y) {
            for (int i = off, end = off + n; i < end; i++) {
                float v = x[i];
                y[i] = v < 0f ? slope * v : v;
            }
        }

        @Override
        void preluBackward(float[] x, float[] dy, int off, int n, float negative, float[] dx) {
            for (int i = off, end = off + n; i < end; i++) {
                dx[i] = x[i] < 0f ? dy[i] * negative : dy[i];
            }
        }

        @Override
        void normalizeAddPrelu(float[] x, float[] residual, int off, int n, float scale, float shift, float slope,
                               float[] sum, float[] y) {
            for (int i = off, end = off + n; i < end; i++) {
                float v = Math.fma(x[i], scale, shift) + residual[i];
                sum[i] = v;
                y[i] = v < 0f ? slope * v : v;
            }
        }

        @Override
        void approxSignBackward(float[] x, int xOff, float[] d, int dOff, int n, float mean, float inv, float c1, float c0,
                                float[] addend, float[] dx) {
            for (int q = 0; q < n; q++) {
                float a1 = (x[xOff + q] - mean) * inv;
                float da = d[dOff + q] * Math.max(0f, 2f - 2f * Math.abs(a1));
                float v = Math.fma(inv, da, Math.fma(c1, a1, c0));
                dx[xOff + q] = addend == null ? v : v + addend[xOff + q];
            }
        }

        @Override
        void maxPool2x2Plane(float[] x, int in, int w, int ho, int wo, float[] y, int out, int[] am) {
            for (int oy = 0; oy < ho; oy++) {
                maxPool2x2Outputs(x, in + 2 * oy * w, w, 2 * oy * w, 0, wo, y, out + oy * wo, am);
            }
        }
    };
}
