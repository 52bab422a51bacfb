package io.siman.models.analysis;

import java.util.Arrays;

/**
 * Statistics of one layer's latent weights and bits, for the paper's argument (docs/method.md section 1): how Laplacian or
 * Gaussian the weights are, and how many bits a cosine-optimal binarization would set (the fraction {@code k* / n}: about
 * {@code 1/e} for Laplacian weights, 0.54 for Gaussian) against the half that SiMaN sets.
 *
 * @param logLikelihoodLaplace mean log-likelihood per weight of the fitted Laplacian (location the median, scale the
 *                             mean absolute deviation from it: the maximum-likelihood fit)
 * @param logLikelihoodGauss   the same for the fitted Gaussian (mean, biased standard deviation)
 * @param excessKurtosis       {@code m4 / m2^2 - 3}: 3 for a Laplacian, 0 for a Gaussian, -1.2 for a uniform
 * @param onesFraction         fraction of the layer's bits that are 1
 * @param kStarFraction        mean over output channels of the fraction {@code k* / n} for the channel's standardized weights
 */
public record WeightStatistics(long count, double mean, double std, double excessKurtosis,
                               double laplaceLocation, double laplaceScale, double logLikelihoodLaplace,
                               double gaussMean, double gaussStd, double logLikelihoodGauss,
                               double onesFraction, double kStarFraction, Histogram histogram) {

    /** Equal-width bins over {@code [min, min + bins * width)}. */
    public record Histogram(double min, double width, long[] counts) {
        /** Density at the centre of each bin (counts over total times width). */
        public double[] density() {
            long total = Arrays.stream(counts).sum();
            double[] d = new double[counts.length];
            for (int i = 0; i < counts.length; i++) {
                d[i] = total == 0 ? 0 : counts[i] / (total * width);
            }
            return d;
        }

        public double centre(int bin) {
            return min + (bin + 0.5) * width;
        }
    }

    /** "laplace" or "gauss": the fit with the higher likelihood. */
    public String betterFit() {
        return logLikelihoodLaplace >= logLikelihoodGauss ? "laplace" : "gauss";
    }

    /** Entropy in bits of a bit that is 1 with probability {@code p}. */
    public static double entropy(double p) {
        if (p <= 0 || p >= 1) {
            return 0;
        }
        return -(p * Math.log(p) + (1 - p) * Math.log(1 - p)) / Math.log(2);
    }

    public double bitEntropy() {
        return entropy(onesFraction);
    }

    public double kStarEntropy() {
        return entropy(kStarFraction);
    }

    public double laplacePdf(double x) {
        return Math.exp(-Math.abs(x - laplaceLocation) / laplaceScale) / (2 * laplaceScale);
    }

    public double gaussPdf(double x) {
        double z = (x - gaussMean) / gaussStd;
        return Math.exp(-0.5 * z * z) / (gaussStd * Math.sqrt(2 * Math.PI));
    }

    /**
     * @param weights latent weights {@code [rows, n]} (rows: output channels)
     * @param bits    the layer's bits in the same order (true for 1), or null when it has none
     * @param bins    histogram bins
     */
    public static WeightStatistics of(float[] weights, int rows, boolean[] bits, int bins) {
        int total = weights.length, n = total / rows;
        if (total == 0 || total % rows != 0 || n < 2) {
            throw new IllegalArgumentException("weights: " + total + " values in " + rows + " rows");
        }
        double sum = 0;
        for (float w : weights) {
            sum += w;
        }
        double mean = sum / total, m2 = 0, m4 = 0, absDev = 0;
        for (float w : weights) {
            double d = w - mean, d2 = d * d;
            m2 += d2;
            m4 += d2 * d2;
        }
        m2 /= total;
        m4 /= total;
        double[] sorted = new double[total];
        for (int i = 0; i < total; i++) {
            sorted[i] = weights[i];
        }
        Arrays.sort(sorted);
        double median = total % 2 == 1 ? sorted[total / 2] : 0.5 * (sorted[total / 2 - 1] + sorted[total / 2]);
        for (double w : sorted) {
            absDev += Math.abs(w - median);
        }
        double b = Math.max(absDev / total, 1e-30), sigma = Math.max(Math.sqrt(m2), 1e-30);
        double llLaplace = -Math.log(2 * b) - 1;
        double llGauss = -0.5 * Math.log(2 * Math.PI * sigma * sigma) - 0.5;
        double kurtosis = m2 > 0 ? m4 / (m2 * m2) - 3 : 0;
        double ones = Double.NaN;
        if (bits != null) {
            long set = 0;
            for (boolean bit : bits) {
                set += bit ? 1 : 0;
            }
            ones = set / (double) bits.length;
        }
        double kStar = 0;
        for (int r = 0; r < rows; r++) {
            kStar += kStar(weights, r * n, n) / (double) n;
        }
        // histogram over the central 99.8%, so a few outliers do not squeeze the rest into one bin
        double lo = sorted[(int) (0.001 * (total - 1))], hi = sorted[(int) Math.ceil(0.999 * (total - 1))];
        if (!(hi > lo)) {
            hi = lo + 1e-6;
        }
        double width = (hi - lo) / bins;
        long[] counts = new long[bins];
        for (double w : sorted) {
            int bin = (int) Math.floor((w - lo) / width);
            if (bin >= 0 && bin < bins) {
                counts[bin]++;
            } else if (w == hi) {
                counts[bins - 1]++;
            }
        }
        return new WeightStatistics(total, mean, Math.sqrt(m2), kurtosis, median, b, llLaplace, mean, sigma, llGauss, ones,
                kStar / rows, new Histogram(lo, width, counts));
    }

    /**
     * {@code k* = argmax over k of S_k / sqrt(k)}, {@code S_k} the sum of the k largest magnitudes of the row
     * standardized (docs/method.md section 1): the number of ones of the {0,1} vector closest in angle to the magnitudes.
     */
    public static int kStar(float[] w, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += w[off + i];
        }
        double mean = s / n, var = 0;
        for (int i = 0; i < n; i++) {
            double d = w[off + i] - mean;
            var += d * d;
        }
        double std = Math.sqrt(var / (n - 1) + 1e-5);
        double[] mags = new double[n];
        for (int i = 0; i < n; i++) {
            mags[i] = Math.abs((w[off + i] - mean) / std);
        }
        Arrays.sort(mags);
        double prefix = 0, best = -1;
        int arg = 1;
        for (int k = 1; k <= n; k++) {
            prefix += mags[n - k];
            double score = prefix / Math.sqrt(k);
            if (score > best) {
                best = score;
                arg = k;
            }
        }
        return arg;
    }
}
