package io.siman.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** {@link Pointwise} with the Vector API: a compare and a blend per vector. */
final class VectorPointwise extends Pointwise {
    private static final VectorSpecies<Float> FLOATS = VectorGemm.SPECIES;
    static final VectorPointwise INSTANCE = new VectorPointwise();

    private VectorPointwise() {
    }

    @Override
    void prelu(float[] x, int off, int n, float slope, float[] y) {
        int i = off, end = off + n, vecEnd = off + n - n % FLOATS.length();
        for (; i < vecEnd; i += FLOATS.length()) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, i);
            v.blend(v.mul(slope), v.compare(VectorOperators.LT, 0f)).intoArray(y, i);
        }
        for (; i < end; i++) {
            float v = x[i];
            y[i] = v < 0f ? slope * v : v;
        }
    }

    @Override
    void preluBackward(float[] x, float[] dy, int off, int n, float negative, float[] dx) {
        int i = off, end = off + n, vecEnd = off + n - n % FLOATS.length();
        for (; i < vecEnd; i += FLOATS.length()) {
            FloatVector d = FloatVector.fromArray(FLOATS, dy, i);
            d.blend(d.mul(negative), FloatVector.fromArray(FLOATS, x, i).compare(VectorOperators.LT, 0f)).intoArray(dx, i);
        }
        for (; i < end; i++) {
            dx[i] = x[i] < 0f ? dy[i] * negative : dy[i];
        }
    }

    @Override
    void normalizeAddPrelu(float[] x, float[] residual, int off, int n, float scale, float shift, float slope,
                           float[] sum, float[] y) {
        int i = off, end = off + n, vecEnd = off + n - n % FLOATS.length();
        for (; i < vecEnd; i += FLOATS.length()) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, i).fma(scale, shift).add(FloatVector.fromArray(FLOATS, residual, i));
            v.intoArray(sum, i);
            v.blend(v.mul(slope), v.compare(VectorOperators.LT, 0f)).intoArray(y, i);
        }
        for (; i < end; i++) {
            float v = Math.fma(x[i], scale, shift) + residual[i];
            sum[i] = v;
            y[i] = v < 0f ? slope * v : v;
        }
    }
}
