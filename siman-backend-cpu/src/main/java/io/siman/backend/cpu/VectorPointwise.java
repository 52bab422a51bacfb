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
}
