package io.siman.kstar;

import io.siman.api.Backend;
import io.siman.api.Binarizer;
import io.siman.api.DType;
import io.siman.api.Encoding;
import io.siman.api.InferenceForm;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.SimanException;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;
import io.siman.api.TrainingProgress;
import io.siman.api.WeightBinarization;
import io.siman.api.steps.SimanSteps;

import java.util.ArrayList;
import java.util.List;

/**
 * SiMaN with the angle-aligned number of ones: every step of SiMaN (the layer-wide clip, the per-channel
 * standardization, the straight-through backward through it, bits frozen in evaluation), except that each output
 * channel gets {@code k*} ones instead of {@code floor(n/2)}, where {@code k*} is the count of the {0, 1} vector
 * closest in angle to the channel's standardized magnitudes (docs/method.md, "Why the top half"; {@code siman inspect}
 * reports it). Written as a plugin: the core kernels, SiMaN's step family and its own {@link KStarSteps}.
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
        if (weightShape.rank() != 4 || weightShape.rowLength() < 2) {
            throw new SimanException("binarized weights must be [Co, Ci, kh, kw] with at least 2 values per channel, got " + weightShape);
        }
        return new State(backend, weightShape, encoding);
    }

    private static final class State implements WeightBinarization {
        private final Backend backend;
        private final Kernels k;
        private final SimanSteps siman;
        private final KStarSteps kstar;
        private final Encoding encoding;
        private final List<Tensor> owned = new ArrayList<>();
        private final Tensor z, mean, invStd, effective, g, counts;
        private boolean hasBits;

        State(Backend backend, Shape shape, Encoding encoding) {
            int co = shape.dim(0);
            this.backend = backend;
            this.k = backend.kernels();
            this.siman = SimanSteps.of(backend);
            this.kstar = KStarSteps.of(backend);
            this.encoding = encoding;
            this.z = own(backend.allocate(shape));
            this.mean = own(backend.allocate(Shape.of(co)));
            this.invStd = own(backend.allocate(Shape.of(co)));
            this.effective = own(backend.allocate(shape));
            this.g = own(backend.allocate(shape));
            this.counts = own(backend.allocate(DType.INT32, Shape.of(co)));
        }

        private Tensor own(Tensor t) {
            owned.add(t);
            return t;
        }

        @Override
        public Tensor forward(Tensor latent, TrainingProgress progress) {
            if (progress.training()) {
                siman.simanClip(latent, SimanSteps.clipPercent(progress));
            } else if (hasBits) {
                return effective;
            }
            k.rowStandardize(latent, SimanSteps.STANDARDIZE_EPS, z, mean, invStd);
            kstar.kStarBits(z, encoding, effective, counts);
            hasBits = true;
            return effective;
        }

        @Override
        public void backward(Tensor latent, Tensor dEffective, Tensor dLatent) {
            // as SiMaN: the bits stand for |z|, whose gradient is sign(z), then back through the standardization
            k.mulSign(dEffective, z, g);
            backend.kernels(TrainingKernels.class).rowStandardizeBackward(z, invStd, g, dLatent);
        }

        @Override
        public Tensor frozenState() {
            return hasBits ? effective : null;
        }

        @Override
        public void restoreFrozenState(float[] values) {
            backend.write(effective, values);
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
            owned.forEach(Tensor::close);
            owned.clear();
        }
    }
}
