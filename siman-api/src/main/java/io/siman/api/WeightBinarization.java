package io.siman.api;

/**
 * One binarized layer's weight step, created by {@link Binarizer#create} for a weight shape
 * {@code [Co, Ci, kh, kw]}. It owns its buffers; {@link #close()} releases them.
 */
public interface WeightBinarization extends AutoCloseable {
    /**
     * The effective weights the convolution uses this step. In training it may rewrite the latent
     * weights (SiMaN's clip) and it records what {@link #backward} needs; in evaluation it returns the
     * weights recorded at the last training step (SiMaN freezes its bits), computing them from the
     * latent weights when there has been none. The returned tensor is owned by this object (or is
     * {@code latent} itself, for full precision); callers never close it.
     */
    Tensor forward(Tensor latent, TrainingProgress progress);

    /** {@code dLatent} from {@code dEffective} (straight-through), for the last training forward. */
    void backward(Tensor latent, Tensor dEffective, Tensor dLatent);

    /**
     * State that evaluation depends on beyond the latent weights (SiMaN's frozen effective weights), or
     * null when there is none yet or the binarizer keeps none. Saved in checkpoints.
     */
    default Tensor frozenState() {
        return null;
    }

    /** Restores what {@link #frozenState()} returned, from a checkpoint. */
    default void restoreFrozenState(float[] values) {
        throw new SimanException("binarizer keeps no frozen state to restore");
    }

    /** The packed form for bitwise inference, or null when weights stay full precision. */
    InferenceForm inferenceForm(Tensor latent);

    /**
     * The effective weights of the last {@link #forward} as bits and a per-channel scale, when they have that
     * form ({@code effective = scale[c] * s} with {@code s} in {@code {-1, +1}} or {@code {0, 1}}): layers then
     * run the training convolution with bit operations, which gives the same integer sums as the float
     * convolution. Null (the default) keeps the float convolution. The tensor is owned by this object.
     */
    default InferenceForm binaryForm() {
        return null;
    }

    @Override
    void close();
}
