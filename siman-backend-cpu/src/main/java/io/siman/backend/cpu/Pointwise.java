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
    };
}
