package io.siman.models.binarizers;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.Encoding;
import io.siman.api.InferenceForm;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingProgress;
import io.siman.api.WeightBinarization;
import io.siman.api.steps.XnorSteps;

/** XNOR-Net (docs/method.md section 4): {@code s = sign(w) * mean(|w|)} per channel; clipped straight-through backward. */
public final class XnorBinarizer implements Binarizer {
    public static final String NAME = "xnor";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "XNOR-Net: sign(w) scaled by mean |w| per channel";
    }

    @Override
    public boolean binarizesActivations() {
        return true;
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
        SignBased.requirePm1(NAME, encoding);
        int co = Buffers.outChannels(weightShape);
        XnorSteps k = XnorSteps.of(backend);
        Buffers buffers = new Buffers(backend);
        Tensor effective = buffers.allocate(weightShape), scale = buffers.allocate(Shape.of(co));
        return new WeightBinarization() {
            @Override
            public Tensor forward(Tensor latent, TrainingProgress progress) {
                k.xnorWeights(latent, effective, scale);
                return effective;
            }

            @Override
            public void backward(Tensor latent, Tensor dEffective, Tensor dLatent) {
                k.clippedStraightThrough(latent, dEffective, scale, 1f, dLatent);
            }

            @Override
            public InferenceForm inferenceForm(Tensor latent) {
                forward(latent, TrainingProgress.EVAL);
                return new InferenceForm(Encoding.PM1, effective, backend.downloadFloats(scale));
            }

            @Override
            public InferenceForm binaryForm() {
                // effective = scale * sign: the bits are its signs
                return new InferenceForm(Encoding.PM1, effective, backend.downloadFloats(scale));
            }

            @Override
            public void close() {
                buffers.close();
            }
        };
    }
}
