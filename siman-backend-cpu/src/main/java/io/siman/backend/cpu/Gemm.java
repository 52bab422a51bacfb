package io.siman.backend.cpu;

/**
 * Row-major single-precision matrix product {@code C[M,N] (+)= A[M,K] * B[K,N]}, cache-blocked over
 * {@code N} and {@code K}. Each element of C accumulates over k in increasing order whatever the
 * blocking or the row range, so results do not depend on how rows are split between threads.
 * The inner loop is a plain axpy that the JIT vectorizes.
 */
final class Gemm {
    private static final int N_BLOCK = 512;
    private static final int K_BLOCK = 128;

    private Gemm() {
    }

    /**
     * Computes rows {@code [rowFrom, rowTo)} of C. With {@code accumulate} false those rows are
     * overwritten, otherwise added to.
     */
    static void multiply(int n, int k,
                         float[] a, int aOff, int lda,
                         float[] b, int bOff, int ldb,
                         float[] c, int cOff, int ldc,
                         boolean accumulate, int rowFrom, int rowTo) {
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
                    int aRow = aOff + i * lda;
                    int cRow = cOff + i * ldc + jb;
                    for (int kk = kb; kk < kEnd; kk++) {
                        float av = a[aRow + kk];
                        if (av != 0f) {
                            axpy(av, b, bOff + kk * ldb + jb, c, cRow, jLen);
                        }
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

    /** {@code dst[cols, rows] = src[rows, cols]^T}. */
    static void transpose(float[] src, int srcOff, int rows, int cols, float[] dst, int dstOff) {
        for (int r = 0; r < rows; r++) {
            int s = srcOff + r * cols;
            for (int c = 0; c < cols; c++) {
                dst[dstOff + c * rows + r] = src[s + c];
            }
        }
    }
}
