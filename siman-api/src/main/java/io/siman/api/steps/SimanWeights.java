package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.Encoding;
import io.siman.api.InferenceForm;
import io.siman.api.KernelShapes;
import io.siman.api.Kernels;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.TrainingKernels;
import io.siman.api.TrainingProgress;
import io.siman.api.WeightBinarization;

import java.util.ArrayList;
import java.util.List;

/**
 * SiMaN's weight binarization (docs/method.md section 1) with the rule that chooses the bits as a parameter, so a
 * SiMaN variant writes only that rule: per training step the latent weights are centred and clipped layer-wide
 * (written back), standardized per output channel, and the rule sets the bits from the standardized magnitudes; the
 * backward pass treats the bits as {@code |z|} and goes back through the standardization; the bits freeze in
 * evaluation. The {@code siman} binarizer uses {@link SimanSteps#topHalfBits}; the {@code siman-kstar} plugin its
 * angle-aligned counts.
 */
public final class SimanWeights implements WeightBinarization {
    /** Sets the effective weights ({@code 2B - 1} or {@code B}) from the standardized weights {@code z}, row by row. */
    public interface BitRule extends AutoCloseable {
        void bits(Tensor z, Encoding encoding, Tensor effective);

        /** Releases what the rule holds (none by default). */
        @Override
        default void close() {
        }
    }

    private final Backend backend;
    private final Kernels k;
    private final SimanSteps steps;
    private final BitRule rule;
    private final Encoding encoding;
    private final List<Tensor> owned = new ArrayList<>();
    private final Tensor z, mean, invStd, effective, g;
    private boolean hasBits;

    /** The state of one layer with weights {@code [Co, Ci, kh, kw]}; {@code rule} is closed with it. */
    public SimanWeights(Backend backend, Shape weightShape, Encoding encoding, BitRule rule) {
        int co = KernelShapes.binarizedWeights(weightShape);
        this.backend = backend;
        this.k = backend.kernels();
        this.steps = SimanSteps.of(backend);
        this.rule = rule;
        this.encoding = encoding;
        this.z = own(backend.allocate(weightShape));
        this.mean = own(backend.allocate(Shape.of(co)));
        this.invStd = own(backend.allocate(Shape.of(co)));
        this.effective = own(backend.allocate(weightShape));
        this.g = own(backend.allocate(weightShape));
    }

    private Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    @Override
    public Tensor forward(Tensor latent, TrainingProgress progress) {
        if (progress.training()) {
            steps.simanClip(latent, SimanSteps.clipPercent(progress));
        } else if (hasBits) {
            return effective;
        }
        k.rowStandardize(latent, SimanSteps.STANDARDIZE_EPS, z, mean, invStd);
        rule.bits(z, encoding, effective);
        hasBits = true;
        return effective;
    }

    @Override
    public void backward(Tensor latent, Tensor dEffective, Tensor dLatent) {
        // the bits stand for |z|, whose gradient is sign(z), then back through the standardization
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
        rule.close();
    }
}
