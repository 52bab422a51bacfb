package io.siman.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

/**
 * {@link MatMul}'s promise: every element of C is one chain of fused multiply-adds over k in increasing order, from
 * C's element with {@code accumulate} and from zero without, whatever the transposes, the row range, the blocking
 * and the implementation. Checked bit for bit against that chain written out, for the plain and the vector path
 * (whichever this JVM has), on shapes that cross panel, block and tile edges.
 */
class MatMulTest {
    private static final int[][] SHAPES = {
            // m, n, k
            {1, 1, 1}, {3, 5, 7}, {9, 70, 33}, {13, 64, 300}, {37, 129, 257}, {8, 16, 513}, {130, 300, 40},
    };

    @Test
    void everyPathIsOneFmaChainPerElement() {
        MatMul vector = Vectorization.matMul(Map.of());
        for (MatMul gemm : new MatMul[]{Gemm.INSTANCE, vector}) {
            SplittableRandom rnd = new SplittableRandom(7);
            for (int[] s : SHAPES) {
                int m = s[0], n = s[1], k = s[2];
                for (int flags = 0; flags < 8; flags++) {
                    boolean ta = (flags & 1) != 0, tb = (flags & 2) != 0, accumulate = (flags & 4) != 0;
                    // operands inside larger arrays, with row strides wider than the rows
                    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 1, aOff = 5, bOff = 2, cOff = 4;
                    float[] a = random(rnd, aOff + (ta ? k : m) * lda), b = random(rnd, bOff + (tb ? n : k) * ldb);
                    float[] c0 = random(rnd, cOff + m * ldc);
                    float[] expected = c0.clone();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            float sum = accumulate ? c0[cOff + i * ldc + j] : 0f;
                            for (int kk = 0; kk < k; kk++) {
                                float x = a[aOff + (ta ? kk * lda + i : i * lda + kk)];
                                float y = b[bOff + (tb ? j * ldb + kk : kk * ldb + j)];
                                sum = Math.fma(x, y, sum);
                            }
                            expected[cOff + i * ldc + j] = sum;
                        }
                    }
                    // rows in two ranges, as two threads would take them
                    float[] c = c0.clone();
                    int split = m / 3;
                    gemm.multiply(n, k, a, aOff, lda, ta, b, bOff, ldb, tb, c, cOff, ldc, accumulate, 0, split);
                    gemm.multiply(n, k, a, aOff, lda, ta, b, bOff, ldb, tb, c, cOff, ldc, accumulate, split, m);
                    for (int i = 0; i < c.length; i++) {
                        assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(c[i]),
                                gemm.describe() + " m=" + m + " n=" + n + " k=" + k + " transposeA=" + ta + " transposeB=" + tb
                                        + " accumulate=" + accumulate + " at " + i);
                    }
                }
            }
        }
        if (Vectorization.moduleAvailable()) {
            assertNotSame(Gemm.INSTANCE, vector, "this JVM has the incubator module: the vector path must be tested");
        }
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        return x;
    }
}
