package io.siman.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static io.siman.backend.cpu.SameBits.assertSameBits;
import static io.siman.backend.cpu.SameBits.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The binarization's input gradient over a sample (the second pass of the ApproxSign backward): the vector loop gives
 * the plain loop's bits, with and without an addend, the gradient read from another array at another offset (as the
 * fused input gradient hands it over), lengths that leave vectors part full; and both leave the rest of dx alone.
 */
class ApproxSignPathsTest {
    @Test
    void vectorSamplesEqualPlainSamples() {
        SplittableRandom r = new SplittableRandom(21);
        for (int n : new int[]{1, 7, 16, 33, 64, 100, 1024}) {
            for (boolean added : new boolean[]{false, true}) {
                int xOff = 5, dOff = 3;
                float[] x = gaussian(r, xOff + n + 4), d = gaussian(r, dOff + n + 2), addend = added ? gaussian(r, x.length) : null;
                // a1 = (x - 0.1) * 1.7 within (-1, 1) for about half of the values: both sides of ApproxSign's window
                float[] plain = new float[x.length], vector = new float[x.length];
                Arrays.fill(plain, 9f);
                Arrays.fill(vector, 9f);
                Pointwise.SCALAR.approxSignBackward(x, xOff, d, dOff, n, 0.1f, 1.7f, -0.03f, 0.2f, addend, plain);
                VectorPointwise.INSTANCE.approxSignBackward(x, xOff, d, dOff, n, 0.1f, 1.7f, -0.03f, 0.2f, addend, vector);
                String at = "n " + n + (added ? ", with an addend" : "");
                assertSameBits(plain, vector, at);
                for (int i = 0; i < x.length; i++) {
                    if (i < xOff || i >= xOff + n) {
                        assertEquals(9f, vector[i], at + ": outside the sample, element " + i);
                    }
                }
                // the plain rule at one value: a1 = (0.3 - 0.1) * 1.7 = 0.34, da = d * (2 - 0.68)
                float a1 = (x[xOff] - 0.1f) * 1.7f, da = d[dOff] * Math.max(0f, 2f - 2f * Math.abs(a1));
                float expected = Math.fma(1.7f, da, Math.fma(-0.03f, a1, 0.2f)) + (added ? addend[xOff] : 0f);
                assertEquals(expected, plain[xOff], at + ": the rule");
            }
        }
    }
}
