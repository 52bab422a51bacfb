package io.siman.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Square transposes of floats in vector registers: {@code dst[j * dstStride + i] = src[i * srcStride + j]} for a block
 * of as many rows as the species has lanes (16, 8 or 4). Stage {@code s} (half the lanes, then a quarter, ... one)
 * swaps the off-diagonal {@code s x s} blocks of each pair of rows {@code s} apart with two-vector shuffles, so a block
 * of {@code L} rows takes {@code L log2 L} shuffles where a scalar copy takes {@code L^2} loads and stores (16 lanes:
 * 0.12-0.16 against 0.52-0.66 ns per float; 8 lanes with {@code -XX:UseAVX=2}: 0.28 against 0.63-0.70).
 */
final class VectorTranspose {
    private static final VectorSpecies<Float> SPECIES_16 = FloatVector.SPECIES_512, SPECIES_8 = FloatVector.SPECIES_256,
            SPECIES_4 = FloatVector.SPECIES_128;

    // lane l of a stage's first output row: row i's lane where (l & s) == 0, else row i + s's lane l - s (an index of
    // L or more takes the second vector's lane); its second output row: row i's lane l + s, else row i + s's lane l
    private static final VectorShuffle<Float> FIRST_16_0 = shuffle(SPECIES_16, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    private static final VectorShuffle<Float> FIRST_16_1 = shuffle(SPECIES_16, 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
    private static final VectorShuffle<Float> FIRST_16_2 = shuffle(SPECIES_16, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
    private static final VectorShuffle<Float> FIRST_16_3 = shuffle(SPECIES_16, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    private static final VectorShuffle<Float> SECOND_16_0 = shuffle(SPECIES_16, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    private static final VectorShuffle<Float> SECOND_16_1 = shuffle(SPECIES_16, 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    private static final VectorShuffle<Float> SECOND_16_2 = shuffle(SPECIES_16, 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
    private static final VectorShuffle<Float> SECOND_16_3 = shuffle(SPECIES_16, 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
    private static final VectorShuffle<Float> FIRST_8_0 = shuffle(SPECIES_8, 0, 1, 2, 3, 8, 9, 10, 11);
    private static final VectorShuffle<Float> FIRST_8_1 = shuffle(SPECIES_8, 0, 1, 8, 9, 4, 5, 12, 13);
    private static final VectorShuffle<Float> FIRST_8_2 = shuffle(SPECIES_8, 0, 8, 2, 10, 4, 12, 6, 14);
    private static final VectorShuffle<Float> SECOND_8_0 = shuffle(SPECIES_8, 4, 5, 6, 7, 12, 13, 14, 15);
    private static final VectorShuffle<Float> SECOND_8_1 = shuffle(SPECIES_8, 2, 3, 10, 11, 6, 7, 14, 15);
    private static final VectorShuffle<Float> SECOND_8_2 = shuffle(SPECIES_8, 1, 9, 3, 11, 5, 13, 7, 15);
    private static final VectorShuffle<Float> FIRST_4_0 = shuffle(SPECIES_4, 0, 1, 4, 5);
    private static final VectorShuffle<Float> FIRST_4_1 = shuffle(SPECIES_4, 0, 4, 2, 6);
    private static final VectorShuffle<Float> SECOND_4_0 = shuffle(SPECIES_4, 2, 3, 6, 7);
    private static final VectorShuffle<Float> SECOND_4_1 = shuffle(SPECIES_4, 1, 5, 3, 7);

    private VectorTranspose() {
    }

    /** Whether {@link #square} takes this many lanes. */
    static boolean handles(VectorSpecies<Float> species) {
        int lanes = species.length();
        return lanes == 16 || lanes == 8 || lanes == 4;
    }

    /** Transposes one square block of {@code species.length()} rows; see {@link #handles}. */
    static void square(VectorSpecies<Float> species, float[] src, int at, int srcStride, float[] dst, int to, int dstStride) {
        switch (species.length()) {
            case 16 -> square16(src, at, srcStride, dst, to, dstStride);
            case 8 -> square8(src, at, srcStride, dst, to, dstStride);
            case 4 -> square4(src, at, srcStride, dst, to, dstStride);
            default -> throw new IllegalArgumentException("no square transpose of " + species.length() + " lanes");
        }
    }

    private static void square16(float[] src, int at, int srcStride, float[] dst, int to, int dstStride) {
        FloatVector a0 = load(SPECIES_16, src, at), a1 = load(SPECIES_16, src, at + 1 * srcStride);
        FloatVector a2 = load(SPECIES_16, src, at + 2 * srcStride), a3 = load(SPECIES_16, src, at + 3 * srcStride);
        FloatVector a4 = load(SPECIES_16, src, at + 4 * srcStride), a5 = load(SPECIES_16, src, at + 5 * srcStride);
        FloatVector a6 = load(SPECIES_16, src, at + 6 * srcStride), a7 = load(SPECIES_16, src, at + 7 * srcStride);
        FloatVector a8 = load(SPECIES_16, src, at + 8 * srcStride), a9 = load(SPECIES_16, src, at + 9 * srcStride);
        FloatVector a10 = load(SPECIES_16, src, at + 10 * srcStride), a11 = load(SPECIES_16, src, at + 11 * srcStride);
        FloatVector a12 = load(SPECIES_16, src, at + 12 * srcStride), a13 = load(SPECIES_16, src, at + 13 * srcStride);
        FloatVector a14 = load(SPECIES_16, src, at + 14 * srcStride), a15 = load(SPECIES_16, src, at + 15 * srcStride);
        FloatVector b0 = a0.rearrange(FIRST_16_0, a8), b8 = a0.rearrange(SECOND_16_0, a8);
        FloatVector b1 = a1.rearrange(FIRST_16_0, a9), b9 = a1.rearrange(SECOND_16_0, a9);
        FloatVector b2 = a2.rearrange(FIRST_16_0, a10), b10 = a2.rearrange(SECOND_16_0, a10);
        FloatVector b3 = a3.rearrange(FIRST_16_0, a11), b11 = a3.rearrange(SECOND_16_0, a11);
        FloatVector b4 = a4.rearrange(FIRST_16_0, a12), b12 = a4.rearrange(SECOND_16_0, a12);
        FloatVector b5 = a5.rearrange(FIRST_16_0, a13), b13 = a5.rearrange(SECOND_16_0, a13);
        FloatVector b6 = a6.rearrange(FIRST_16_0, a14), b14 = a6.rearrange(SECOND_16_0, a14);
        FloatVector b7 = a7.rearrange(FIRST_16_0, a15), b15 = a7.rearrange(SECOND_16_0, a15);
        FloatVector c0 = b0.rearrange(FIRST_16_1, b4), c4 = b0.rearrange(SECOND_16_1, b4);
        FloatVector c1 = b1.rearrange(FIRST_16_1, b5), c5 = b1.rearrange(SECOND_16_1, b5);
        FloatVector c2 = b2.rearrange(FIRST_16_1, b6), c6 = b2.rearrange(SECOND_16_1, b6);
        FloatVector c3 = b3.rearrange(FIRST_16_1, b7), c7 = b3.rearrange(SECOND_16_1, b7);
        FloatVector c8 = b8.rearrange(FIRST_16_1, b12), c12 = b8.rearrange(SECOND_16_1, b12);
        FloatVector c9 = b9.rearrange(FIRST_16_1, b13), c13 = b9.rearrange(SECOND_16_1, b13);
        FloatVector c10 = b10.rearrange(FIRST_16_1, b14), c14 = b10.rearrange(SECOND_16_1, b14);
        FloatVector c11 = b11.rearrange(FIRST_16_1, b15), c15 = b11.rearrange(SECOND_16_1, b15);
        FloatVector d0 = c0.rearrange(FIRST_16_2, c2), d2 = c0.rearrange(SECOND_16_2, c2);
        FloatVector d1 = c1.rearrange(FIRST_16_2, c3), d3 = c1.rearrange(SECOND_16_2, c3);
        FloatVector d4 = c4.rearrange(FIRST_16_2, c6), d6 = c4.rearrange(SECOND_16_2, c6);
        FloatVector d5 = c5.rearrange(FIRST_16_2, c7), d7 = c5.rearrange(SECOND_16_2, c7);
        FloatVector d8 = c8.rearrange(FIRST_16_2, c10), d10 = c8.rearrange(SECOND_16_2, c10);
        FloatVector d9 = c9.rearrange(FIRST_16_2, c11), d11 = c9.rearrange(SECOND_16_2, c11);
        FloatVector d12 = c12.rearrange(FIRST_16_2, c14), d14 = c12.rearrange(SECOND_16_2, c14);
        FloatVector d13 = c13.rearrange(FIRST_16_2, c15), d15 = c13.rearrange(SECOND_16_2, c15);
        FloatVector e0 = d0.rearrange(FIRST_16_3, d1), e1 = d0.rearrange(SECOND_16_3, d1);
        FloatVector e2 = d2.rearrange(FIRST_16_3, d3), e3 = d2.rearrange(SECOND_16_3, d3);
        FloatVector e4 = d4.rearrange(FIRST_16_3, d5), e5 = d4.rearrange(SECOND_16_3, d5);
        FloatVector e6 = d6.rearrange(FIRST_16_3, d7), e7 = d6.rearrange(SECOND_16_3, d7);
        FloatVector e8 = d8.rearrange(FIRST_16_3, d9), e9 = d8.rearrange(SECOND_16_3, d9);
        FloatVector e10 = d10.rearrange(FIRST_16_3, d11), e11 = d10.rearrange(SECOND_16_3, d11);
        FloatVector e12 = d12.rearrange(FIRST_16_3, d13), e13 = d12.rearrange(SECOND_16_3, d13);
        FloatVector e14 = d14.rearrange(FIRST_16_3, d15), e15 = d14.rearrange(SECOND_16_3, d15);
        e0.intoArray(dst, to);
        e1.intoArray(dst, to + 1 * dstStride);
        e2.intoArray(dst, to + 2 * dstStride);
        e3.intoArray(dst, to + 3 * dstStride);
        e4.intoArray(dst, to + 4 * dstStride);
        e5.intoArray(dst, to + 5 * dstStride);
        e6.intoArray(dst, to + 6 * dstStride);
        e7.intoArray(dst, to + 7 * dstStride);
        e8.intoArray(dst, to + 8 * dstStride);
        e9.intoArray(dst, to + 9 * dstStride);
        e10.intoArray(dst, to + 10 * dstStride);
        e11.intoArray(dst, to + 11 * dstStride);
        e12.intoArray(dst, to + 12 * dstStride);
        e13.intoArray(dst, to + 13 * dstStride);
        e14.intoArray(dst, to + 14 * dstStride);
        e15.intoArray(dst, to + 15 * dstStride);
    }

    private static void square8(float[] src, int at, int srcStride, float[] dst, int to, int dstStride) {
        FloatVector a0 = load(SPECIES_8, src, at), a1 = load(SPECIES_8, src, at + 1 * srcStride);
        FloatVector a2 = load(SPECIES_8, src, at + 2 * srcStride), a3 = load(SPECIES_8, src, at + 3 * srcStride);
        FloatVector a4 = load(SPECIES_8, src, at + 4 * srcStride), a5 = load(SPECIES_8, src, at + 5 * srcStride);
        FloatVector a6 = load(SPECIES_8, src, at + 6 * srcStride), a7 = load(SPECIES_8, src, at + 7 * srcStride);
        FloatVector b0 = a0.rearrange(FIRST_8_0, a4), b4 = a0.rearrange(SECOND_8_0, a4);
        FloatVector b1 = a1.rearrange(FIRST_8_0, a5), b5 = a1.rearrange(SECOND_8_0, a5);
        FloatVector b2 = a2.rearrange(FIRST_8_0, a6), b6 = a2.rearrange(SECOND_8_0, a6);
        FloatVector b3 = a3.rearrange(FIRST_8_0, a7), b7 = a3.rearrange(SECOND_8_0, a7);
        FloatVector c0 = b0.rearrange(FIRST_8_1, b2), c2 = b0.rearrange(SECOND_8_1, b2);
        FloatVector c1 = b1.rearrange(FIRST_8_1, b3), c3 = b1.rearrange(SECOND_8_1, b3);
        FloatVector c4 = b4.rearrange(FIRST_8_1, b6), c6 = b4.rearrange(SECOND_8_1, b6);
        FloatVector c5 = b5.rearrange(FIRST_8_1, b7), c7 = b5.rearrange(SECOND_8_1, b7);
        FloatVector d0 = c0.rearrange(FIRST_8_2, c1), d1 = c0.rearrange(SECOND_8_2, c1);
        FloatVector d2 = c2.rearrange(FIRST_8_2, c3), d3 = c2.rearrange(SECOND_8_2, c3);
        FloatVector d4 = c4.rearrange(FIRST_8_2, c5), d5 = c4.rearrange(SECOND_8_2, c5);
        FloatVector d6 = c6.rearrange(FIRST_8_2, c7), d7 = c6.rearrange(SECOND_8_2, c7);
        d0.intoArray(dst, to);
        d1.intoArray(dst, to + 1 * dstStride);
        d2.intoArray(dst, to + 2 * dstStride);
        d3.intoArray(dst, to + 3 * dstStride);
        d4.intoArray(dst, to + 4 * dstStride);
        d5.intoArray(dst, to + 5 * dstStride);
        d6.intoArray(dst, to + 6 * dstStride);
        d7.intoArray(dst, to + 7 * dstStride);
    }

    private static void square4(float[] src, int at, int srcStride, float[] dst, int to, int dstStride) {
        FloatVector a0 = load(SPECIES_4, src, at), a1 = load(SPECIES_4, src, at + 1 * srcStride);
        FloatVector a2 = load(SPECIES_4, src, at + 2 * srcStride), a3 = load(SPECIES_4, src, at + 3 * srcStride);
        FloatVector b0 = a0.rearrange(FIRST_4_0, a2), b2 = a0.rearrange(SECOND_4_0, a2);
        FloatVector b1 = a1.rearrange(FIRST_4_0, a3), b3 = a1.rearrange(SECOND_4_0, a3);
        FloatVector c0 = b0.rearrange(FIRST_4_1, b1), c1 = b0.rearrange(SECOND_4_1, b1);
        FloatVector c2 = b2.rearrange(FIRST_4_1, b3), c3 = b2.rearrange(SECOND_4_1, b3);
        c0.intoArray(dst, to);
        c1.intoArray(dst, to + 1 * dstStride);
        c2.intoArray(dst, to + 2 * dstStride);
        c3.intoArray(dst, to + 3 * dstStride);
    }

    private static FloatVector load(VectorSpecies<Float> species, float[] a, int at) {
        return FloatVector.fromArray(species, a, at);
    }

    private static VectorShuffle<Float> shuffle(VectorSpecies<Float> species, int... lanes) {
        return VectorShuffle.fromValues(species, lanes);
    }
}
