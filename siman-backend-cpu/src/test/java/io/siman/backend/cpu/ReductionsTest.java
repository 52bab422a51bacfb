package io.siman.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The vector reductions give the plain ones' bits (docs/kernels.md, "The same bits on every path"): at this JVM's
 * preferred width, and, in this module's second surefire run, at 128 bits (four vectors a round of 16 lanes).
 */
class ReductionsTest {
    private static final int[] LENGTHS = {0, 1, 7, 15, 16, 17, 31, 100, 511, 512, 513, 1000, 4099, 20000};

    @Test
    void theVectorReductionsGiveThePlainOnesBits() {
        Reductions plain = Reductions.SCALAR, vector = VectorReductions.of();
        assertInstanceOf(VectorReductions.class, vector, "the vector lanes run here (" + VectorGemm.SPECIES + ")");
        SplittableRandom r = new SplittableRandom(9);
        double[] outA = new double[2], outB = new double[2];
        for (int n : LENGTHS) {
            for (int off : new int[]{0, 3}) {
                float[] a = new float[off + n], b = new float[off + n];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) (r.nextGaussian() * 3 + 0.5);
                    b[i] = (float) r.nextGaussian();
                }
                String at = "n " + n + ", offset " + off;
                same(plain.sum(a, off, n), vector.sum(a, off, n), "sum " + at);
                same(plain.squares(a, off, n, 0.37), vector.squares(a, off, n, 0.37), "squares " + at);
                same(plain.dot(a, off, b, off, n), vector.dot(a, off, b, off, n), "dot " + at);
                same(plain.dotCentred(a, off, b, 0, n, -0.2), vector.dotCentred(a, off, b, 0, n, -0.2), "dotCentred " + at);
                same(plain.negativeDot(a, b, off, n), vector.negativeDot(a, b, off, n), "negativeDot " + at);
                plain.approxSignSums(a, off, b, off, n, 0.4f, 0.9f, outA);
                vector.approxSignSums(a, off, b, off, n, 0.4f, 0.9f, outB);
                same(outA[0], outB[0], "approxSign sum " + at);
                same(outA[1], outB[1], "approxSign dot " + at);
                // the gradient from another array and offset, as the fused input gradient hands it over
                float[] moved = new float[n + 5];
                System.arraycopy(b, off, moved, 5, n);
                vector.approxSignSums(a, off, moved, 5, n, 0.4f, 0.9f, outB);
                same(outA[0], outB[0], "approxSign sum " + at);
                same(outA[1], outB[1], "approxSign dot " + at);
            }
        }
        // planes side by side (whole groups of four and the rest), as a channel's planes lie in [N, C, H, W]
        for (int n : new int[]{16, 64, 100, 1024, 1030}) {
            for (int count : new int[]{1, 4, 7, 9}) {
                int stride = 3 * n + 5, off = 2 * n + 1;
                float[] a = new float[off + count * stride], b = new float[a.length];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) (r.nextGaussian() * 3 + 0.5);
                    b[i] = (float) r.nextGaussian();
                }
                String at = count + " planes of " + n;
                double sum = 0, squares = 0, centred = 0, negative = 0;
                for (int i = 0; i < count; i++) {
                    sum += plain.sum(a, off + i * stride, n);
                    squares += plain.squares(a, off + i * stride, n, 0.37);
                    centred += plain.dotCentred(a, off + i * stride, b, off + i * stride, n, -0.2);
                    negative += plain.negativeDot(a, b, off + i * stride, n);
                }
                for (Reductions red : new Reductions[]{plain, vector}) {
                    same(sum, red.sumPlanes(a, off, stride, count, n), "sumPlanes " + at);
                    same(squares, red.squaresPlanes(a, off, stride, count, n, 0.37), "squaresPlanes " + at);
                    same(centred, red.dotCentredPlanes(a, b, off, stride, count, n, -0.2), "dotCentredPlanes " + at);
                    same(negative, red.negativeDotPlanes(a, b, off, stride, count, n), "negativeDotPlanes " + at);
                }
            }
        }
        // and they are sums: a check of the definition against a plain double sum
        float[] ones = new float[1000];
        java.util.Arrays.fill(ones, 1f);
        assertEquals(1000.0, vector.sum(ones, 0, 1000));
        assertEquals(1000.0 * 2.25, vector.squares(ones, 0, 1000, -0.5));
    }

    private static void same(double expected, double actual, String what) {
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual), what + ": " + expected + " vs " + actual);
    }
}
