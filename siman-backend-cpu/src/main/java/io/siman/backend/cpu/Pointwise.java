package io.siman.backend.cpu;

/**
 * Point-wise loops that the JIT does not vectorize by itself (a select between two products), in plain Java and
 * with the Vector API ({@link VectorPointwise}); both give the same floats.
 */
abstract class Pointwise {
    /** {@code y[i] = x[i] < 0 ? slope * x[i] : x[i]} for {@code i} in {@code [off, off + n)}. */
    abstract void prelu(float[] x, int off, int n, float slope, float[] y);

    static final Pointwise SCALAR = new Pointwise() {
        @Override
        void prelu(float[] x, int off, int n, float slope, float[] y) {
            for (int i = off, end = off + n; i < end; i++) {
                float v = x[i];
                y[i] = v < 0f ? slope * v : v;
            }
        }
    };
}
