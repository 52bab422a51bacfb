package io.siman.backend.cpu;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the tests of "the same bits on every path" share: random inputs, and a bit-for-bit comparison that cannot pass on zeros. */
final class SameBits {
    private SameBits() {
    }

    static float[] gaussian(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    /** Every element has the same bits; and the result is not all zeros, which would prove nothing. */
    static void assertSameBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                    what + ": element " + i + " " + expected[i] + " vs " + actual[i]);
            norm += Math.abs(expected[i]);
        }
        assertTrue(norm > 0, what + ": an all-zero result proves nothing");
    }
}
