package io.siman.models.binarizers;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.Encoding;
import io.siman.api.InferenceForm;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;
import io.siman.api.TrainingProgress;
import io.siman.api.WeightBinarization;
import io.siman.api.steps.IrNetSteps;

/**
 * IR-Net (docs/method.md section 4): standardize per channel without eps, {@code s = sign(z) * 2^round(log2(mean|z|))};
 * backward by EDE with {@code t = 10^(-3 + 4 * epoch / epochs)}, {@code k = max(1/t, 1)}, then through the
 * standardization.
 */
public final class IrNetBinarizer implements Binarizer {
    public static final String NAME = "irnet";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "IR-Net: balanced standardized signs, power-of-two scale, EDE backward";
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

    /** EDE's {@code t} at a point of training. */
    public static float edeT(TrainingProgress progress) {
        return (float) Math.pow(10, -3 + 4 * progress.fraction());
    }

    @Override
    public WeightBinarization create(Backend backend, Shape weightShape, Encoding encoding) {
        SignBased.requirePm1(NAME, encoding);
        int co = Buffers.outChannels(weightShape);
        Kernels k = backend.kernels();
        IrNetSteps steps = IrNetSteps.of(backend);
        Buffers buffers = new Buffers(backend);
        Tensor z = buffers.allocate(weightShape), mean = buffers.allocate(Shape.of(co)), invStd = buffers.allocate(Shape.of(co));
        Tensor effective = buffers.allocate(weightShape), scale = buffers.allocate(Shape.of(co)), dz = buffers.allocate(weightShape);
        return new WeightBinarization() {
            private TrainingProgress last = TrainingProgress.training(0, 1);

            @Override
            public Tensor forward(Tensor latent, TrainingProgress progress) {
                if (progress.training()) {
                    last = progress;
                }
                k.rowStandardize(latent, 0f, z, mean, invStd);
                steps.irnetWeights(z, effective, scale);
                return effective;
            }

            @Override
            public void backward(Tensor latent, Tensor dEffective, Tensor dLatent) {
                float t = edeT(last);
                steps.edeBackward(z, dEffective, scale, t, Math.max(1 / t, 1f), dz);
                backend.kernels(TrainingKernels.class).rowStandardizeBackward(z, invStd, dz, dLatent);
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
