package io.siman.models.binarizers;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.Encoding;
import io.siman.api.InferenceForm;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.api.WeightBinarization;

/** "none": full-precision weights and activations, the float baseline. Nothing to pack. */
public final class FullPrecisionBinarizer implements Binarizer {
    public static final String NAME = "none";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "full precision: float weights and activations (the baseline)";
    }

    @Override
    public boolean binarizesActivations() {
        return false;
    }

    @Override
    public boolean learnsScale() {
        return false;
    }

    @Override
    public boolean decaysLatentWeights() {
        return true;
    }

    @Override
    public WeightBinarization create(Backend backend, Shape weightShape, Encoding encoding) {
        Kernels k = backend.kernels();
        return new WeightBinarization() {
            @Override
            public Tensor forward(Tensor latent, TrainingProgress progress) {
                return latent;
            }

            @Override
            public void backward(Tensor latent, Tensor dEffective, Tensor dLatent) {
                k.copy(dEffective, dLatent);
            }

            @Override
            public InferenceForm inferenceForm(Tensor latent) {
                return null;
            }

            @Override
            public void close() {
            }
        };
    }
}
