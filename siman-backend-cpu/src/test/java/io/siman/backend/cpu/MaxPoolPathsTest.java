package io.siman.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The vector path's 2x2 max pooling gives the plain path's values (bit for bit, -0 and NaN included) and positions. */
class MaxPoolPathsTest {
    @Test
    void vectorPlanesEqualPlainPlanes() {
        SplittableRandom r = new SplittableRandom(5);
        // rows of several vectors and a remainder; rows one vector wide (two output rows per vector, 16 and 8 lanes),
        // with an odd output row left over; rows half a vector wide (four output rows per vector, 8 and 4 columns),
        // with 1 to 3 output rows left over; odd widths and heights; narrow planes
        int[][] planes = {{2, 70}, {4, 64}, {3, 33}, {6, 16}, {8, 16}, {6, 8}, {4, 8}, {5, 32}, {8, 2}, {2, 130},
                {8, 8}, {10, 8}, {16, 8}, {14, 8}, {8, 4}, {10, 4}, {12, 4}, {15, 4}, {6, 4}};
        for (int[] p : planes) {
            int h = p[0], w = p[1], ho = h / 2, wo = w / 2, in = 3, out = 1;
            float[] x = new float[in + h * w + 2];
            for (int i = 0; i < x.length; i++) {
                // few distinct values, so windows tie; zeros of both signs; a NaN now and then
                int v = r.nextInt(12);
                x[i] = v == 0 ? -0f : v == 1 ? 0f : v == 2 && r.nextInt(4) == 0 ? Float.NaN : (float) (v % 4) - 1.5f;
            }
            float[] yPlain = new float[out + ho * wo + 1], yVector = new float[yPlain.length];
            int[] aPlain = new int[yPlain.length], aVector = new int[yPlain.length];
            Pointwise.SCALAR.maxPool2x2Plane(x, in, w, ho, wo, yPlain, out, aPlain);
            VectorPointwise.INSTANCE.maxPool2x2Plane(x, in, w, ho, wo, yVector, out, aVector);
            for (int o = 0; o < yPlain.length; o++) {
                String at = h + "x" + w + ", output " + o;
                assertEquals(Float.floatToRawIntBits(yPlain[o]), Float.floatToRawIntBits(yVector[o]), at + ": " + yPlain[o] + " vs " + yVector[o]);
                assertEquals(aPlain[o], aVector[o], at + ", its position");
            }
        }
        // the plain rule itself: the first maximum in scan order, -0 before +0 (they compare equal), the first NaN
        float[] rows = {1, 3, -0f, 0f, 2, Float.NaN, 3, 3, 0f, -0f, Float.NaN, 5};
        float[] y = new float[3];
        int[] a = new int[3];
        Pointwise.SCALAR.maxPool2x2Plane(rows, 0, 6, 1, 3, y, 0, a);
        assertEquals(3f, y[0]);
        assertEquals(1, a[0]);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(y[1]), "-0 first");
        assertEquals(2, a[1]);
        assertEquals(Float.NaN, y[2]);
        assertEquals(5, a[2]);
    }
}
