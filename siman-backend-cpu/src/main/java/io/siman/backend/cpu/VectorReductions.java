package io.siman.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Reductions} with the Vector API: the 16 virtual lanes as one 512-bit vector, two 256-bit or four 128-bit
 * ones ({@code PER} vectors a round), so the bits are those of {@link Reductions#SCALAR} on every CPU. (Helpers never
 * take vectors, which could box them: each method stores its accumulators itself.) A preferred width that does not
 * divide 16 floats falls back to the plain lanes ({@link #of}).
 */
final class VectorReductions extends Reductions {
    private static final VectorSpecies<Float> FLOATS = VectorGemm.SPECIES;
    private static final int LANES = FLOATS.length();
    /** Vectors per round of 16 elements. */
    private static final int PER = VIRTUAL / LANES;

    private static final VectorReductions INSTANCE = new VectorReductions();

    private VectorReductions() {
    }

    /** The vector reductions where the preferred width divides 16 floats into at most four vectors, else the plain ones. */
    static Reductions of() {
        return LANES <= VIRTUAL && VIRTUAL % LANES == 0 && PER <= 4 ? INSTANCE : SCALAR;
    }

    @Override
    double sum(float[] x, int off, int n) {
        Buffers b = BUFFERS.get().cleared();
        float[] lanes = b.lanes;
        int i = 0, end = rounds(n);
        while (i < end) {
            FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
            for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                int j = off + i;
                a0 = a0.add(FloatVector.fromArray(FLOATS, x, j));
                if (PER > 1) {
                    a1 = a1.add(FloatVector.fromArray(FLOATS, x, j + LANES));
                }
                if (PER > 2) {
                    a2 = a2.add(FloatVector.fromArray(FLOATS, x, j + 2 * LANES));
                    a3 = a3.add(FloatVector.fromArray(FLOATS, x, j + 3 * LANES));
                }
            }
            a0.intoArray(lanes, 0);
            if (PER > 1) {
                a1.intoArray(lanes, LANES);
            }
            if (PER > 2) {
                a2.intoArray(lanes, 2 * LANES);
                a3.intoArray(lanes, 3 * LANES);
            }
            widen(lanes, b.first);
        }
        return sumTail(total(b.first), x, off, end, n);
    }

    @Override
    double squares(float[] x, int off, int n, double mean) {
        Buffers b = BUFFERS.get().cleared();
        float[] lanes = b.lanes;
        float m = (float) mean;
        int i = 0, end = rounds(n);
        while (i < end) {
            FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
            for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                int j = off + i;
                FloatVector d0 = FloatVector.fromArray(FLOATS, x, j).sub(m);
                a0 = d0.fma(d0, a0);
                if (PER > 1) {
                    FloatVector d1 = FloatVector.fromArray(FLOATS, x, j + LANES).sub(m);
                    a1 = d1.fma(d1, a1);
                }
                if (PER > 2) {
                    FloatVector d2 = FloatVector.fromArray(FLOATS, x, j + 2 * LANES).sub(m);
                    a2 = d2.fma(d2, a2);
                    FloatVector d3 = FloatVector.fromArray(FLOATS, x, j + 3 * LANES).sub(m);
                    a3 = d3.fma(d3, a3);
                }
            }
            a0.intoArray(lanes, 0);
            if (PER > 1) {
                a1.intoArray(lanes, LANES);
            }
            if (PER > 2) {
                a2.intoArray(lanes, 2 * LANES);
                a3.intoArray(lanes, 3 * LANES);
            }
            widen(lanes, b.first);
        }
        return squaresTail(total(b.first), x, off, end, n, m);
    }

    @Override
    double dot(float[] a, int aOff, float[] bv, int bOff, int n) {
        Buffers b = BUFFERS.get().cleared();
        float[] lanes = b.lanes;
        int i = 0, end = rounds(n);
        while (i < end) {
            FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
            for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                int j = aOff + i, k = bOff + i;
                a0 = FloatVector.fromArray(FLOATS, a, j).fma(FloatVector.fromArray(FLOATS, bv, k), a0);
                if (PER > 1) {
                    a1 = FloatVector.fromArray(FLOATS, a, j + LANES).fma(FloatVector.fromArray(FLOATS, bv, k + LANES), a1);
                }
                if (PER > 2) {
                    a2 = FloatVector.fromArray(FLOATS, a, j + 2 * LANES).fma(FloatVector.fromArray(FLOATS, bv, k + 2 * LANES), a2);
                    a3 = FloatVector.fromArray(FLOATS, a, j + 3 * LANES).fma(FloatVector.fromArray(FLOATS, bv, k + 3 * LANES), a3);
                }
            }
            a0.intoArray(lanes, 0);
            if (PER > 1) {
                a1.intoArray(lanes, LANES);
            }
            if (PER > 2) {
                a2.intoArray(lanes, 2 * LANES);
                a3.intoArray(lanes, 3 * LANES);
            }
            widen(lanes, b.first);
        }
        return dotTail(total(b.first), a, aOff, bv, bOff, end, n);
    }

    @Override
    double dotCentred(float[] a, int aOff, float[] bv, int bOff, int n, double shift) {
        Buffers b = BUFFERS.get().cleared();
        float[] lanes = b.lanes;
        float m = (float) shift;
        int i = 0, end = rounds(n);
        while (i < end) {
            FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
            for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                int j = aOff + i, k = bOff + i;
                a0 = FloatVector.fromArray(FLOATS, a, j).fma(FloatVector.fromArray(FLOATS, bv, k).sub(m), a0);
                if (PER > 1) {
                    a1 = FloatVector.fromArray(FLOATS, a, j + LANES).fma(FloatVector.fromArray(FLOATS, bv, k + LANES).sub(m), a1);
                }
                if (PER > 2) {
                    a2 = FloatVector.fromArray(FLOATS, a, j + 2 * LANES).fma(FloatVector.fromArray(FLOATS, bv, k + 2 * LANES).sub(m), a2);
                    a3 = FloatVector.fromArray(FLOATS, a, j + 3 * LANES).fma(FloatVector.fromArray(FLOATS, bv, k + 3 * LANES).sub(m), a3);
                }
            }
            a0.intoArray(lanes, 0);
            if (PER > 1) {
                a1.intoArray(lanes, LANES);
            }
            if (PER > 2) {
                a2.intoArray(lanes, 2 * LANES);
                a3.intoArray(lanes, 3 * LANES);
            }
            widen(lanes, b.first);
        }
        return dotCentredTail(total(b.first), a, aOff, bv, bOff, end, n, m);
    }

    @Override
    double negativeDot(float[] dy, float[] x, int off, int n) {
        Buffers b = BUFFERS.get().cleared();
        float[] lanes = b.lanes;
        int i = 0, end = rounds(n);
        while (i < end) {
            FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
            for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                int j = off + i;
                a0 = FloatVector.fromArray(FLOATS, dy, j).fma(FloatVector.fromArray(FLOATS, x, j).min(0f), a0);
                if (PER > 1) {
                    a1 = FloatVector.fromArray(FLOATS, dy, j + LANES).fma(FloatVector.fromArray(FLOATS, x, j + LANES).min(0f), a1);
                }
                if (PER > 2) {
                    a2 = FloatVector.fromArray(FLOATS, dy, j + 2 * LANES).fma(FloatVector.fromArray(FLOATS, x, j + 2 * LANES).min(0f), a2);
                    a3 = FloatVector.fromArray(FLOATS, dy, j + 3 * LANES).fma(FloatVector.fromArray(FLOATS, x, j + 3 * LANES).min(0f), a3);
                }
            }
            a0.intoArray(lanes, 0);
            if (PER > 1) {
                a1.intoArray(lanes, LANES);
            }
            if (PER > 2) {
                a2.intoArray(lanes, 2 * LANES);
                a3.intoArray(lanes, 3 * LANES);
            }
            widen(lanes, b.first);
        }
        return negativeDotTail(total(b.first), dy, x, off, end, n);
    }

    @Override
    void approxSignSums(float[] x, float[] dxb, int off, int n, float mean, float inv, double[] out) {
        Buffers b = BUFFERS.get().cleared();
        float[] lanes = b.lanes, more = b.more;
        int i = 0, end = rounds(n);
        while (i < end) {
            FloatVector s0 = FloatVector.zero(FLOATS), s1 = s0, s2 = s0, s3 = s0, p0 = s0, p1 = s0, p2 = s0, p3 = s0;
            for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                int j = off + i;
                // da = dxb * max(0, 2 - 2|a1|), the operations of the plain lanes
                FloatVector a0 = FloatVector.fromArray(FLOATS, x, j).sub(mean).mul(inv);
                FloatVector d0 = FloatVector.fromArray(FLOATS, dxb, j).mul(FloatVector.broadcast(FLOATS, 2f).sub(a0.abs().mul(2f)).max(0f));
                s0 = s0.add(d0);
                p0 = d0.fma(a0, p0);
                if (PER > 1) {
                    FloatVector a1 = FloatVector.fromArray(FLOATS, x, j + LANES).sub(mean).mul(inv);
                    FloatVector d1 = FloatVector.fromArray(FLOATS, dxb, j + LANES).mul(FloatVector.broadcast(FLOATS, 2f).sub(a1.abs().mul(2f)).max(0f));
                    s1 = s1.add(d1);
                    p1 = d1.fma(a1, p1);
                }
                if (PER > 2) {
                    FloatVector a2 = FloatVector.fromArray(FLOATS, x, j + 2 * LANES).sub(mean).mul(inv);
                    FloatVector d2 = FloatVector.fromArray(FLOATS, dxb, j + 2 * LANES).mul(FloatVector.broadcast(FLOATS, 2f).sub(a2.abs().mul(2f)).max(0f));
                    s2 = s2.add(d2);
                    p2 = d2.fma(a2, p2);
                    FloatVector a3 = FloatVector.fromArray(FLOATS, x, j + 3 * LANES).sub(mean).mul(inv);
                    FloatVector d3 = FloatVector.fromArray(FLOATS, dxb, j + 3 * LANES).mul(FloatVector.broadcast(FLOATS, 2f).sub(a3.abs().mul(2f)).max(0f));
                    s3 = s3.add(d3);
                    p3 = d3.fma(a3, p3);
                }
            }
            s0.intoArray(lanes, 0);
            p0.intoArray(more, 0);
            if (PER > 1) {
                s1.intoArray(lanes, LANES);
                p1.intoArray(more, LANES);
            }
            if (PER > 2) {
                s2.intoArray(lanes, 2 * LANES);
                p2.intoArray(more, 2 * LANES);
                s3.intoArray(lanes, 3 * LANES);
                p3.intoArray(more, 3 * LANES);
            }
            widen(lanes, b.first);
            widen(more, b.second);
        }
        approxSignTail(total(b.first), total(b.second), x, dxb, off, end, n, mean, inv, out);
    }
}
