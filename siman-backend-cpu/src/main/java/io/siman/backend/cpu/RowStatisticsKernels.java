package io.siman.backend.cpu;

import io.siman.api.KernelShapes;
import io.siman.api.MagnitudePercentiles;
import io.siman.api.Shape;
import io.siman.api.SimanException;
import io.siman.api.Tensor;

import java.util.Arrays;

import static io.siman.api.KernelShapes.expect;

/** Per-row statistics: means, standardization, magnitudes ranked and their percentiles. */
final class RowStatisticsKernels extends CpuKernelFamily {
    /** The reductions of this path (fixed summation order on every path). */
    private final Reductions red;

    RowStatisticsKernels(CpuBackend backend, Parallel par, Reductions red) {
        super(backend, par);
        this.red = red;
    }

    /**
     * The row mean, rounded to float: the one reduction both the float and the bitwise paths threshold at.
     * Eight interleaved partial sums, added in a fixed order at the end, keep eight additions in flight
     * instead of waiting on one chain, and give the same bits on every path and thread count.
     */
    static float rowMeanOf(Reductions red, float[] x, int off, int n) {
        return (float) (red.sum(x, off, n) / n);
    }

    public void rowMean(Tensor x, Tensor mean) {
        int r = x.shape().dim(0), n = x.shape().rowLength();
        expect("rowMean", "mean", mean, Shape.of(r));
        float[] a = f(x), m = f(mean);
        par.forRange(r, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                m[i] = rowMeanOf(red, a, i * n, n);
            }
        });
    }

    public void rowStandardize(Tensor x, float eps, Tensor z, Tensor mean, Tensor invStd) {
        KernelShapes.rowStandardize(x, z, mean, invStd);
        int r = x.shape().dim(0), n = x.shape().rowLength();
        float[] a = f(x), za = z == null ? null : f(z), m = f(mean), s = f(invStd);
        par.forRange(r, n * 3L, (from, to) -> {
            for (int i = from; i < to; i++) {
                int off = i * n;
                float mu = rowMeanOf(red, a, off, n);
                double sq = red.squares(a, off, n, mu);
                float inv = (float) (1.0 / Math.sqrt(sq / (n - 1) + eps));
                // x - mean is exact in sign (and zero only where x equals the mean), so sign(z) = +1 exactly
                // where x >= mean: the threshold bitwise packing uses
                if (za != null) {
                    for (int j = 0; j < n; j++) {
                        za[off + j] = (a[off + j] - mu) * inv;
                    }
                }
                m[i] = mu;
                s[i] = inv;
            }
        });
    }

    public void rowStandardizeBackward(Tensor z, Tensor invStd, Tensor dz, Tensor dx) {
        String op = "rowStandardizeBackward";
        int r = z.shape().dim(0), n = z.shape().rowLength();
        expect(op, "invStd", invStd, Shape.of(r));
        expect(op, "dz", dz, z.shape());
        expect(op, "dx", dx, z.shape());
        float[] za = f(z), s = f(invStd), g = f(dz), o = f(dx);
        par.forRange(r, n * 3L, (from, to) -> {
            for (int i = from; i < to; i++) {
                int off = i * n;
                double mean = red.sum(g, off, n) / n, proj = red.dot(g, off, za, off, n) / (n - 1), inv = s[i];
                // dx = inv * dz - inv * proj * z - inv * mean, in float: one pass the JIT vectorizes
                float a = (float) inv, b = (float) (-inv * proj), c = (float) (-inv * mean);
                for (int j = 0; j < n; j++) {
                    o[off + j] = Math.fma(a, g[off + j], Math.fma(b, za[off + j], c));
                }
            }
        });
    }

    public void rowAbsMean(Tensor x, Tensor mean) {
        int r = KernelShapes.perRow("rowAbsMean", x, mean, null), n = x.shape().rowLength();
        float[] a = f(x), m = f(mean);
        par.forRange(r, n, (from, to) -> {
            for (int i = from; i < to; i++) {
                m[i] = (float) (absSum(a, i * n, n) / n);
            }
        });
    }

    /** The sum of {@code |x|} over a row, in double, in index order (the sign-based steps' per-channel scale). */
    static double absSum(float[] x, int off, int n) {
        double m = 0;
        for (int j = off; j < off + n; j++) {
            m += Math.abs(x[j]);
        }
        return m;
    }

    public void topMagnitudes(Tensor x, Tensor counts, float high, float low, Tensor y) {
        String op = "topMagnitudes";
        int r = x.shape().dim(0), n = x.shape().rowLength();
        expect(op, "counts", counts, Shape.of(r));
        expect(op, "y", y, x.shape());
        int[] c = ints(counts);
        for (int i = 0; i < r; i++) {
            if (c[i] < 0 || c[i] > n) {
                throw new SimanException(op + ": count " + c[i] + " of row " + i + " is outside [0, " + n + "]");
            }
        }
        float[] za = f(x), sa = f(y);
        par.forRange(r, n * 16L, (from, to) -> {
            long[] keys = new long[n];
            for (int i = from; i < to; i++) {
                rankRow(za, i * n, n, c[i], high, low, sa, keys);
            }
        });
    }

    /**
     * Gives the {@code count} largest magnitudes of one row {@code high} and the rest {@code low}: the keys hold the
     * magnitude's bits (which order like the magnitudes) above the complemented index, so lower indices rank higher
     * among equal magnitudes.
     */
    static void rankRow(float[] x, int off, int n, int count, float high, float low, float[] y, long[] keys) {
        for (int j = 0; j < n; j++) {
            long mag = Float.floatToRawIntBits(Math.abs(x[off + j])) & 0x7fffffffL;
            keys[j] = mag << 32 | (0xffffffffL - j);
        }
        Arrays.sort(keys, 0, n);
        Arrays.fill(y, off, off + n, low);
        for (int j = n - count; j < n; j++) {
            int idx = (int) (0xffffffffL - (keys[j] & 0xffffffffL));
            y[off + idx] = high;
        }
    }

    public void magnitudePercentiles(Tensor x, float lowPercent, float highPercent, Tensor bounds) {
        KernelShapes.magnitudePercentiles(x, lowPercent, highPercent, bounds);
        float[] b = f(bounds);
        float[] both = MagnitudePercentiles.of(f(x), lowPercent, highPercent);
        b[0] = both[0];
        b[1] = both[1];
    }


}
