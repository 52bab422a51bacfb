package io.siman.backend.cpu;

/**
 * The plain-Java {@link MatMul}: cache-blocked over {@code N} and {@code K}, with an axpy inner loop that
 * the JIT may vectorize (a transposed B, whose columns are rows, by dot products). Used when the Vector API is
 * not available, and as the reference for {@link VectorGemm}.
 */
final class Gemm implements MatMul {
    static final Gemm INSTANCE = new Gemm();

    private static final int N_BLOCK = 512;
    private static final int K_BLOCK = 128;

    private Gemm() {
    }

    @Override
    public String describe() {
        return "scalar";
    }

    @Override
    public void multiply(int n, int k,
                         float[] a, int aOff, int lda, boolean transposeA,
                         float[] b, int bOff, int ldb, boolean transposeB,
                         float[] c, int cOff, int ldc,
                         boolean accumulate, int rowFrom, int rowTo) {
        // element (i, kk) of op(A) sits at aOff + i * aRow + kk * aStep
        int aRow = transposeA ? 1 : lda, aStep = transposeA ? lda : 1;
        if (transposeB) {
            // rows of B^T are columns of op(B): one dot product per element, the same chain as below
            for (int i = rowFrom; i < rowTo; i++) {
                for (int j = 0; j < n; j++) {
                    int at = cOff + i * ldc + j, ar = aOff + i * aRow, br = bOff + j * ldb;
                    float acc = accumulate ? c[at] : 0f;
                    for (int kk = 0; kk < k; kk++) {
                        acc = Math.fma(a[ar + kk * aStep], b[br + kk], acc);
                    }
                    c[at] = acc;
                }
            }
            return;
        }
        if (!accumulate) {
            for (int i = rowFrom; i < rowTo; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
        for (int jb = 0; jb < n; jb += N_BLOCK) {
            int jLen = Math.min(N_BLOCK, n - jb);
            for (int kb = 0; kb < k; kb += K_BLOCK) {
                int kEnd = Math.min(k, kb + K_BLOCK);
                for (int i = rowFrom; i < rowTo; i++) {
                    int ar = aOff + i * aRow;
                    int cRow = cOff + i * ldc + jb;
                    for (int kk = kb; kk < kEnd; kk++) {
                        float av = a[ar + kk * aStep];
                        axpy(av, b, bOff + kk * ldb + jb, c, cRow, jLen);
                    }
                }
            }
        }
    }

    private static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        for (int j = 0; j < len; j++) {
            y[yOff + j] = Math.fma(alpha, x[xOff + j], y[yOff + j]);
        }
    }

    /**
     * {@code dst[cols, rows] = src[rows, cols]^T}, in 32 by 32 tiles: column-wise writes over a whole large matrix
     * would touch a new cache line (and, at power-of-two widths, the same cache set) for every element.
     */
    static void transpose(float[] src, int srcOff, int rows, int cols, float[] dst, int dstOff) {
        final int t = 32;
        for (int r0 = 0; r0 < rows; r0 += t) {
            int r1 = Math.min(rows, r0 + t);
            for (int c0 = 0; c0 < cols; c0 += t) {
                int c1 = Math.min(cols, c0 + t);
                for (int r = r0; r < r1; r++) {
                    int s = srcOff + r * cols;
                    for (int c = c0; c < c1; c++) {
                        dst[dstOff + c * rows + r] = src[s + c];
                    }
                }
            }
        }
    }
}
