package io.siman.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Reductions} with the Vector API. Values are summed lane-wise in float over blocks of {@value #BLOCK}
 * vectors (so each float partial sum adds up at most {@value #BLOCK} terms); each block's lanes are then added to
 * double partial sums, which are added first to last at the end, then the scalar tail. Every sum takes the same
 * order whatever the thread count. (Widening float vectors to double vectors compiles unreliably, so the
 * widening is done lane by lane, once per block; no helper takes a vector argument, which could box it.)
 * The lane buffers are the calling thread's: kernels call these once per row, and allocating them per call made
 * most of a training step's garbage (about 200 MB per ResNet-20 step at batch 256).
 */
final class VectorReductions extends Reductions {
    private static final VectorSpecies<Float> FLOATS = VectorGemm.SPECIES;
    private static final int LANES = FLOATS.length();
    /** Vectors per float block. */
    private static final int BLOCK = 32;
    static final VectorReductions INSTANCE = new VectorReductions();

    private VectorReductions() {
    }

    /** A thread's lane buffers: one block's float lanes and two rows of double partial sums. */
    private static final class Buffers {
        final float[] lanes = new float[LANES];
        final double[] first = new double[LANES], second = new double[LANES];

        Buffers cleared() {
            java.util.Arrays.fill(first, 0);
            java.util.Arrays.fill(second, 0);
            return this;
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** Adds a block's lanes (stored by the caller: helpers never take vectors, which would box them) to double partial sums. */
    private static void widen(float[] lanes, double[] partial) {
        for (int l = 0; l < LANES; l++) {
            partial[l] += lanes[l];
        }
    }

    private static double total(double[] partial) {
        double s = 0;
        for (double p : partial) {
            s += p;
        }
        return s;
    }

    @Override
    double sum(float[] x, int off, int n) {
        Buffers buffers = BUFFERS.get().cleared();
        float[] lanes = buffers.lanes;
        double[] partial = buffers.first;
        int i = 0, end = n - n % LANES;
        while (i < end) {
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int stop = Math.min(end, i + BLOCK * LANES); i < stop; i += LANES) {
                acc = acc.add(FloatVector.fromArray(FLOATS, x, off + i));
            }
            acc.intoArray(lanes, 0);
            widen(lanes, partial);
        }
        double s = total(partial);
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    @Override
    double squares(float[] x, int off, int n, double mean) {
        Buffers buffers = BUFFERS.get().cleared();
        float[] lanes = buffers.lanes;
        double[] partial = buffers.first;
        float m = (float) mean;
        int i = 0, end = n - n % LANES;
        while (i < end) {
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int stop = Math.min(end, i + BLOCK * LANES); i < stop; i += LANES) {
                FloatVector d = FloatVector.fromArray(FLOATS, x, off + i).sub(m);
                acc = d.fma(d, acc);
            }
            acc.intoArray(lanes, 0);
            widen(lanes, partial);
        }
        double s = total(partial);
        for (; i < n; i++) {
            double d = x[off + i] - mean;
            s += d * d;
        }
        return s;
    }

    @Override
    double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        Buffers buffers = BUFFERS.get().cleared();
        float[] lanes = buffers.lanes;
        double[] partial = buffers.first;
        int i = 0, end = n - n % LANES;
        while (i < end) {
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int stop = Math.min(end, i + BLOCK * LANES); i < stop; i += LANES) {
                acc = FloatVector.fromArray(FLOATS, a, aOff + i).fma(FloatVector.fromArray(FLOATS, b, bOff + i), acc);
            }
            acc.intoArray(lanes, 0);
            widen(lanes, partial);
        }
        double s = total(partial);
        for (; i < n; i++) {
            s += (double) a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    @Override
    double dotCentred(float[] a, int aOff, float[] b, int bOff, int n, double shift) {
        Buffers buffers = BUFFERS.get().cleared();
        float[] lanes = buffers.lanes;
        double[] partial = buffers.first;
        float m = (float) shift;
        int i = 0, end = n - n % LANES;
        while (i < end) {
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int stop = Math.min(end, i + BLOCK * LANES); i < stop; i += LANES) {
                acc = FloatVector.fromArray(FLOATS, a, aOff + i).fma(FloatVector.fromArray(FLOATS, b, bOff + i).sub(m), acc);
            }
            acc.intoArray(lanes, 0);
            widen(lanes, partial);
        }
        double s = total(partial);
        for (; i < n; i++) {
            s += a[aOff + i] * (b[bOff + i] - shift);
        }
        return s;
    }

    @Override
    double negativeDot(float[] dy, float[] x, int off, int n) {
        Buffers buffers = BUFFERS.get().cleared();
        float[] lanes = buffers.lanes;
        double[] partial = buffers.first;
        int i = 0, end = n - n % LANES;
        while (i < end) {
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int stop = Math.min(end, i + BLOCK * LANES); i < stop; i += LANES) {
                acc = FloatVector.fromArray(FLOATS, dy, off + i).fma(FloatVector.fromArray(FLOATS, x, off + i).min(0f), acc);
            }
            acc.intoArray(lanes, 0);
            widen(lanes, partial);
        }
        double s = total(partial);
        for (; i < n; i++) {
            s += (double) dy[off + i] * Math.min(x[off + i], 0f);
        }
        return s;
    }

    @Override
    void approxSignSums(float[] x, float[] dxb, int off, int n, float mean, float inv, double[] out) {
        Buffers buffers = BUFFERS.get().cleared();
        float[] lanes = buffers.lanes;
        double[] sums = buffers.first, dots = buffers.second;
        int i = 0, end = n - n % LANES;
        while (i < end) {
            FloatVector s = FloatVector.zero(FLOATS), p = s;
            for (int stop = Math.min(end, i + BLOCK * LANES); i < stop; i += LANES) {
                FloatVector a1 = FloatVector.fromArray(FLOATS, x, off + i).sub(mean).mul(inv);
                FloatVector da = FloatVector.fromArray(FLOATS, dxb, off + i).mul(a1.abs().mul(-2f).add(2f).max(0f));
                s = s.add(da);
                p = da.fma(a1, p);
            }
            s.intoArray(lanes, 0);
            widen(lanes, sums);
            p.intoArray(lanes, 0);
            widen(lanes, dots);
        }
        double sum = total(sums), dot = total(dots);
        for (; i < n; i++) {
            float a1 = (x[off + i] - mean) * inv, da = dxb[off + i] * Math.max(0f, 2f - 2f * Math.abs(a1));
            sum += da;
            dot += (double) da * a1;
        }
        out[0] = sum;
        out[1] = dot;
    }
}
