package io.siman.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** {@link Pointwise} with the Vector API: a compare and a blend per vector. */
final class VectorPointwise extends Pointwise {
    private static final VectorSpecies<Float> FLOATS = VectorGemm.SPECIES;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    /** The even and the odd lanes of two vectors side by side (indexes from the vector length on take the second). */
    private static final VectorShuffle<Float> EVEN = lanes(0), ODD = lanes(1);
    /** {@code 2 * lane}: a vector of windows' offsets from the first one's. */
    private static final IntVector TWICE = IntVector.zero(INTS).addIndex(2);
    /**
     * Rows half a vector wide: of two vectors of deinterleaved corners, each holding an upper and a lower row's
     * corners for two output rows, the quarters of the upper rows (then of the lower ones) side by side.
     */
    private static final VectorShuffle<Float> UPPER_QUARTERS = quarters(0), LOWER_QUARTERS = quarters(1);
    /** Their windows' offsets from the first one's: lane {@code r q + x} (a quarter of {@code q} lanes per output row) at input row {@code 2 r}, column {@code 2 x}. */
    private static final IntVector QUARTER_WINDOWS = quarterWindows();
    static final VectorPointwise INSTANCE = new VectorPointwise();

    private VectorPointwise() {
    }

    @Override
    void prelu(float[] x, int off, int n, float slope, float[] y) {
        int i = off, end = off + n, vecEnd = off + n - n % FLOATS.length();
        for (; i < vecEnd; i += FLOATS.length()) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, i);
            v.blend(v.mul(slope), v.compare(VectorOperators.LT, 0f)).intoArray(y, i);
        }
        SCALAR.prelu(x, i, end - i, slope, y);
    }

    @Override
    void preluBackward(float[] x, float[] dy, int off, int n, float negative, float[] dx) {
        int i = off, end = off + n, vecEnd = off + n - n % FLOATS.length();
        for (; i < vecEnd; i += FLOATS.length()) {
            FloatVector d = FloatVector.fromArray(FLOATS, dy, i);
            d.blend(d.mul(negative), FloatVector.fromArray(FLOATS, x, i).compare(VectorOperators.LT, 0f)).intoArray(dx, i);
        }
        SCALAR.preluBackward(x, dy, i, end - i, negative, dx);
    }

    @Override
    void approxSignBackward(float[] x, int xOff, float[] d, int dOff, int n, float mean, float inv, float c1, float c0,
                            float[] addend, float[] dx) {
        int q = 0, vecEnd = n - n % FLOATS.length();
        FloatVector two = FloatVector.broadcast(FLOATS, 2f);
        for (; q < vecEnd; q += FLOATS.length()) {
            FloatVector a1 = FloatVector.fromArray(FLOATS, x, xOff + q).sub(mean).mul(inv);
            FloatVector da = FloatVector.fromArray(FLOATS, d, dOff + q).mul(two.sub(a1.abs().mul(2f)).max(0f));
            FloatVector v = da.fma(FloatVector.broadcast(FLOATS, inv), a1.fma(c1, c0));
            if (addend != null) {
                v = v.add(FloatVector.fromArray(FLOATS, addend, xOff + q));
            }
            v.intoArray(dx, xOff + q);
        }
        SCALAR.approxSignBackward(x, xOff + q, d, dOff + q, n - q, mean, inv, c1, c0, addend, dx);
    }

    @Override
    void normalizeAddPrelu(float[] x, float[] residual, int off, int n, float scale, float shift, float slope,
                           float[] sum, float[] y) {
        int i = off, end = off + n, vecEnd = off + n - n % FLOATS.length();
        for (; i < vecEnd; i += FLOATS.length()) {
            FloatVector v = FloatVector.fromArray(FLOATS, x, i).fma(scale, shift).add(FloatVector.fromArray(FLOATS, residual, i));
            v.intoArray(sum, i);
            v.blend(v.mul(slope), v.compare(VectorOperators.LT, 0f)).intoArray(y, i);
        }
        SCALAR.normalizeAddPrelu(x, residual, i, end - i, scale, shift, slope, sum, y);
    }

    /**
     * 2x2 pooling a vector of outputs at a time, the windows' four corners deinterleaved from two vectors per input
     * row; where an input row is one vector wide (16 at 512 bits, 8 at 256), a vector holds two output rows, and where
     * it is half a vector wide (VGG-small's last 8x8 planes at 512 bits), four.
     */
    @Override
    void maxPool2x2Plane(float[] x, int in, int w, int ho, int wo, float[] y, int out, int[] am) {
        int n = FLOATS.length(), oy = 0;
        if (2 * w == n && 2 * wo == w) {
            // output rows oy to oy + 3: a vector per output row holds its upper and its lower input row
            for (; oy + 4 <= ho; oy += 4) {
                int i = in + 2 * oy * w;
                FloatVector t0 = FloatVector.fromArray(FLOATS, x, i), t1 = FloatVector.fromArray(FLOATS, x, i + n);
                FloatVector t2 = FloatVector.fromArray(FLOATS, x, i + 2 * n), t3 = FloatVector.fromArray(FLOATS, x, i + 3 * n);
                FloatVector e01 = t0.rearrange(EVEN, t1), o01 = t0.rearrange(ODD, t1), e23 = t2.rearrange(EVEN, t3), o23 = t2.rearrange(ODD, t3);
                poolCorners(e01.rearrange(UPPER_QUARTERS, e23), o01.rearrange(UPPER_QUARTERS, o23), e01.rearrange(LOWER_QUARTERS, e23),
                        o01.rearrange(LOWER_QUARTERS, o23), w, QUARTER_WINDOWS.add(2 * oy * w), y, out + oy * wo, am);
            }
        }
        if (w == n && 2 * wo == w) {
            // output rows oy and oy + 1: upper input rows 2 oy and 2 oy + 2, lower ones 2 oy + 1 and 2 oy + 3
            VectorMask<Integer> lower = IntVector.zero(INTS).addIndex(1).compare(VectorOperators.GE, wo);
            IntVector at = TWICE.blend(TWICE.add(2 * w - 2 * wo), lower);
            for (; oy + 2 <= ho; oy += 2) {
                int i = in + 2 * oy * w;
                pool(FloatVector.fromArray(FLOATS, x, i), FloatVector.fromArray(FLOATS, x, i + 2 * w),
                        FloatVector.fromArray(FLOATS, x, i + w), FloatVector.fromArray(FLOATS, x, i + 3 * w), w,
                        at.add(2 * oy * w), y, out + oy * wo, am);
            }
        }
        for (; oy < ho; oy++) {
            int row = in + 2 * oy * w, top = 2 * oy * w, ox = 0;
            for (; ox + n <= wo; ox += n) {
                int i = row + 2 * ox;
                pool(FloatVector.fromArray(FLOATS, x, i), FloatVector.fromArray(FLOATS, x, i + n),
                        FloatVector.fromArray(FLOATS, x, i + w), FloatVector.fromArray(FLOATS, x, i + w + n), w,
                        TWICE.add(top + 2 * ox), y, out + oy * wo + ox, am);
            }
            maxPool2x2Outputs(x, row, w, top, ox, wo, y, out + oy * wo, am);
        }
    }

    /**
     * One vector of windows: upper corners the even and odd lanes of {@code t0, t1} side by side, lower ones of
     * {@code b0, b1}; {@code at} holds each window's upper-left position in its plane.
     */
    private static void pool(FloatVector t0, FloatVector t1, FloatVector b0, FloatVector b1, int w, IntVector at,
                             float[] y, int out, int[] am) {
        poolCorners(t0.rearrange(EVEN, t1), t0.rearrange(ODD, t1), b0.rearrange(EVEN, b1), b0.rearrange(ODD, b1), w, at, y, out, am);
    }

    /** One vector of windows from their corners: upper left, upper right, lower left, lower right. */
    private static void poolCorners(FloatVector x0, FloatVector x1, FloatVector x2, FloatVector x3, int w, IntVector at,
                                    float[] y, int out, int[] am) {
        FloatVector m = x0.max(x1).max(x2.max(x3));
        VectorMask<Float> k3 = x3.eq(m).or(x3.test(VectorOperators.IS_NAN)), k2 = x2.eq(m).or(x2.test(VectorOperators.IS_NAN));
        VectorMask<Float> k1 = x1.eq(m).or(x1.test(VectorOperators.IS_NAN)), k0 = x0.eq(m).or(x0.test(VectorOperators.IS_NAN));
        x0.blend(x3, k3).blend(x2, k2).blend(x1, k1).blend(x0, k0).intoArray(y, out);
        IntVector k = IntVector.zero(INTS).blend(w + 1, k3.cast(INTS)).blend(w, k2.cast(INTS)).blend(1, k1.cast(INTS))
                .blend(0, k0.cast(INTS));
        k.add(at).intoArray(am, out);
    }

    /**
     * Lanes of quarter {@code which} and {@code which + 2} of a vector, then the same of a second one: the upper
     * rows' ({@code which} 0) or lower rows' corners of {@code [upper, lower, upper, lower]} quarters.
     */
    private static VectorShuffle<Float> quarters(int which) {
        int n = FLOATS.length(), q = n / 4;
        int[] index = new int[n];
        for (int j = 0; j < n; j++) {
            int part = j / q, lane = j % q;
            // parts 0 and 1 from the first vector (its quarters which and which + 2), 2 and 3 from the second
            index[j] = (part / 2) * n + (which + 2 * (part % 2)) * q + lane;
        }
        return VectorShuffle.fromValues(FLOATS, index);
    }

    private static IntVector quarterWindows() {
        int n = FLOATS.length(), q = n / 4, w = n / 2;
        int[] at = new int[n];
        for (int j = 0; j < n; j++) {
            at[j] = j / q * 2 * w + 2 * (j % q);
        }
        return IntVector.fromArray(INTS, at, 0);
    }

    private static VectorShuffle<Float> lanes(int first) {
        int[] index = new int[FLOATS.length()];
        for (int j = 0; j < index.length; j++) {
            index[j] = 2 * j + first;
        }
        return VectorShuffle.fromValues(FLOATS, index);
    }
}
