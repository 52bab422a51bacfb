package io.siman.backend.cpu;

/**
 * The sums the kernels reduce to (batch and row statistics, dot products), in double. Each sums in one fixed
 * order, so a result never depends on how work was split between threads. Two implementations sit side by
 * side: eight interleaved partial sums in plain Java (eight additions in flight instead of one chain), and
 * {@link VectorReductions} with vector lanes; they may round differently from each other.
 */
abstract class Reductions {
    /** {@code sum of x[i]}. */
    abstract double sum(float[] x, int off, int n);

    /** {@code sum of (x[i] - mean)^2}. */
    abstract double squares(float[] x, int off, int n, double mean);

    /** {@code sum of a[i] * b[i]}. */
    abstract double dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** {@code sum of a[i] * (b[i] - shift)}. */
    abstract double dotCentred(float[] a, int aOff, float[] b, int bOff, int n, double shift);

    /** {@code sum of dy[i] * min(x[i], 0)} (PReLU's slope gradient). */
    abstract double negativeDot(float[] dy, float[] x, int off, int n);

    /**
     * For ApproxSign after a standardization: with {@code a1 = (x[i] - mean) * inv} and
     * {@code da = dxb[i] * max(0, 2 - 2|a1|)}, writes {@code sum of da} and {@code sum of da * a1} to {@code out}.
     */
    abstract void approxSignSums(float[] x, float[] dxb, int off, int n, float mean, float inv, double[] out);

    /** The plain-Java sums: eight (or four) interleaved partial sums, added pairwise at the end. */
    static final Reductions SCALAR = new Scalar();

    private static final class Scalar extends Reductions {
        @Override
        double sum(float[] x, int off, int n) {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            int i = 0;
            for (; i + 8 <= n; i += 8) {
                int j = off + i;
                s0 += x[j];
                s1 += x[j + 1];
                s2 += x[j + 2];
                s3 += x[j + 3];
                s4 += x[j + 4];
                s5 += x[j + 5];
                s6 += x[j + 6];
                s7 += x[j + 7];
            }
            for (; i < n; i++) {
                s0 += x[off + i];
            }
            return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        }

        @Override
        double dot(float[] a, int aOff, float[] b, int bOff, int n) {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            int i = 0;
            for (; i + 8 <= n; i += 8) {
                int j = aOff + i, k = bOff + i;
                s0 += (double) a[j] * b[k];
                s1 += (double) a[j + 1] * b[k + 1];
                s2 += (double) a[j + 2] * b[k + 2];
                s3 += (double) a[j + 3] * b[k + 3];
                s4 += (double) a[j + 4] * b[k + 4];
                s5 += (double) a[j + 5] * b[k + 5];
                s6 += (double) a[j + 6] * b[k + 6];
                s7 += (double) a[j + 7] * b[k + 7];
            }
            for (; i < n; i++) {
                s0 += (double) a[aOff + i] * b[bOff + i];
            }
            return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        }

        @Override
        double negativeDot(float[] dy, float[] x, int off, int n) {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            int i = 0;
            for (; i + 8 <= n; i += 8) {
                int j = off + i;
                s0 += (double) dy[j] * Math.min(x[j], 0f);
                s1 += (double) dy[j + 1] * Math.min(x[j + 1], 0f);
                s2 += (double) dy[j + 2] * Math.min(x[j + 2], 0f);
                s3 += (double) dy[j + 3] * Math.min(x[j + 3], 0f);
                s4 += (double) dy[j + 4] * Math.min(x[j + 4], 0f);
                s5 += (double) dy[j + 5] * Math.min(x[j + 5], 0f);
                s6 += (double) dy[j + 6] * Math.min(x[j + 6], 0f);
                s7 += (double) dy[j + 7] * Math.min(x[j + 7], 0f);
            }
            for (; i < n; i++) {
                s0 += (double) dy[off + i] * Math.min(x[off + i], 0f);
            }
            return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        }

        @Override
        double dotCentred(float[] a, int aOff, float[] b, int bOff, int n, double shift) {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            int i = 0;
            for (; i + 8 <= n; i += 8) {
                int j = aOff + i, k = bOff + i;
                s0 += a[j] * (b[k] - shift);
                s1 += a[j + 1] * (b[k + 1] - shift);
                s2 += a[j + 2] * (b[k + 2] - shift);
                s3 += a[j + 3] * (b[k + 3] - shift);
                s4 += a[j + 4] * (b[k + 4] - shift);
                s5 += a[j + 5] * (b[k + 5] - shift);
                s6 += a[j + 6] * (b[k + 6] - shift);
                s7 += a[j + 7] * (b[k + 7] - shift);
            }
            for (; i < n; i++) {
                s0 += a[aOff + i] * (b[bOff + i] - shift);
            }
            return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        }

        @Override
        double squares(float[] x, int off, int n, double mean) {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            int i = 0;
            for (; i + 8 <= n; i += 8) {
                int j = off + i;
                double d0 = x[j] - mean, d1 = x[j + 1] - mean, d2 = x[j + 2] - mean, d3 = x[j + 3] - mean;
                double d4 = x[j + 4] - mean, d5 = x[j + 5] - mean, d6 = x[j + 6] - mean, d7 = x[j + 7] - mean;
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
                s4 += d4 * d4;
                s5 += d5 * d5;
                s6 += d6 * d6;
                s7 += d7 * d7;
            }
            for (; i < n; i++) {
                double d = x[off + i] - mean;
                s0 += d * d;
            }
            return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        }

        @Override
        void approxSignSums(float[] x, float[] dxb, int off, int n, float mean, float inv, double[] out) {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0, p0 = 0, p1 = 0, p2 = 0, p3 = 0;
            int j = 0;
            for (; j + 4 <= n; j += 4) {
                int q = off + j;
                float a0 = (x[q] - mean) * inv, a1 = (x[q + 1] - mean) * inv, a2 = (x[q + 2] - mean) * inv, a3 = (x[q + 3] - mean) * inv;
                float d0 = dxb[q] * Math.max(0f, 2f - 2f * Math.abs(a0)), d1 = dxb[q + 1] * Math.max(0f, 2f - 2f * Math.abs(a1));
                float d2 = dxb[q + 2] * Math.max(0f, 2f - 2f * Math.abs(a2)), d3 = dxb[q + 3] * Math.max(0f, 2f - 2f * Math.abs(a3));
                s0 += d0;
                s1 += d1;
                s2 += d2;
                s3 += d3;
                p0 += (double) d0 * a0;
                p1 += (double) d1 * a1;
                p2 += (double) d2 * a2;
                p3 += (double) d3 * a3;
            }
            for (; j < n; j++) {
                float a0 = (x[off + j] - mean) * inv, d0 = dxb[off + j] * Math.max(0f, 2f - 2f * Math.abs(a0));
                s0 += d0;
                p0 += (double) d0 * a0;
            }
            out[0] = (s0 + s1) + (s2 + s3);
            out[1] = (p0 + p1) + (p2 + p3);
        }
    }
}
