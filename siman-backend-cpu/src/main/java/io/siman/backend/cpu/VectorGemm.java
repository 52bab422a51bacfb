package io.siman.backend.cpu;

import io.siman.api.SimanException;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Locale;

/**
 * {@link MatMul} with the Vector API: a register-blocked micro-kernel that keeps a 4-row by 4-vector tile
 * of C in registers while streaming over k, so each loaded vector of B feeds four fused multiply-adds.
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
     * Blocked as in GotoBLAS: a block of {@value #K_BLOCK} steps of k by {@value #ROW_BLOCK} rows of A stays in L2
     * while each column panel of B ({@value #K_BLOCK} by {@code 4 * lanes}) is copied to a contiguous buffer and
     * streamed past it, and the micro-kernel keeps a 4 by 4-vector tile of C in registers. C goes back to memory between k blocks, which
     * changes no bit: each element is still one chain of fused multiply-adds in increasing k.
     */
    @Override
    public void multiply(int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                         float[] c, int cOff, int ldc, boolean accumulate, int rowFrom, int rowTo) {
        if (k == 0) {
            if (!accumulate) {
                for (int i = rowFrom; i < rowTo; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
        for (int kb = 0; kb < k; kb += K_BLOCK) {
            int kLen = Math.min(K_BLOCK, k - kb);
            boolean acc = accumulate || kb > 0;
            for (int ib = rowFrom; ib < rowTo; ib += ROW_BLOCK) {
                int iEnd = Math.min(rowTo, ib + ROW_BLOCK);
                block(n, kLen, a, aOff + kb, lda, b, bOff + kb * ldb, ldb, c, cOff, ldc, acc, ib, iEnd);
            }
        }
    }

    static final int K_BLOCK = 256;
    static final int ROW_BLOCK = 128;
    /** Per-thread copy of one panel of B, so that its rows lie next to each other (not 4 KiB apart, where they alias in L1). */
    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[K_BLOCK * 4 * lanes]);

    private void block(int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate, int rowFrom, int rowTo) {
        int tile = 4 * lanes;
        float[] panel = rowTo - rowFrom >= 8 ? PANEL.get() : null;
        int j = 0;
        for (; j + tile <= n; j += tile) {
            float[] bp = b;
            int b0 = bOff + j, ld = ldb;
            if (panel != null) {
                for (int kk = 0; kk < k; kk++) {
                    System.arraycopy(b, bOff + kk * ldb + j, panel, kk * tile, tile);
                }
                bp = panel;
                b0 = 0;
                ld = tile;
            }
            int i = rowFrom;
            for (; i + 4 <= rowTo; i += 4) {
                tile4x4(k, a, aOff + i * lda, lda, bp, b0, ld, c, cOff + i * ldc + j, ldc, accumulate);
            }
            for (; i < rowTo; i++) {
                tile1x4(k, a, aOff + i * lda, bp, b0, ld, c, cOff + i * ldc + j, accumulate);
            }
        }
        for (; j + lanes <= n; j += lanes) {
            for (int i = rowFrom; i < rowTo; i++) {
                tile1x1(k, a, aOff + i * lda, b, bOff + j, ldb, c, cOff + i * ldc + j, accumulate);
            }
        }
        for (; j < n; j++) {
            for (int i = rowFrom; i < rowTo; i++) {
                float acc = accumulate ? c[cOff + i * ldc + j] : 0f;
                int ar = aOff + i * lda;
                for (int kk = 0; kk < k; kk++) {
                    acc = Math.fma(a[ar + kk], b[bOff + kk * ldb + j], acc);
                }
                c[cOff + i * ldc + j] = acc;
            }
        }
    }

    @Override
    public void multiplyTransposedB(int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate, int rowFrom, int rowTo) {
        int kv = k - k % lanes;
        float[] tmp = new float[4 * lanes];
        int i = rowFrom;
        for (; i + 2 <= rowTo; i += 2) {
            int j = 0;
            for (; j + 2 <= n; j += 2) {
                dots2x2(kv, k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc, accumulate, tmp);
            }
            for (; j < n; j++) {
                store(c, cOff + i * ldc + j, dot(kv, k, a, aOff + i * lda, b, bOff + j * ldb, tmp), accumulate);
                store(c, cOff + (i + 1) * ldc + j, dot(kv, k, a, aOff + (i + 1) * lda, b, bOff + j * ldb, tmp), accumulate);
            }
        }
        for (; i < rowTo; i++) {
            for (int j = 0; j < n; j++) {
                store(c, cOff + i * ldc + j, dot(kv, k, a, aOff + i * lda, b, bOff + j * ldb, tmp), accumulate);
            }
        }
    }

    private static void store(float[] c, int at, float v, boolean accumulate) {
        c[at] = accumulate ? c[at] + v : v;
    }

    /**
     * Sums stored lanes first to last. {@code reduceLanes(ADD)} leaves the order open, and the interpreter and
     * the JIT do use different orders: results would then depend on when code got compiled. The callers store the
     * vectors: a helper taking a vector argument may get compiled with the vector boxed, at a heavy cost.
     */
    private static float sumLanes(float[] lanesOut, int at) {
        float s = 0f;
        for (int i = 0; i < lanes; i++) {
            s += lanesOut[at + i];
        }
        return s;
    }

    /** One dot product: vector lanes over {@code [0, kv)}, reduced, then the scalar tail. */
    private static float dot(int kv, int k, float[] a, int a0, float[] b, int b0, float[] tmp) {
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int kk = 0; kk < kv; kk += lanes) {
            acc = FloatVector.fromArray(SPECIES, a, a0 + kk).fma(FloatVector.fromArray(SPECIES, b, b0 + kk), acc);
        }
        acc.intoArray(tmp, 0);
        float s = sumLanes(tmp, 0);
        for (int kk = kv; kk < k; kk++) {
            s = Math.fma(a[a0 + kk], b[b0 + kk], s);
        }
        return s;
    }

    /** Four dot products (2 rows of A by 2 rows of B) sharing their loads; each sums exactly as {@link #dot}. */
    private static void dots2x2(int kv, int k, float[] a, int a0, int lda, float[] b, int b0, int ldb,
                                float[] c, int c0, int ldc, boolean accumulate, float[] tmp) {
        FloatVector s00 = FloatVector.zero(SPECIES), s01 = FloatVector.zero(SPECIES);
        FloatVector s10 = FloatVector.zero(SPECIES), s11 = FloatVector.zero(SPECIES);
        for (int kk = 0; kk < kv; kk += lanes) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, a, a0 + kk), x1 = FloatVector.fromArray(SPECIES, a, a0 + lda + kk);
            FloatVector y0 = FloatVector.fromArray(SPECIES, b, b0 + kk), y1 = FloatVector.fromArray(SPECIES, b, b0 + ldb + kk);
            s00 = x0.fma(y0, s00);
            s01 = x0.fma(y1, s01);
            s10 = x1.fma(y0, s10);
            s11 = x1.fma(y1, s11);
        }
        s00.intoArray(tmp, 0);
        s01.intoArray(tmp, lanes);
        s10.intoArray(tmp, 2 * lanes);
        s11.intoArray(tmp, 3 * lanes);
        float r00 = sumLanes(tmp, 0), r01 = sumLanes(tmp, lanes), r10 = sumLanes(tmp, 2 * lanes), r11 = sumLanes(tmp, 3 * lanes);
        for (int kk = kv; kk < k; kk++) {
            float x0 = a[a0 + kk], x1 = a[a0 + lda + kk], y0 = b[b0 + kk], y1 = b[b0 + ldb + kk];
            r00 = Math.fma(x0, y0, r00);
            r01 = Math.fma(x0, y1, r01);
            r10 = Math.fma(x1, y0, r10);
            r11 = Math.fma(x1, y1, r11);
        }
        store(c, c0, r00, accumulate);
        store(c, c0 + 1, r01, accumulate);
        store(c, c0 + ldc, r10, accumulate);
        store(c, c0 + ldc + 1, r11, accumulate);
    }

    private FloatVector init(float[] c, int at, boolean accumulate) {
        return accumulate ? FloatVector.fromArray(SPECIES, c, at) : FloatVector.zero(SPECIES);
    }

    private void tile4x4(int k, float[] a, int a0, int lda, float[] b, int b0, int ldb,
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
            FloatVector av = FloatVector.broadcast(SPECIES, a[a0 + kk]);
            c00 = av.fma(b0v, c00);
            c01 = av.fma(b1v, c01);
            c02 = av.fma(b2v, c02);
            c03 = av.fma(b3v, c03);
            av = FloatVector.broadcast(SPECIES, a[a0 + lda + kk]);
            c10 = av.fma(b0v, c10);
            c11 = av.fma(b1v, c11);
            c12 = av.fma(b2v, c12);
            c13 = av.fma(b3v, c13);
            av = FloatVector.broadcast(SPECIES, a[a0 + 2 * lda + kk]);
            c20 = av.fma(b0v, c20);
            c21 = av.fma(b1v, c21);
            c22 = av.fma(b2v, c22);
            c23 = av.fma(b3v, c23);
            av = FloatVector.broadcast(SPECIES, a[a0 + 3 * lda + kk]);
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

    private void tile1x4(int k, float[] a, int a0, float[] b, int b0, int ldb, float[] c, int c0, boolean accumulate) {
        int l = lanes;
        FloatVector c0v = init(c, c0, accumulate), c1v = init(c, c0 + l, accumulate),
                c2v = init(c, c0 + 2 * l, accumulate), c3v = init(c, c0 + 3 * l, accumulate);
        for (int kk = 0; kk < k; kk++) {
            int br = b0 + kk * ldb;
            FloatVector av = FloatVector.broadcast(SPECIES, a[a0 + kk]);
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

    private void tile1x1(int k, float[] a, int a0, float[] b, int b0, int ldb, float[] c, int c0, boolean accumulate) {
        FloatVector acc = init(c, c0, accumulate);
        for (int kk = 0; kk < k; kk++) {
            acc = FloatVector.broadcast(SPECIES, a[a0 + kk]).fma(FloatVector.fromArray(SPECIES, b, b0 + kk * ldb), acc);
        }
        acc.intoArray(c, c0);
    }
}
