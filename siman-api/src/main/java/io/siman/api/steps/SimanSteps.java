package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.Encoding;
import io.siman.api.Kernels;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;

/**
 * SiMaN's weight steps (docs/method.md section 1). A step family: {@link #of} gives the backend's own version when its kernels implement this interface,
 * else the portable default, written once on the core kernels: centring with {@link Kernels#rowMean} and {@link Kernels#rowSubtract}, the layer-wide clip with {@link Kernels#magnitudePercentiles} and {@link Kernels#clampMagnitudes}, the bits with {@link Kernels#topMagnitudes}.
 */
public interface SimanSteps {
    /** The {@code eps} of SiMaN's per-channel standardization of the weights (docs/method.md section 1.3). */
    float STANDARDIZE_EPS = 1e-5f;
    /** The clip percentile at the start of training; it decays linearly to 0. */
    double CLIP_START = 15.0;

    /** The clip percentile {@code p = 15 * (1 - epoch / epochs)} of docs/method.md section 1.2, at a point of training. */
    static float clipPercent(TrainingProgress progress) {
        return (float) (CLIP_START * (1 - progress.fraction()));
    }

    /**
     * Centres each output channel of {@code w} (row view) and clips the magnitudes layer-wide, in place:
     * {@code u = w - rowMean(w)}; {@code lo, hi} = the {@code percent} and {@code 100 - percent}
     * percentiles of {@code |u|} over the whole tensor (linear interpolation, as numpy's default);
     * {@code w = sign(u) * clamp(|u|, lo, hi)}. {@code percent} in {@code [0, 50]}; 0 only centres.
     */
    void simanClip(Tensor w, float percent);

    /**
     * SiMaN's bits per row of {@code z}: the {@code floor(n/2)} largest {@code |z|} get bit 1 (ties to the
     * lower index), the rest 0; writes the effective weights {@code s}: {@code 2B - 1} for
     * {@link Encoding#PM1}, {@code B} for {@link Encoding#ZERO_ONE}.
     */
    void topHalfBits(Tensor z, Encoding encoding, Tensor s);

    /** The steps of {@code backend}: its own when it implements them, else {@link #portable}. */
    static SimanSteps of(Backend backend) {
        return Steps.of(backend, SimanSteps.class, PortableSimanSteps::new);
    }

    /** The portable default on {@code backend}'s core kernels (for tests and for backends that lack their own). */
    static SimanSteps portable(Backend backend) {
        return new PortableSimanSteps(backend);
    }
}
