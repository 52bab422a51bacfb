package io.siman.kstar;

import io.siman.api.Backend;
import io.siman.api.Encoding;
import io.siman.api.KernelShapes;
import io.siman.api.Shape;
import io.siman.api.Tensor;

import java.util.Arrays;

/**
 * {@link KStarSteps} on the core kernels: the weights are small (one value per weight), so the counts are found on the
 * host from the downloaded magnitudes (a sort per row), uploaded, and the bits set by {@code topMagnitudes}.
 */
final class PortableKStarSteps implements KStarSteps {
    private final Backend backend;

    PortableKStarSteps(Backend backend) {
        this.backend = backend;
    }

    @Override
    public void kStarBits(Tensor z, Encoding encoding, Tensor s, Tensor counts) {
        int rows = z.shape().dim(0), n = z.shape().rowLength();
        KernelShapes.expect("kStarBits", "s", s, z.shape());
        KernelShapes.expect("kStarBits", "counts", counts, Shape.of(rows));
        float[] values = backend.downloadFloats(z);
        int[] k = new int[rows];
        double[] mags = new double[n];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                mags[j] = Math.abs(values[r * n + j]);
            }
            k[r] = angleAlignedCount(mags);
        }
        backend.write(counts, k);
        backend.kernels().topMagnitudes(z, counts, 1f, encoding == Encoding.PM1 ? -1f : 0f, s);
    }

    /**
     * {@code argmax over k in [1, n] of S_k / sqrt(k)}, {@code S_k} the sum of the {@code k} largest values (the
     * smallest maximizing {@code k}); sorts {@code magnitudes} in place.
     */
    static int angleAlignedCount(double[] magnitudes) {
        Arrays.sort(magnitudes);
        int n = magnitudes.length, best = 1;
        double prefix = 0, bestScore = -1;
        for (int k = 1; k <= n; k++) {
            prefix += magnitudes[n - k];
            double score = prefix / Math.sqrt(k);
            if (score > bestScore) {
                bestScore = score;
                best = k;
            }
        }
        return best;
    }
}
