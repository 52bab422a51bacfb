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
        return sumOf(x, off, n, 0f, false);
    }

    @Override
    double squares(float[] x, int off, int n, double mean) {
        return sumOf(x, off, n, (float) mean, true);
    }

    /**
     * {@link #sum} ({@code squared} false) and {@link #squares} (true: the terms {@code (x - m)^2}) in one method on
     * purpose: together they are larger than HotSpot inlines into a hot caller (325 bytes of bytecode), so each runs as
     * its own compiled method. Inlined into a kernel's loop next to another reduction, C2 sometimes left their vector
     * operations to the Vector API's Java fallback, in about half the JVM runs: 248 MB of vector boxes per ResNet-20
     * training step and {@code rowStandardize} 8 -> 135-169 ms. (The other reductions are larger than that already.)
     */
    private static double sumOf(float[] x, int off, int n, float m, boolean squared) {
        Buffers b = BUFFERS.get().cleared();
        float[] lanes = b.lanes;
        int i = 0, end = rounds(n);
        while (i < end) {
            FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
            for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                int j = off + i;
                if (squared) {
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
                } else {
                    a0 = a0.add(FloatVector.fromArray(FLOATS, x, j));
                    if (PER > 1) {
                        a1 = a1.add(FloatVector.fromArray(FLOATS, x, j + LANES));
                    }
                    if (PER > 2) {
                        a2 = a2.add(FloatVector.fromArray(FLOATS, x, j + 2 * LANES));
                        a3 = a3.add(FloatVector.fromArray(FLOATS, x, j + 3 * LANES));
                    }
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
        double partial = total(b.first);
        return squared ? squaresTail(partial, x, off, end, n, m) : sumTail(partial, x, off, end, n);
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
    void approxSignSums(float[] x, int xOff, float[] dxb, int dOff, int n, float mean, float inv, double[] out) {
        Buffers b = BUFFERS.get().cleared();
        float[] lanes = b.lanes, more = b.more;
        int i = 0, end = rounds(n);
        while (i < end) {
            FloatVector s0 = FloatVector.zero(FLOATS), s1 = s0, s2 = s0, s3 = s0, p0 = s0, p1 = s0, p2 = s0, p3 = s0;
            for (int stop = Math.min(end, i + BLOCK * VIRTUAL); i < stop; i += VIRTUAL) {
                int j = xOff + i, e = dOff + i;
                // da = dxb * max(0, 2 - 2|a1|), the operations of the plain lanes
                FloatVector a0 = FloatVector.fromArray(FLOATS, x, j).sub(mean).mul(inv);
                FloatVector d0 = FloatVector.fromArray(FLOATS, dxb, e).mul(FloatVector.broadcast(FLOATS, 2f).sub(a0.abs().mul(2f)).max(0f));
                s0 = s0.add(d0);
                p0 = d0.fma(a0, p0);
                if (PER > 1) {
                    FloatVector a1 = FloatVector.fromArray(FLOATS, x, j + LANES).sub(mean).mul(inv);
                    FloatVector d1 = FloatVector.fromArray(FLOATS, dxb, e + LANES).mul(FloatVector.broadcast(FLOATS, 2f).sub(a1.abs().mul(2f)).max(0f));
                    s1 = s1.add(d1);
                    p1 = d1.fma(a1, p1);
                }
                if (PER > 2) {
                    FloatVector a2 = FloatVector.fromArray(FLOATS, x, j + 2 * LANES).sub(mean).mul(inv);
                    FloatVector d2 = FloatVector.fromArray(FLOATS, dxb, e + 2 * LANES).mul(FloatVector.broadcast(FLOATS, 2f).sub(a2.abs().mul(2f)).max(0f));
                    s2 = s2.add(d2);
                    p2 = d2.fma(a2, p2);
                    FloatVector a3 = FloatVector.fromArray(FLOATS, x, j + 3 * LANES).sub(mean).mul(inv);
                    FloatVector d3 = FloatVector.fromArray(FLOATS, dxb, e + 3 * LANES).mul(FloatVector.broadcast(FLOATS, 2f).sub(a3.abs().mul(2f)).max(0f));
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
        approxSignTail(total(b.first), total(b.second), x, xOff, dxb, dOff, end, n, mean, inv, out);
    }

    // ---------------------------------------------------------------- four planes at a time

    @Override
    double sumPlanes(float[] x, int off, int stride, int count, int n) {
        double s = 0;
        int i = 0;
        for (; i + PLANES <= count; i += PLANES) {
            int o0 = off + i * stride, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
            Buffers b = BUFFERS.get().clearedPlanes();
            float[] lanes = b.planeLanes;
            double[] p = b.planePartials;
            int j = 0, end = rounds(n);
            while (j < end) {
                FloatVector a00 = FloatVector.zero(FLOATS), a10 = a00, a20 = a00, a30 = a00, a01 = a00, a11 = a00, a21 = a00, a31 = a00;
                FloatVector a02 = a00, a12 = a00, a22 = a00, a32 = a00, a03 = a00, a13 = a00, a23 = a00, a33 = a00;
                for (int stop = Math.min(end, j + BLOCK * VIRTUAL); j < stop; j += VIRTUAL) {
                    a00 = a00.add(FloatVector.fromArray(FLOATS, x, o0 + j));
                    a10 = a10.add(FloatVector.fromArray(FLOATS, x, o1 + j));
                    a20 = a20.add(FloatVector.fromArray(FLOATS, x, o2 + j));
                    a30 = a30.add(FloatVector.fromArray(FLOATS, x, o3 + j));
                    if (PER > 1) {
                        a01 = a01.add(FloatVector.fromArray(FLOATS, x, o0 + j + LANES));
                        a11 = a11.add(FloatVector.fromArray(FLOATS, x, o1 + j + LANES));
                        a21 = a21.add(FloatVector.fromArray(FLOATS, x, o2 + j + LANES));
                        a31 = a31.add(FloatVector.fromArray(FLOATS, x, o3 + j + LANES));
                    }
                    if (PER > 2) {
                        a02 = a02.add(FloatVector.fromArray(FLOATS, x, o0 + j + 2 * LANES));
                        a12 = a12.add(FloatVector.fromArray(FLOATS, x, o1 + j + 2 * LANES));
                        a22 = a22.add(FloatVector.fromArray(FLOATS, x, o2 + j + 2 * LANES));
                        a32 = a32.add(FloatVector.fromArray(FLOATS, x, o3 + j + 2 * LANES));
                        a03 = a03.add(FloatVector.fromArray(FLOATS, x, o0 + j + 3 * LANES));
                        a13 = a13.add(FloatVector.fromArray(FLOATS, x, o1 + j + 3 * LANES));
                        a23 = a23.add(FloatVector.fromArray(FLOATS, x, o2 + j + 3 * LANES));
                        a33 = a33.add(FloatVector.fromArray(FLOATS, x, o3 + j + 3 * LANES));
                    }
                }
                a00.intoArray(lanes, 0);
                a10.intoArray(lanes, VIRTUAL);
                a20.intoArray(lanes, 2 * VIRTUAL);
                a30.intoArray(lanes, 3 * VIRTUAL);
                if (PER > 1) {
                    a01.intoArray(lanes, LANES);
                    a11.intoArray(lanes, VIRTUAL + LANES);
                    a21.intoArray(lanes, 2 * VIRTUAL + LANES);
                    a31.intoArray(lanes, 3 * VIRTUAL + LANES);
                }
                if (PER > 2) {
                    a02.intoArray(lanes, 2 * LANES);
                    a12.intoArray(lanes, VIRTUAL + 2 * LANES);
                    a22.intoArray(lanes, 2 * VIRTUAL + 2 * LANES);
                    a32.intoArray(lanes, 3 * VIRTUAL + 2 * LANES);
                    a03.intoArray(lanes, 3 * LANES);
                    a13.intoArray(lanes, VIRTUAL + 3 * LANES);
                    a23.intoArray(lanes, 2 * VIRTUAL + 3 * LANES);
                    a33.intoArray(lanes, 3 * VIRTUAL + 3 * LANES);
                }
                widen(lanes, p);
            }
            s += sumTail(total(p, 0), x, o0, end, n);
            s += sumTail(total(p, VIRTUAL), x, o1, end, n);
            s += sumTail(total(p, 2 * VIRTUAL), x, o2, end, n);
            s += sumTail(total(p, 3 * VIRTUAL), x, o3, end, n);
        }
        for (; i < count; i++) {
            s += sum(x, off + i * stride, n);
        }
        return s;
    }

    @Override
    double squaresPlanes(float[] x, int off, int stride, int count, int n, double mean) {
        float m = (float) mean;
        double s = 0;
        int i = 0;
        for (; i + PLANES <= count; i += PLANES) {
            int o0 = off + i * stride, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
            Buffers b = BUFFERS.get().clearedPlanes();
            float[] lanes = b.planeLanes;
            double[] p = b.planePartials;
            int j = 0, end = rounds(n);
            while (j < end) {
                FloatVector a00 = FloatVector.zero(FLOATS), a10 = a00, a20 = a00, a30 = a00, a01 = a00, a11 = a00, a21 = a00, a31 = a00;
                FloatVector a02 = a00, a12 = a00, a22 = a00, a32 = a00, a03 = a00, a13 = a00, a23 = a00, a33 = a00;
                for (int stop = Math.min(end, j + BLOCK * VIRTUAL); j < stop; j += VIRTUAL) {
                    FloatVector d00 = FloatVector.fromArray(FLOATS, x, o0 + j).sub(m);
                    a00 = d00.fma(d00, a00);
                    FloatVector d10 = FloatVector.fromArray(FLOATS, x, o1 + j).sub(m);
                    a10 = d10.fma(d10, a10);
                    FloatVector d20 = FloatVector.fromArray(FLOATS, x, o2 + j).sub(m);
                    a20 = d20.fma(d20, a20);
                    FloatVector d30 = FloatVector.fromArray(FLOATS, x, o3 + j).sub(m);
                    a30 = d30.fma(d30, a30);
                    if (PER > 1) {
                        FloatVector d01 = FloatVector.fromArray(FLOATS, x, o0 + j + LANES).sub(m);
                        a01 = d01.fma(d01, a01);
                        FloatVector d11 = FloatVector.fromArray(FLOATS, x, o1 + j + LANES).sub(m);
                        a11 = d11.fma(d11, a11);
                        FloatVector d21 = FloatVector.fromArray(FLOATS, x, o2 + j + LANES).sub(m);
                        a21 = d21.fma(d21, a21);
                        FloatVector d31 = FloatVector.fromArray(FLOATS, x, o3 + j + LANES).sub(m);
                        a31 = d31.fma(d31, a31);
                    }
                    if (PER > 2) {
                        FloatVector d02 = FloatVector.fromArray(FLOATS, x, o0 + j + 2 * LANES).sub(m);
                        a02 = d02.fma(d02, a02);
                        FloatVector d12 = FloatVector.fromArray(FLOATS, x, o1 + j + 2 * LANES).sub(m);
                        a12 = d12.fma(d12, a12);
                        FloatVector d22 = FloatVector.fromArray(FLOATS, x, o2 + j + 2 * LANES).sub(m);
                        a22 = d22.fma(d22, a22);
                        FloatVector d32 = FloatVector.fromArray(FLOATS, x, o3 + j + 2 * LANES).sub(m);
                        a32 = d32.fma(d32, a32);
                        FloatVector d03 = FloatVector.fromArray(FLOATS, x, o0 + j + 3 * LANES).sub(m);
                        a03 = d03.fma(d03, a03);
                        FloatVector d13 = FloatVector.fromArray(FLOATS, x, o1 + j + 3 * LANES).sub(m);
                        a13 = d13.fma(d13, a13);
                        FloatVector d23 = FloatVector.fromArray(FLOATS, x, o2 + j + 3 * LANES).sub(m);
                        a23 = d23.fma(d23, a23);
                        FloatVector d33 = FloatVector.fromArray(FLOATS, x, o3 + j + 3 * LANES).sub(m);
                        a33 = d33.fma(d33, a33);
                    }
                }
                a00.intoArray(lanes, 0);
                a10.intoArray(lanes, VIRTUAL);
                a20.intoArray(lanes, 2 * VIRTUAL);
                a30.intoArray(lanes, 3 * VIRTUAL);
                if (PER > 1) {
                    a01.intoArray(lanes, LANES);
                    a11.intoArray(lanes, VIRTUAL + LANES);
                    a21.intoArray(lanes, 2 * VIRTUAL + LANES);
                    a31.intoArray(lanes, 3 * VIRTUAL + LANES);
                }
                if (PER > 2) {
                    a02.intoArray(lanes, 2 * LANES);
                    a12.intoArray(lanes, VIRTUAL + 2 * LANES);
                    a22.intoArray(lanes, 2 * VIRTUAL + 2 * LANES);
                    a32.intoArray(lanes, 3 * VIRTUAL + 2 * LANES);
                    a03.intoArray(lanes, 3 * LANES);
                    a13.intoArray(lanes, VIRTUAL + 3 * LANES);
                    a23.intoArray(lanes, 2 * VIRTUAL + 3 * LANES);
                    a33.intoArray(lanes, 3 * VIRTUAL + 3 * LANES);
                }
                widen(lanes, p);
            }
            s += squaresTail(total(p, 0), x, o0, end, n, m);
            s += squaresTail(total(p, VIRTUAL), x, o1, end, n, m);
            s += squaresTail(total(p, 2 * VIRTUAL), x, o2, end, n, m);
            s += squaresTail(total(p, 3 * VIRTUAL), x, o3, end, n, m);
        }
        for (; i < count; i++) {
            s += squares(x, off + i * stride, n, mean);
        }
        return s;
    }

    @Override
    double dotCentredPlanes(float[] a, float[] bv, int off, int stride, int count, int n, double shift) {
        float m = (float) shift;
        double s = 0;
        int i = 0;
        for (; i + PLANES <= count; i += PLANES) {
            int o0 = off + i * stride, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
            Buffers b = BUFFERS.get().clearedPlanes();
            float[] lanes = b.planeLanes;
            double[] p = b.planePartials;
            int j = 0, end = rounds(n);
            while (j < end) {
                FloatVector a00 = FloatVector.zero(FLOATS), a10 = a00, a20 = a00, a30 = a00, a01 = a00, a11 = a00, a21 = a00, a31 = a00;
                FloatVector a02 = a00, a12 = a00, a22 = a00, a32 = a00, a03 = a00, a13 = a00, a23 = a00, a33 = a00;
                for (int stop = Math.min(end, j + BLOCK * VIRTUAL); j < stop; j += VIRTUAL) {
                    a00 = FloatVector.fromArray(FLOATS, a, o0 + j).fma(FloatVector.fromArray(FLOATS, bv, o0 + j).sub(m), a00);
                    a10 = FloatVector.fromArray(FLOATS, a, o1 + j).fma(FloatVector.fromArray(FLOATS, bv, o1 + j).sub(m), a10);
                    a20 = FloatVector.fromArray(FLOATS, a, o2 + j).fma(FloatVector.fromArray(FLOATS, bv, o2 + j).sub(m), a20);
                    a30 = FloatVector.fromArray(FLOATS, a, o3 + j).fma(FloatVector.fromArray(FLOATS, bv, o3 + j).sub(m), a30);
                    if (PER > 1) {
                        a01 = FloatVector.fromArray(FLOATS, a, o0 + j + LANES).fma(FloatVector.fromArray(FLOATS, bv, o0 + j + LANES).sub(m), a01);
                        a11 = FloatVector.fromArray(FLOATS, a, o1 + j + LANES).fma(FloatVector.fromArray(FLOATS, bv, o1 + j + LANES).sub(m), a11);
                        a21 = FloatVector.fromArray(FLOATS, a, o2 + j + LANES).fma(FloatVector.fromArray(FLOATS, bv, o2 + j + LANES).sub(m), a21);
                        a31 = FloatVector.fromArray(FLOATS, a, o3 + j + LANES).fma(FloatVector.fromArray(FLOATS, bv, o3 + j + LANES).sub(m), a31);
                    }
                    if (PER > 2) {
                        a02 = FloatVector.fromArray(FLOATS, a, o0 + j + 2 * LANES).fma(FloatVector.fromArray(FLOATS, bv, o0 + j + 2 * LANES).sub(m), a02);
                        a12 = FloatVector.fromArray(FLOATS, a, o1 + j + 2 * LANES).fma(FloatVector.fromArray(FLOATS, bv, o1 + j + 2 * LANES).sub(m), a12);
                        a22 = FloatVector.fromArray(FLOATS, a, o2 + j + 2 * LANES).fma(FloatVector.fromArray(FLOATS, bv, o2 + j + 2 * LANES).sub(m), a22);
                        a32 = FloatVector.fromArray(FLOATS, a, o3 + j + 2 * LANES).fma(FloatVector.fromArray(FLOATS, bv, o3 + j + 2 * LANES).sub(m), a32);
                        a03 = FloatVector.fromArray(FLOATS, a, o0 + j + 3 * LANES).fma(FloatVector.fromArray(FLOATS, bv, o0 + j + 3 * LANES).sub(m), a03);
                        a13 = FloatVector.fromArray(FLOATS, a, o1 + j + 3 * LANES).fma(FloatVector.fromArray(FLOATS, bv, o1 + j + 3 * LANES).sub(m), a13);
                        a23 = FloatVector.fromArray(FLOATS, a, o2 + j + 3 * LANES).fma(FloatVector.fromArray(FLOATS, bv, o2 + j + 3 * LANES).sub(m), a23);
                        a33 = FloatVector.fromArray(FLOATS, a, o3 + j + 3 * LANES).fma(FloatVector.fromArray(FLOATS, bv, o3 + j + 3 * LANES).sub(m), a33);
                    }
                }
                a00.intoArray(lanes, 0);
                a10.intoArray(lanes, VIRTUAL);
                a20.intoArray(lanes, 2 * VIRTUAL);
                a30.intoArray(lanes, 3 * VIRTUAL);
                if (PER > 1) {
                    a01.intoArray(lanes, LANES);
                    a11.intoArray(lanes, VIRTUAL + LANES);
                    a21.intoArray(lanes, 2 * VIRTUAL + LANES);
                    a31.intoArray(lanes, 3 * VIRTUAL + LANES);
                }
                if (PER > 2) {
                    a02.intoArray(lanes, 2 * LANES);
                    a12.intoArray(lanes, VIRTUAL + 2 * LANES);
                    a22.intoArray(lanes, 2 * VIRTUAL + 2 * LANES);
                    a32.intoArray(lanes, 3 * VIRTUAL + 2 * LANES);
                    a03.intoArray(lanes, 3 * LANES);
                    a13.intoArray(lanes, VIRTUAL + 3 * LANES);
                    a23.intoArray(lanes, 2 * VIRTUAL + 3 * LANES);
                    a33.intoArray(lanes, 3 * VIRTUAL + 3 * LANES);
                }
                widen(lanes, p);
            }
            s += dotCentredTail(total(p, 0), a, o0, bv, o0, end, n, m);
            s += dotCentredTail(total(p, VIRTUAL), a, o1, bv, o1, end, n, m);
            s += dotCentredTail(total(p, 2 * VIRTUAL), a, o2, bv, o2, end, n, m);
            s += dotCentredTail(total(p, 3 * VIRTUAL), a, o3, bv, o3, end, n, m);
        }
        for (; i < count; i++) {
            s += dotCentred(a, off + i * stride, bv, off + i * stride, n, shift);
        }
        return s;
    }

    @Override
    double negativeDotPlanes(float[] dy, float[] x, int off, int stride, int count, int n) {
        double s = 0;
        int i = 0;
        for (; i + PLANES <= count; i += PLANES) {
            int o0 = off + i * stride, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride;
            Buffers b = BUFFERS.get().clearedPlanes();
            float[] lanes = b.planeLanes;
            double[] p = b.planePartials;
            int j = 0, end = rounds(n);
            while (j < end) {
                FloatVector a00 = FloatVector.zero(FLOATS), a10 = a00, a20 = a00, a30 = a00, a01 = a00, a11 = a00, a21 = a00, a31 = a00;
                FloatVector a02 = a00, a12 = a00, a22 = a00, a32 = a00, a03 = a00, a13 = a00, a23 = a00, a33 = a00;
                for (int stop = Math.min(end, j + BLOCK * VIRTUAL); j < stop; j += VIRTUAL) {
                    a00 = FloatVector.fromArray(FLOATS, dy, o0 + j).fma(FloatVector.fromArray(FLOATS, x, o0 + j).min(0f), a00);
                    a10 = FloatVector.fromArray(FLOATS, dy, o1 + j).fma(FloatVector.fromArray(FLOATS, x, o1 + j).min(0f), a10);
                    a20 = FloatVector.fromArray(FLOATS, dy, o2 + j).fma(FloatVector.fromArray(FLOATS, x, o2 + j).min(0f), a20);
                    a30 = FloatVector.fromArray(FLOATS, dy, o3 + j).fma(FloatVector.fromArray(FLOATS, x, o3 + j).min(0f), a30);
                    if (PER > 1) {
                        a01 = FloatVector.fromArray(FLOATS, dy, o0 + j + LANES).fma(FloatVector.fromArray(FLOATS, x, o0 + j + LANES).min(0f), a01);
                        a11 = FloatVector.fromArray(FLOATS, dy, o1 + j + LANES).fma(FloatVector.fromArray(FLOATS, x, o1 + j + LANES).min(0f), a11);
                        a21 = FloatVector.fromArray(FLOATS, dy, o2 + j + LANES).fma(FloatVector.fromArray(FLOATS, x, o2 + j + LANES).min(0f), a21);
                        a31 = FloatVector.fromArray(FLOATS, dy, o3 + j + LANES).fma(FloatVector.fromArray(FLOATS, x, o3 + j + LANES).min(0f), a31);
                    }
                    if (PER > 2) {
                        a02 = FloatVector.fromArray(FLOATS, dy, o0 + j + 2 * LANES).fma(FloatVector.fromArray(FLOATS, x, o0 + j + 2 * LANES).min(0f), a02);
                        a12 = FloatVector.fromArray(FLOATS, dy, o1 + j + 2 * LANES).fma(FloatVector.fromArray(FLOATS, x, o1 + j + 2 * LANES).min(0f), a12);
                        a22 = FloatVector.fromArray(FLOATS, dy, o2 + j + 2 * LANES).fma(FloatVector.fromArray(FLOATS, x, o2 + j + 2 * LANES).min(0f), a22);
                        a32 = FloatVector.fromArray(FLOATS, dy, o3 + j + 2 * LANES).fma(FloatVector.fromArray(FLOATS, x, o3 + j + 2 * LANES).min(0f), a32);
                        a03 = FloatVector.fromArray(FLOATS, dy, o0 + j + 3 * LANES).fma(FloatVector.fromArray(FLOATS, x, o0 + j + 3 * LANES).min(0f), a03);
                        a13 = FloatVector.fromArray(FLOATS, dy, o1 + j + 3 * LANES).fma(FloatVector.fromArray(FLOATS, x, o1 + j + 3 * LANES).min(0f), a13);
                        a23 = FloatVector.fromArray(FLOATS, dy, o2 + j + 3 * LANES).fma(FloatVector.fromArray(FLOATS, x, o2 + j + 3 * LANES).min(0f), a23);
                        a33 = FloatVector.fromArray(FLOATS, dy, o3 + j + 3 * LANES).fma(FloatVector.fromArray(FLOATS, x, o3 + j + 3 * LANES).min(0f), a33);
                    }
                }
                a00.intoArray(lanes, 0);
                a10.intoArray(lanes, VIRTUAL);
                a20.intoArray(lanes, 2 * VIRTUAL);
                a30.intoArray(lanes, 3 * VIRTUAL);
                if (PER > 1) {
                    a01.intoArray(lanes, LANES);
                    a11.intoArray(lanes, VIRTUAL + LANES);
                    a21.intoArray(lanes, 2 * VIRTUAL + LANES);
                    a31.intoArray(lanes, 3 * VIRTUAL + LANES);
                }
                if (PER > 2) {
                    a02.intoArray(lanes, 2 * LANES);
                    a12.intoArray(lanes, VIRTUAL + 2 * LANES);
                    a22.intoArray(lanes, 2 * VIRTUAL + 2 * LANES);
                    a32.intoArray(lanes, 3 * VIRTUAL + 2 * LANES);
                    a03.intoArray(lanes, 3 * LANES);
                    a13.intoArray(lanes, VIRTUAL + 3 * LANES);
                    a23.intoArray(lanes, 2 * VIRTUAL + 3 * LANES);
                    a33.intoArray(lanes, 3 * VIRTUAL + 3 * LANES);
                }
                widen(lanes, p);
            }
            s += negativeDotTail(total(p, 0), dy, x, o0, end, n);
            s += negativeDotTail(total(p, VIRTUAL), dy, x, o1, end, n);
            s += negativeDotTail(total(p, 2 * VIRTUAL), dy, x, o2, end, n);
            s += negativeDotTail(total(p, 3 * VIRTUAL), dy, x, o3, end, n);
        }
        for (; i < count; i++) {
            s += negativeDot(dy, x, off + i * stride, n);
        }
        return s;
    }
}
