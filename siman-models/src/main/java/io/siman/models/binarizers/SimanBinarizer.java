package io.siman.models.binarizers;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.Encoding;
import io.siman.api.Shape;
import io.siman.api.TrainingProgress;
import io.siman.api.WeightBinarization;
import io.siman.api.steps.SimanSteps;
import io.siman.api.steps.SimanWeights;

/**
 * SiMaN (docs/method.md section 1): per training step, centre and clip the latent weights layer-wide (written back),
 * standardize per output channel, and give bit 1 to the {@code floor(n/2)} largest magnitudes. The sign of
 * the latent weight is discarded. Backward treats the bits as {@code |z|}. Bits freeze in evaluation. The steps are
 * {@link SimanWeights}' with the top-half rule.
 */
public final class SimanBinarizer implements Binarizer {
    public static final String NAME = "siman";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "SiMaN: top-half magnitude bits, per-channel alpha, no weight decay on latent weights";
    }

    @Override
    public boolean binarizesActivations() {
        return true;
    }

    @Override
    public boolean learnsScale() {
        return true;
    }

    @Override
    public boolean decaysLatentWeights() {
        return false;
    }

    /** The clip percentile of docs/method.md section 1.2 (the SiMaN step family's schedule). */
    public static float clipPercent(TrainingProgress progress) {
        return SimanSteps.clipPercent(progress);
    }

    @Override
    public WeightBinarization create(Backend backend, Shape weightShape, Encoding encoding) {
        SimanSteps steps = SimanSteps.of(backend);
        return new SimanWeights(backend, weightShape, encoding, steps::topHalfBits);
    }
}
