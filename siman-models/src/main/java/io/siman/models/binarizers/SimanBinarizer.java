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
import io.siman.api.steps.SimanSteps;

/**
 * SiMaN (docs/method.md section 1): per training step, centre and clip the latent weights layer-wide (written back),
 * standardize per output channel, and give bit 1 to the {@code floor(n/2)} largest magnitudes. The sign of
 * the latent weight is discarded. Backward treats the bits as {@code |z|}. Bits freeze in evaluation.
 */
public final class SimanBinarizer implements Binarizer {
    public static final String NAME = "siman";
    static final float EPS = SimanSteps.STANDARDIZE_EPS;

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
        return new State(backend, weightShape, encoding);
    }

    private static final class State implements WeightBinarization {
        private final Backend backend;
        private final Kernels k;
        private final SimanSteps steps;
        private final Encoding encoding;
        private final Buffers buffers;
        private final Tensor z, mean, invStd, effective, g;
        private boolean hasBits;

        State(Backend backend, Shape shape, Encoding encoding) {
            int co = Buffers.outChannels(shape);
            this.backend = backend;
            this.k = backend.kernels();
            this.steps = SimanSteps.of(backend);
            this.encoding = encoding;
            this.buffers = new Buffers(backend);
            this.z = buffers.allocate(shape);
            this.mean = buffers.allocate(Shape.of(co));
            this.invStd = buffers.allocate(Shape.of(co));
            this.effective = buffers.allocate(shape);
            this.g = buffers.allocate(shape);
        }

        @Override
        public Tensor forward(Tensor latent, TrainingProgress progress) {
            if (progress.training()) {
                steps.simanClip(latent, clipPercent(progress));
            } else if (hasBits) {
                return effective;
            }
            k.rowStandardize(latent, EPS, z, mean, invStd);
            steps.topHalfBits(z, encoding, effective);
            hasBits = true;
            return effective;
        }

        @Override
        public void backward(Tensor latent, Tensor dEffective, Tensor dLatent) {
            k.mulSign(dEffective, z, g);
            backend.kernels(TrainingKernels.class).rowStandardizeBackward(z, invStd, g, dLatent);
        }

        @Override
        public Tensor frozenState() {
            return hasBits ? effective : null;
        }

        @Override
        public void restoreFrozenState(float[] values) {
            effective.backend().write(effective, values);
            hasBits = true;
        }

        @Override
        public InferenceForm inferenceForm(Tensor latent) {
            forward(latent, TrainingProgress.EVAL);
            return new InferenceForm(encoding, effective, null);
        }

        @Override
        public InferenceForm binaryForm() {
            return hasBits ? new InferenceForm(encoding, effective, null) : null;
        }

        @Override
        public void close() {
            buffers.close();
        }
    }
}
