package io.siman.backend.cpu;

/**
 * The sums the kernels reduce to (batch and row statistics, dot products). Every implementation computes the same
 * bits, whatever the vector width and the thread count: the order is fixed by the problem, not by the lanes
 * (docs/kernels.md, "The same bits on every path"). Element {@code i} of the first {@code n - n % 16} goes to virtual
 * lane {@code i % 16}; each lane sums its terms in float, with the term's own float operations (a fused multiply-add
 * where it multiplies), over blocks of {@value #BLOCK} rounds of 16 elements; after each block the 16 lane sums are
 * added, lane by lane, to 16 double partial sums, which are added in lane order at the end; the last
 * {@code n % 16} terms are then added in double, in order. {@link #SCALAR} runs the 16 lanes in plain Java;
 * {@link VectorReductions} runs them as one 512-bit, two 256-bit or four 128-bit vectors.
 */
abstract class Reductions {
    /** Virtual lanes of every reduction: a 512-bit vector of floats. */
    static final int VIRTUAL = 16;
    /** Rounds of 16 elements summed in float before the lanes are widened to double. */
    static final int BLOCK = 32;

    /** {@code sum of x[i]}. */
    abstract double sum(float[] x, int off, int n);

    /** {@code sum of (x[i] - mean)^2}, the difference taken in float from {@code (float) mean}. */
    abstract double squares(float[] x, int off, int n, double mean);

    /** {@code sum of a[i] * b[i]}. */
    abstract double dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** {@code sum of a[i] * (b[i] - shift)}, the difference taken in float from {@code (float) shift}. */
    abstract double dotCentred(float[] a, int aOff, float[] b, int bOff, int n, double shift);

    /** {@code sum of dy[i] * min(x[i], 0)} (PReLU's slope gradient). */
    abstract double negativeDot(float[] dy, float[] x, int off, int n);

    /**
     * For ApproxSign after a standardization: with {@code a1 = (x[i] - mean) * inv} and
     * {@code da = dxb[i] * max(0, 2 - 2|a1|)}, writes {@code sum of da} and {@code sum of da * a1} to {@code out};
     * {@code x} from {@code xOff} and {@code dxb} from {@code dOff}.
     */
    abstract void approxSignSums(float[] x, int xOff, float[] dxb, int dOff, int n, float mean, float inv, double[] out);

    // Reductions over planes {@code [count]} of {@code n} elements, {@code stride} apart from {@code off} (a channel's
    // planes in an [N, C, H, W] tensor): each plane reduced as above, the results added in plane order in double. The
    // vector path runs {@value #PLANES} planes side by side, whose chains do not wait on each other.

    /** Planes reduced side by side. */
    static final int PLANES = 4;

    /** {@code sum over planes of sum(x, plane, n)}. */
    double sumPlanes(float[] x, int off, int stride, int count, int n) {
        double s = 0;
        for (int i = 0; i < count; i++) {
            s += sum(x, off + i * stride, n);
        }
        return s;
    }

    /** {@code sum over planes of squares(x, plane, n, mean)}. */
    double squaresPlanes(float[] x, int off, int stride, int count, int n, double mean) {
        double s = 0;
        for (int i = 0; i < count; i++) {
            s += squares(x, off + i * stride, n, mean);
        }
        return s;
    }

    /** {@code sum over planes of dotCentred(a, plane, b, plane, n, shift)}: both arrays at the same offsets. */
    double dotCentredPlanes(float[] a, float[] b, int off, int stride, int count, int n, double shift) {
        double s = 0;
        for (int i = 0; i < count; i++) {
            s += dotCentred(a, off + i * stride, b, off + i * stride, n, shift);
        }
        return s;
    }

    /** {@code sum over planes of negativeDot(dy, x, plane, n)}. */
    double negativeDotPlanes(float[] dy, float[] x, int off, int stride, int count, int n) {
        double s = 0;
        for (int i = 0; i < count; i++) {
            s += negativeDot(dy, x, off + i * stride, n);
        }
        return s;
    }

    /** A thread's lane buffers: one block's 16 float lane sums and two rows of 16 double partial sums. */
    static final class Buffers {
        final float[] lanes = new float[VIRTUAL], more = new float[VIRTUAL];
        final double[] first = new double[VIRTUAL], second = new double[VIRTUAL];
        /** The same for {@link #PLANES} planes side by side. */
        final float[] planeLanes = new float[PLANES * VIRTUAL];
        final double[] planePartials = new double[PLANES * VIRTUAL];

        Buffers cleared() {
            java.util.Arrays.fill(first, 0);
            java.util.Arrays.fill(second, 0);
            return this;
        }

        Buffers clearedPlanes() {
            java.util.Arrays.fill(planePartials, 0);
            return this;
        }
    }

    /** Kernels call the reductions once per row: buffers per call made most of a training step's garbage. */
    static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** Adds a block's float lane sums (16, or 16 per plane) to the double partial sums, lane by lane. */
    static void widen(float[] lanes, double[] partial) {
        for (int l = 0; l < partial.length; l++) {
            partial[l] += lanes[l];
        }
    }

    /** The partial sums added in lane order. */
    static double total(double[] partial) {
        return total(partial, 0);
    }

    /** The 16 partial sums from {@code from} added in lane order. */
    static double total(double[] partial, int from) {
        double s = 0;
        for (int l = from; l < from + VIRTUAL; l++) {
            s += partial[l];
        }
        return s;
    }

    /** Where the rounds of 16 end and the tail begins. */
    static int rounds(int n) {
        return n - n % VIRTUAL;
    }

