package io.siman.backend.cpu;

import io.siman.api.SimanException;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Locale;

/**
 * {@link MatMul} with the Vector API: a register-blocked micro-kernel that keeps a 6-row by 4-vector tile
 * of C in registers while streaming over k, so each loaded vector of B feeds six fused multiply-adds.
 * Loaded only when the {@code jdk.incubator.vector} module is present ({@link Vectorization}).
 *
 * <p>The SPECIES is a static constant, as C2 needs to compile vector operations to vector instructions;
 * it is the preferred one unless the system property {@value #BITS_PROPERTY} forces a smaller size (tests
 * run the contract at 128 bits in a JVM of their own, so every path is tested on a 512-bit machine).
 */
final class VectorGemm implements MatMul {
    static final String BITS_PROPERTY = "siman.cpu.vectorBits";
    static final VectorSpecies<Float> SPECIES = species(System.getProperty(BITS_PROPERTY));
    private static final int lanes = SPECIES.length();
    static final VectorGemm INSTANCE = new VectorGemm();

    private VectorGemm() {
    }

    private static VectorSpecies<Float> species(String bits) {
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return switch (bits.trim().toLowerCase(Locale.ROOT)) {
            case "64" -> FloatVector.SPECIES_64;
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new SimanException(BITS_PROPERTY + " must be 64, 128, 256 or 512, got " + bits);
        };
    }

    @Override
    public String describe() {
        return "vector " + SPECIES.vectorBitSize() + "-bit";
    }

