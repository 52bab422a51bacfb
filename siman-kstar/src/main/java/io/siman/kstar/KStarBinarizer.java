package io.siman.kstar;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.WeightBinarization;
import io.siman.api.KernelShapes;
import io.siman.api.steps.SimanWeights;


/**
 * SiMaN with the angle-aligned number of ones: every step of SiMaN (the layer-wide clip, the per-channel
 * standardization, the straight-through backward through it, bits frozen in evaluation), except that each output
 * channel gets {@code k*} ones instead of {@code floor(n/2)}, where {@code k*} is the count of the {0, 1} vector
 * closest in angle to the channel's standardized magnitudes (docs/method.md, "Why the top half"; {@code siman inspect}
 * reports it). Written as a plugin: SiMaN's steps ({@link SimanWeights}) with its own bit rule, {@link KStarSteps}.
 */
public final class KStarBinarizer implements Binarizer {
    public static final String NAME = "siman-kstar";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "SiMaN with k* ones per channel (the angle-aligned count) instead of half";
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

    @Override
    public WeightBinarization create(Backend backend, Shape weightShape, Encoding encoding) {
        KStarSteps steps = KStarSteps.of(backend);
        Tensor counts = backend.allocate(DType.INT32, Shape.of(KernelShapes.binarizedWeights(weightShape)));
        return new SimanWeights(backend, weightShape, encoding, new SimanWeights.BitRule() {
            @Override
            public void bits(Tensor z, Encoding enc, Tensor effective) {
                steps.kStarBits(z, enc, effective, counts);
            }

            @Override
            public void close() {
                counts.close();
            }
        });
    }
}
