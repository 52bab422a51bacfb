package io.siman.backend.cpu;

/**
 * Row-major single-precision {@code C[M,N] (+)= A[M,K] * B[K,N]}, rows {@code [rowFrom, rowTo)} only.
 * Every implementation accumulates each element of C over k in increasing order with fused multiply-adds,
 * so the result of an element does not depend on how rows are split between threads or blocked.
 */
interface MatMul {
    void multiply(int n, int k,
                  float[] a, int aOff, int lda,
                  float[] b, int bOff, int ldb,
                  float[] c, int cOff, int ldc,
                  boolean accumulate, int rowFrom, int rowTo);

    /**
     * {@code C[M,N] (+)= A[M,K] * B[N,K]^T}: each element is a dot product of a row of A and a row of B,
     * summed in a fixed order whatever the row range.
     */
    void multiplyTransposedB(int n, int k,
                             float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc,
                             boolean accumulate, int rowFrom, int rowTo);

    /** Short name for logs and benchmarks. */
    String describe();
}