    /**
     * Blocked as in GotoBLAS: for each block of {@value #K_BLOCK} steps of k, each column panel of op(B)
     * ({@value #K_BLOCK} by {@code 4 * lanes}) is copied once to a contiguous per-thread buffer (rows 4 KiB apart
     * would alias in L1; a transposed B is transposed by this copy) and streamed past every 6-row sliver of
     * {@value #ROW_BLOCK} rows of op(A), whose elements are broadcast where they lie; the micro-kernel keeps a 6 by
     * 4-vector tile of C in registers. C
     * goes back to memory between k blocks, which changes no bit: each element is still one chain of fused
     * multiply-adds in increasing k.
     */
    @Override
    public void multiply(int n, int k, float[] a, int aOff, int lda, boolean transposeA,
                         float[] b, int bOff, int ldb, boolean transposeB,
                         float[] c, int cOff, int ldc, boolean accumulate, int rowFrom, int rowTo) {
        if (k == 0) {
            if (!accumulate) {
                for (int i = rowFrom; i < rowTo; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
        // element (i, kk) of op(A) sits at aOff + i * aRow + kk * aStep; of op(B) at bOff + kk * bRow + j * bStep
        int aRow = transposeA ? 1 : lda, aStep = transposeA ? lda : 1;
        int bRow = transposeB ? 1 : ldb, bStep = transposeB ? ldb : 1;
        int tile = 4 * lanes, whole = n - n % tile;
        // a few rows do not repay the copy of untransposed panels: they read B where it lies
        boolean pack = transposeB || rowTo - rowFrom >= 8;
        float[] panels = pack ? PANELS.get() : null;
        for (int kb = 0; kb < k; kb += K_BLOCK) {
            int kLen = Math.min(K_BLOCK, k - kb);
            boolean acc = accumulate || kb > 0;
            int a0 = aOff + kb * aStep, b0 = bOff + kb * bRow;
            for (int jb = 0; jb < whole; jb += N_BLOCK) {
                int jEnd = Math.min(whole, jb + N_BLOCK);
                if (pack) {
                    for (int j = jb; j < jEnd; j += tile) {
                        int at = (j - jb) * K_BLOCK;
                        if (transposeB) {
                            packTransposed(b, b0 + j * ldb, ldb, kLen, tile, panels, at);
                        } else {
                            for (int kk = 0; kk < kLen; kk++) {
                                System.arraycopy(b, b0 + kk * ldb + j, panels, at + kk * tile, tile);
                            }
                        }
                    }
                }
                for (int ib = rowFrom; ib < rowTo; ib += ROW_BLOCK) {
                    int iEnd = Math.min(rowTo, ib + ROW_BLOCK);
                    for (int j = jb; j < jEnd; j += tile) {
                        float[] bp = pack ? panels : b;
                        int bAt = pack ? (j - jb) * K_BLOCK : b0 + j, ld = pack ? tile : ldb;
                        int i = ib;
                        for (; i + 6 <= iEnd; i += 6) {
                            tile6x4(kLen, a, a0 + i * aRow, aRow, aStep, bp, bAt, ld, c, cOff + i * ldc + j, ldc, acc);
                        }
                        for (; i + 4 <= iEnd; i += 4) {
                            tile4x4(kLen, a, a0 + i * aRow, aRow, aStep, bp, bAt, ld, c, cOff + i * ldc + j, ldc, acc);
                        }
                        for (; i < iEnd; i++) {
                            tile1x4(kLen, a, a0 + i * aRow, aStep, bp, bAt, ld, c, cOff + i * ldc + j, acc);
                        }
                    }
                }
            }
            int j = whole;
            // columns past the last whole panel, a vector at a time (a transposed B's copied to a narrow panel)
            for (; j + lanes <= n; j += lanes) {
                float[] bp = b;
                int bAt = b0 + j, ld = ldb;
                if (transposeB) {
                    packTransposed(b, b0 + j * ldb, ldb, kLen, lanes, panels, 0);
                    bp = panels;
                    bAt = 0;
                    ld = lanes;
                }
                for (int i = rowFrom; i < rowTo; i++) {
                    tile1x1(kLen, a, a0 + i * aRow, aStep, bp, bAt, ld, c, cOff + i * ldc + j, acc);
                }
            }
            // the last columns one by one, four independent chains at a time (one chain is bound by the latency of a
            // fused multiply-add, and a 10-class classifier's whole output is this loop): four rows of a column, then
            // four columns of a remaining row; each element still one chain in increasing k
            int first = j, i = rowFrom;
            for (; i + 4 <= rowTo; i += 4) {
                for (j = first; j < n; j++) {
                    int at = cOff + i * ldc + j, ar = a0 + i * aRow, bc = b0 + j * bStep;
                    float s0 = acc ? c[at] : 0f, s1 = acc ? c[at + ldc] : 0f, s2 = acc ? c[at + 2 * ldc] : 0f, s3 = acc ? c[at + 3 * ldc] : 0f;
                    for (int kk = 0; kk < kLen; kk++) {
                        float bv = b[bc + kk * bRow];
                        int ak = ar + kk * aStep;
                        s0 = Math.fma(a[ak], bv, s0);
                        s1 = Math.fma(a[ak + aRow], bv, s1);
                        s2 = Math.fma(a[ak + 2 * aRow], bv, s2);
                        s3 = Math.fma(a[ak + 3 * aRow], bv, s3);
                    }
                    c[at] = s0;
                    c[at + ldc] = s1;
                    c[at + 2 * ldc] = s2;
                    c[at + 3 * ldc] = s3;
                }
            }
            for (; i < rowTo; i++) {
                int ar = a0 + i * aRow;
                for (j = first; j + 4 <= n; j += 4) {
                    int at = cOff + i * ldc + j, bc = b0 + j * bStep;
                    float s0 = acc ? c[at] : 0f, s1 = acc ? c[at + 1] : 0f, s2 = acc ? c[at + 2] : 0f, s3 = acc ? c[at + 3] : 0f;
                    for (int kk = 0; kk < kLen; kk++) {
                        float av = a[ar + kk * aStep];
                        int bk = bc + kk * bRow;
                        s0 = Math.fma(av, b[bk], s0);
                        s1 = Math.fma(av, b[bk + bStep], s1);
                        s2 = Math.fma(av, b[bk + 2 * bStep], s2);
                        s3 = Math.fma(av, b[bk + 3 * bStep], s3);
                    }
                    c[at] = s0;
                    c[at + 1] = s1;
                    c[at + 2] = s2;
                    c[at + 3] = s3;
                }
                for (; j < n; j++) {
                    int at = cOff + i * ldc + j, bc = b0 + j * bStep;
                    float sum = acc ? c[at] : 0f;
                    for (int kk = 0; kk < kLen; kk++) {
                        sum = Math.fma(a[ar + kk * aStep], b[bc + kk * bRow], sum);
                    }
                    c[at] = sum;
                }
            }
        }
    }

    static final int K_BLOCK = 256;
    /**
     * Columns of op(B) copied per k block (256 KiB of panels), and rows of op(A) that stream past them while in L2
     * (a multiple of the tile's 6).
     */
    static final int N_BLOCK = 256, ROW_BLOCK = 120;
    /**
     * Per-thread copy of the panels of op(B) of one block, each panel's rows next to each other (not 4 KiB apart,
     * where they alias in L1).
     */
    private static final ThreadLocal<float[]> PANELS =
            ThreadLocal.withInitial(() -> new float[K_BLOCK * Math.max(N_BLOCK, 4 * lanes)]);

    /**
     * {@code panel[to + kk * width + jj] = bt[at + jj * ldb + kk]}: {@code width} rows of a B given transposed become a
     * panel of {@code width} columns, by blocks of {@code lanes} steps of k so that the reads stay within a few cache lines.
     */
    private static void packTransposed(float[] bt, int at, int ldb, int kLen, int width, float[] panel, int to) {
        for (int kb = 0; kb < kLen; kb += lanes) {
            int kEnd = Math.min(kLen, kb + lanes);
            for (int jj = 0; jj < width; jj++) {
                int src = at + jj * ldb;
                for (int kk = kb; kk < kEnd; kk++) {
                    panel[to + kk * width + jj] = bt[src + kk];
                }
            }
        }
    }

    private FloatVector init(float[] c, int at, boolean accumulate) {
        return accumulate ? FloatVector.fromArray(SPECIES, c, at) : FloatVector.zero(SPECIES);
    }

    /**
     * The micro-kernel: a 6-row by 4-vector tile of C in 24 registers, each step of k 4 loads of the panel and 6
     * broadcasts for 24 fused multiply-adds (8-10% faster than 4 by 4, which takes the rows left over).
     */
    private void tile6x4(int k, float[] a, int a0, int aRow, int aStep, float[] b, int b0, int ldb,
                         float[] c, int c0, int ldc, boolean accumulate) {
        int l = lanes;
        FloatVector c00 = init(c, c0, accumulate), c01 = init(c, c0 + l, accumulate),
                c02 = init(c, c0 + 2 * l, accumulate), c03 = init(c, c0 + 3 * l, accumulate);
        FloatVector c10 = init(c, c0 + ldc, accumulate), c11 = init(c, c0 + ldc + l, accumulate),
                c12 = init(c, c0 + ldc + 2 * l, accumulate), c13 = init(c, c0 + ldc + 3 * l, accumulate);
        FloatVector c20 = init(c, c0 + 2 * ldc, accumulate), c21 = init(c, c0 + 2 * ldc + l, accumulate),
                c22 = init(c, c0 + 2 * ldc + 2 * l, accumulate), c23 = init(c, c0 + 2 * ldc + 3 * l, accumulate);
        FloatVector c30 = init(c, c0 + 3 * ldc, accumulate), c31 = init(c, c0 + 3 * ldc + l, accumulate),
                c32 = init(c, c0 + 3 * ldc + 2 * l, accumulate), c33 = init(c, c0 + 3 * ldc + 3 * l, accumulate);
        FloatVector c40 = init(c, c0 + 4 * ldc, accumulate), c41 = init(c, c0 + 4 * ldc + l, accumulate),
                c42 = init(c, c0 + 4 * ldc + 2 * l, accumulate), c43 = init(c, c0 + 4 * ldc + 3 * l, accumulate);
        FloatVector c50 = init(c, c0 + 5 * ldc, accumulate), c51 = init(c, c0 + 5 * ldc + l, accumulate),
                c52 = init(c, c0 + 5 * ldc + 2 * l, accumulate), c53 = init(c, c0 + 5 * ldc + 3 * l, accumulate);
        for (int kk = 0; kk < k; kk++) {
            int br = b0 + kk * ldb, ak = a0 + kk * aStep;
            FloatVector b0v = FloatVector.fromArray(SPECIES, b, br);
            FloatVector b1v = FloatVector.fromArray(SPECIES, b, br + l);
            FloatVector b2v = FloatVector.fromArray(SPECIES, b, br + 2 * l);
            FloatVector b3v = FloatVector.fromArray(SPECIES, b, br + 3 * l);
            FloatVector r0 = FloatVector.broadcast(SPECIES, a[ak]);
            c00 = r0.fma(b0v, c00);
            c01 = r0.fma(b1v, c01);
            c02 = r0.fma(b2v, c02);
            c03 = r0.fma(b3v, c03);
            FloatVector r1 = FloatVector.broadcast(SPECIES, a[ak + aRow]);
            c10 = r1.fma(b0v, c10);
            c11 = r1.fma(b1v, c11);
            c12 = r1.fma(b2v, c12);
            c13 = r1.fma(b3v, c13);
            FloatVector r2 = FloatVector.broadcast(SPECIES, a[ak + 2 * aRow]);
            c20 = r2.fma(b0v, c20);
            c21 = r2.fma(b1v, c21);
            c22 = r2.fma(b2v, c22);
            c23 = r2.fma(b3v, c23);
            FloatVector r3 = FloatVector.broadcast(SPECIES, a[ak + 3 * aRow]);
            c30 = r3.fma(b0v, c30);
            c31 = r3.fma(b1v, c31);
            c32 = r3.fma(b2v, c32);
            c33 = r3.fma(b3v, c33);
            FloatVector r4 = FloatVector.broadcast(SPECIES, a[ak + 4 * aRow]);
            c40 = r4.fma(b0v, c40);
            c41 = r4.fma(b1v, c41);
            c42 = r4.fma(b2v, c42);
            c43 = r4.fma(b3v, c43);
            FloatVector r5 = FloatVector.broadcast(SPECIES, a[ak + 5 * aRow]);
            c50 = r5.fma(b0v, c50);
            c51 = r5.fma(b1v, c51);
            c52 = r5.fma(b2v, c52);
            c53 = r5.fma(b3v, c53);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + l);
        c02.intoArray(c, c0 + 2 * l);
        c03.intoArray(c, c0 + 3 * l);
        c10.intoArray(c, c0 + ldc);
        c11.intoArray(c, c0 + ldc + l);
        c12.intoArray(c, c0 + ldc + 2 * l);
        c13.intoArray(c, c0 + ldc + 3 * l);
        c20.intoArray(c, c0 + 2 * ldc);
        c21.intoArray(c, c0 + 2 * ldc + l);
        c22.intoArray(c, c0 + 2 * ldc + 2 * l);
        c23.intoArray(c, c0 + 2 * ldc + 3 * l);
        c30.intoArray(c, c0 + 3 * ldc);
        c31.intoArray(c, c0 + 3 * ldc + l);
        c32.intoArray(c, c0 + 3 * ldc + 2 * l);
        c33.intoArray(c, c0 + 3 * ldc + 3 * l);
        c40.intoArray(c, c0 + 4 * ldc);
        c41.intoArray(c, c0 + 4 * ldc + l);
        c42.intoArray(c, c0 + 4 * ldc + 2 * l);
        c43.intoArray(c, c0 + 4 * ldc + 3 * l);
        c50.intoArray(c, c0 + 5 * ldc);
        c51.intoArray(c, c0 + 5 * ldc + l);
        c52.intoArray(c, c0 + 5 * ldc + 2 * l);
        c53.intoArray(c, c0 + 5 * ldc + 3 * l);
    }

    private void tile4x4(int k, float[] a, int a0, int aRow, int aStep, float[] b, int b0, int ldb,
                         float[] c, int c0, int ldc, boolean accumulate) {
        int l = lanes;
        FloatVector c00 = init(c, c0, accumulate), c01 = init(c, c0 + l, accumulate),
                c02 = init(c, c0 + 2 * l, accumulate), c03 = init(c, c0 + 3 * l, accumulate);
        FloatVector c10 = init(c, c0 + ldc, accumulate), c11 = init(c, c0 + ldc + l, accumulate),
                c12 = init(c, c0 + ldc + 2 * l, accumulate), c13 = init(c, c0 + ldc + 3 * l, accumulate);
        FloatVector c20 = init(c, c0 + 2 * ldc, accumulate), c21 = init(c, c0 + 2 * ldc + l, accumulate),
                c22 = init(c, c0 + 2 * ldc + 2 * l, accumulate), c23 = init(c, c0 + 2 * ldc + 3 * l, accumulate);
        FloatVector c30 = init(c, c0 + 3 * ldc, accumulate), c31 = init(c, c0 + 3 * ldc + l, accumulate),
                c32 = init(c, c0 + 3 * ldc + 2 * l, accumulate), c33 = init(c, c0 + 3 * ldc + 3 * l, accumulate);
        for (int kk = 0; kk < k; kk++) {
            int br = b0 + kk * ldb;
            FloatVector b0v = FloatVector.fromArray(SPECIES, b, br);
            FloatVector b1v = FloatVector.fromArray(SPECIES, b, br + l);
            FloatVector b2v = FloatVector.fromArray(SPECIES, b, br + 2 * l);
            FloatVector b3v = FloatVector.fromArray(SPECIES, b, br + 3 * l);
            int ak = a0 + kk * aStep;
            FloatVector av = FloatVector.broadcast(SPECIES, a[ak]);
            c00 = av.fma(b0v, c00);
            c01 = av.fma(b1v, c01);
            c02 = av.fma(b2v, c02);
            c03 = av.fma(b3v, c03);
            av = FloatVector.broadcast(SPECIES, a[ak + aRow]);
            c10 = av.fma(b0v, c10);
            c11 = av.fma(b1v, c11);
            c12 = av.fma(b2v, c12);
            c13 = av.fma(b3v, c13);
            av = FloatVector.broadcast(SPECIES, a[ak + 2 * aRow]);
            c20 = av.fma(b0v, c20);
            c21 = av.fma(b1v, c21);
            c22 = av.fma(b2v, c22);
            c23 = av.fma(b3v, c23);
            av = FloatVector.broadcast(SPECIES, a[ak + 3 * aRow]);
            c30 = av.fma(b0v, c30);
            c31 = av.fma(b1v, c31);
            c32 = av.fma(b2v, c32);
            c33 = av.fma(b3v, c33);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + l);
        c02.intoArray(c, c0 + 2 * l);
        c03.intoArray(c, c0 + 3 * l);
        c10.intoArray(c, c0 + ldc);
        c11.intoArray(c, c0 + ldc + l);
        c12.intoArray(c, c0 + ldc + 2 * l);
        c13.intoArray(c, c0 + ldc + 3 * l);
        c20.intoArray(c, c0 + 2 * ldc);
        c21.intoArray(c, c0 + 2 * ldc + l);
        c22.intoArray(c, c0 + 2 * ldc + 2 * l);
        c23.intoArray(c, c0 + 2 * ldc + 3 * l);
        c30.intoArray(c, c0 + 3 * ldc);
        c31.intoArray(c, c0 + 3 * ldc + l);
        c32.intoArray(c, c0 + 3 * ldc + 2 * l);
        c33.intoArray(c, c0 + 3 * ldc + 3 * l);
    }

    private void tile1x4(int k, float[] a, int a0, int aStep, float[] b, int b0, int ldb, float[] c, int c0, boolean accumulate) {
        int l = lanes;
        FloatVector c0v = init(c, c0, accumulate), c1v = init(c, c0 + l, accumulate),
                c2v = init(c, c0 + 2 * l, accumulate), c3v = init(c, c0 + 3 * l, accumulate);
        for (int kk = 0; kk < k; kk++) {
            int br = b0 + kk * ldb;
            FloatVector av = FloatVector.broadcast(SPECIES, a[a0 + kk * aStep]);
            c0v = av.fma(FloatVector.fromArray(SPECIES, b, br), c0v);
            c1v = av.fma(FloatVector.fromArray(SPECIES, b, br + l), c1v);
            c2v = av.fma(FloatVector.fromArray(SPECIES, b, br + 2 * l), c2v);
            c3v = av.fma(FloatVector.fromArray(SPECIES, b, br + 3 * l), c3v);
        }
        c0v.intoArray(c, c0);
        c1v.intoArray(c, c0 + l);
        c2v.intoArray(c, c0 + 2 * l);
        c3v.intoArray(c, c0 + 3 * l);
    }

    private void tile1x1(int k, float[] a, int a0, int aStep, float[] b, int b0, int ldb, float[] c, int c0, boolean accumulate) {
        FloatVector acc = init(c, c0, accumulate);
        for (int kk = 0; kk < k; kk++) {
            acc = FloatVector.broadcast(SPECIES, a[a0 + kk * aStep]).fma(FloatVector.fromArray(SPECIES, b, b0 + kk * ldb), acc);
        }
        acc.intoArray(c, c0);
    }
}
