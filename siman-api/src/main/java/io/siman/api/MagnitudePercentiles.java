package io.siman.api;

import java.util.Arrays;

/**
 * The rule of {@link Kernels#magnitudePercentiles}, written once for the backends that compute it on the host: the
 * magnitudes sorted, then numpy's default ("linear") interpolation between order statistics.
 */
public final class MagnitudePercentiles {
    private MagnitudePercentiles() {
    }

    /** The {@code lowPercent} and {@code highPercent} percentiles of {@code |values|}, as {@code {low, high}}. */
    public static float[] of(float[] values, double lowPercent, double highPercent) {
        float[] sorted = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            sorted[i] = Math.abs(values[i]);
        }
        Arrays.sort(sorted);
        return new float[]{ofSorted(sorted, lowPercent), ofSorted(sorted, highPercent)};
    }

    /** One percentile of values sorted ascending. */
    public static float ofSorted(float[] sorted, double percent) {
        double pos = percent / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return (float) (sorted[lo] + (sorted[hi] - (double) sorted[lo]) * (pos - lo));
    }
}
