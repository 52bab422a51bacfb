package io.siman.backend.cpu;

/**
 * Popcount of {@code x XOR w} or {@code x AND w} over {@code len} words: the inner loop of the binary
 * convolution. A plain-Java implementation ({@link #SCALAR}, {@code Long.bitCount} compiles to POPCNT) and a
 * Vector API one ({@link VectorBitConv}) sit side by side; integer sums are exact, so both agree exactly.
 */
interface BitConv {
    /** {@code sum of bitCount(x[xOff + i] ^ w[wOff + i])} for {@code i < len}. */
    int popXor(long[] x, int xOff, long[] w, int wOff, int len);

    /** {@code sum of bitCount(x[xOff + i] & w[wOff + i])} for {@code i < len}. */
    int popAnd(long[] x, int xOff, long[] w, int wOff, int len);

    String describe();

    BitConv SCALAR = new BitConv() {
        @Override
        public int popXor(long[] x, int xOff, long[] w, int wOff, int len) {
            int s = 0;
            for (int i = 0; i < len; i++) {
                s += Long.bitCount(x[xOff + i] ^ w[wOff + i]);
            }
            return s;
        }

        @Override
        public int popAnd(long[] x, int xOff, long[] w, int wOff, int len) {
            int s = 0;
            for (int i = 0; i < len; i++) {
                s += Long.bitCount(x[xOff + i] & w[wOff + i]);
            }
            return s;
        }

        @Override
        public String describe() {
            return "scalar";
        }
    };
}
