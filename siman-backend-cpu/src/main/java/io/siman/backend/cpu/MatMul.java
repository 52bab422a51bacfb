package io.siman.backend.cpu;

/**
 * Row-major single-precision {@code C[M,N] (+)= op(A)[M,K] * op(B)[K,N]}, rows {@code [rowFrom, rowTo)} of C only,
 * where {@code op(A)} is A itself or, with {@code transposeA}, the transpose of an {@code [K,M]} array (and the
 * same for B, given as {@code [N,K]}), as in BLAS's {@code sgemm}. The transposes are read where they lie (no
 * copy of the whole operand is made).
 *
 * <p>Every implementation computes each element of C as one chain of fused multiply-adds over k in increasing
 * order, starting from the element of C with {@code accumulate} and from zero without: the result of an element
 * depends neither on how rows are split between threads nor on blocking, transposition or the implementation.
 */
interface MatMul {
    void multiply(int n, int k,
                  float[] a, int aOff, int lda, boolean transposeA,
                  float[] b, int bOff, int ldb, boolean transposeB,
                  float[] c, int cOff, int ldc,
                  boolean accumulate, int rowFrom, int rowTo);

    /** {@code C (+)= A * B}, neither transposed. */
    default void multiply(int n, int k,
                          float[] a, int aOff, int lda,
                          float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc,
                          boolean accumulate, int rowFrom, int rowTo) {
        multiply(n, k, a, aOff, lda, false, b, bOff, ldb, false, c, cOff, ldc, accumulate, rowFrom, rowTo);
    }

    /** Short name for logs and benchmarks. */
    String describe();
}