    // the tails, shared by every implementation

    static double sumTail(double s, float[] x, int off, int from, int n) {
        for (int i = from; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    static double squaresTail(double s, float[] x, int off, int from, int n, float m) {
        for (int i = from; i < n; i++) {
            float d = x[off + i] - m;
            s += (double) d * d;
        }
        return s;
    }

    static double dotTail(double s, float[] a, int aOff, float[] b, int bOff, int from, int n) {
        for (int i = from; i < n; i++) {
            s += (double) a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    static double dotCentredTail(double s, float[] a, int aOff, float[] b, int bOff, int from, int n, float m) {
        for (int i = from; i < n; i++) {
            s += (double) a[aOff + i] * (b[bOff + i] - m);
        }
        return s;
    }

    static double negativeDotTail(double s, float[] dy, float[] x, int off, int from, int n) {
        for (int i = from; i < n; i++) {
            s += (double) dy[off + i] * Math.min(x[off + i], 0f);
        }
        return s;
    }

    static void approxSignTail(double sum, double dot, float[] x, int xOff, float[] dxb, int dOff, int from, int n, float mean,
                               float inv, double[] out) {
        for (int i = from; i < n; i++) {
            float a1 = (x[xOff + i] - mean) * inv, da = dxb[dOff + i] * Math.max(0f, 2f - 2f * Math.abs(a1));
            sum += da;
            dot += (double) da * a1;
        }
        out[0] = sum;
        out[1] = dot;
    }

    /** The 16 virtual lanes in plain Java. */
    static final Reductions SCALAR = new Scalar();

    private static final class Scalar extends Reductions {
        @Override
        double sum(float[] x, int off, int n) {
            Buffers b = BUFFERS.get().cleared();
            float[] acc = b.lanes;
            int i = 0, end = rounds(n);
            while (i < end) {
                java.util.Arrays.fill(acc, 0f);
                for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                    for (int l = 0; l < VIRTUAL; l++) {
                        acc[l] += x[off + i + l];
                    }
                }
                widen(acc, b.first);
            }
            return sumTail(total(b.first), x, off, end, n);
        }

        @Override
        double squares(float[] x, int off, int n, double mean) {
            Buffers b = BUFFERS.get().cleared();
            float[] acc = b.lanes;
            float m = (float) mean;
            int i = 0, end = rounds(n);
            while (i < end) {
                java.util.Arrays.fill(acc, 0f);
                for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                    for (int l = 0; l < VIRTUAL; l++) {
                        float d = x[off + i + l] - m;
                        acc[l] = Math.fma(d, d, acc[l]);
                    }
                }
                widen(acc, b.first);
            }
            return squaresTail(total(b.first), x, off, end, n, m);
        }

        @Override
        double dot(float[] a, int aOff, float[] bv, int bOff, int n) {
            Buffers b = BUFFERS.get().cleared();
            float[] acc = b.lanes;
            int i = 0, end = rounds(n);
            while (i < end) {
                java.util.Arrays.fill(acc, 0f);
                for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                    for (int l = 0; l < VIRTUAL; l++) {
                        acc[l] = Math.fma(a[aOff + i + l], bv[bOff + i + l], acc[l]);
                    }
                }
                widen(acc, b.first);
            }
            return dotTail(total(b.first), a, aOff, bv, bOff, end, n);
        }

        @Override
        double dotCentred(float[] a, int aOff, float[] bv, int bOff, int n, double shift) {
            Buffers b = BUFFERS.get().cleared();
            float[] acc = b.lanes;
            float m = (float) shift;
            int i = 0, end = rounds(n);
            while (i < end) {
                java.util.Arrays.fill(acc, 0f);
                for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                    for (int l = 0; l < VIRTUAL; l++) {
                        acc[l] = Math.fma(a[aOff + i + l], bv[bOff + i + l] - m, acc[l]);
                    }
                }
                widen(acc, b.first);
            }
            return dotCentredTail(total(b.first), a, aOff, bv, bOff, end, n, m);
        }

        @Override
        double negativeDot(float[] dy, float[] x, int off, int n) {
            Buffers b = BUFFERS.get().cleared();
            float[] acc = b.lanes;
            int i = 0, end = rounds(n);
            while (i < end) {
                java.util.Arrays.fill(acc, 0f);
                for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                    for (int l = 0; l < VIRTUAL; l++) {
                        acc[l] = Math.fma(dy[off + i + l], Math.min(x[off + i + l], 0f), acc[l]);
                    }
                }
                widen(acc, b.first);
            }
            return negativeDotTail(total(b.first), dy, x, off, end, n);
        }

        @Override
        void approxSignSums(float[] x, int xOff, float[] dxb, int dOff, int n, float mean, float inv, double[] out) {
            Buffers b = BUFFERS.get().cleared();
            float[] s = b.lanes, p = b.more;
            int i = 0, end = rounds(n);
            while (i < end) {
                java.util.Arrays.fill(s, 0f);
                java.util.Arrays.fill(p, 0f);
                for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                    for (int l = 0; l < VIRTUAL; l++) {
                        float a1 = (x[xOff + i + l] - mean) * inv, da = dxb[dOff + i + l] * Math.max(0f, 2f - 2f * Math.abs(a1));
                        s[l] += da;
                        p[l] = Math.fma(da, a1, p[l]);
                    }
                }
                widen(s, b.first);
                widen(p, b.second);
            }
            approxSignTail(total(b.first), total(b.second), x, xOff, dxb, dOff, end, n, mean, inv, out);
        }
    }
}
