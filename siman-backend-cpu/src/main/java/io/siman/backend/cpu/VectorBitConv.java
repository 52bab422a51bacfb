package io.siman.backend.cpu;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** {@link BitConv} with lane-wise XOR/AND and BIT_COUNT (VPOPCNTQ on AVX-512) over the preferred long species. */
final class VectorBitConv implements BitConv {
    private static final VectorSpecies<Long> SPECIES = species();
    private static final int LANES = SPECIES.length();
    static final VectorBitConv INSTANCE = new VectorBitConv();

    private VectorBitConv() {
    }

    private static VectorSpecies<Long> species() {
        String bits = System.getProperty(VectorGemm.BITS_PROPERTY);
        if (bits == null || bits.isBlank()) {
            return LongVector.SPECIES_PREFERRED;
        }
        return switch (bits.trim()) {
            case "64", "128" -> LongVector.SPECIES_128;
            case "256" -> LongVector.SPECIES_256;
            default -> LongVector.SPECIES_512;
        };
    }

    @Override
    public int popXor(long[] x, int xOff, long[] w, int wOff, int len) {
        int i = 0;
        long s = 0;
        if (len >= LANES) {
            LongVector acc = LongVector.zero(SPECIES);
            for (; i + LANES <= len; i += LANES) {
                acc = acc.add(LongVector.fromArray(SPECIES, x, xOff + i)
                        .lanewise(VectorOperators.XOR, LongVector.fromArray(SPECIES, w, wOff + i))
                        .lanewise(VectorOperators.BIT_COUNT));
            }
            s = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < len; i++) {
            s += Long.bitCount(x[xOff + i] ^ w[wOff + i]);
        }
        return (int) s;
    }

    @Override
    public int popAnd(long[] x, int xOff, long[] w, int wOff, int len) {
        int i = 0;
        long s = 0;
        if (len >= LANES) {
            LongVector acc = LongVector.zero(SPECIES);
            for (; i + LANES <= len; i += LANES) {
                acc = acc.add(LongVector.fromArray(SPECIES, x, xOff + i)
                        .lanewise(VectorOperators.AND, LongVector.fromArray(SPECIES, w, wOff + i))
                        .lanewise(VectorOperators.BIT_COUNT));
            }
            s = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < len; i++) {
            s += Long.bitCount(x[xOff + i] & w[wOff + i]);
        }
        return (int) s;
    }

    @Override
    public String describe() {
        return "vector " + SPECIES.vectorBitSize() + "-bit";
    }
}
