package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.ConvGeometry;
import io.siman.api.Tensor;

/**
 * The input gradient of a binarized convolution layer in one step (docs/method.md sections 2 and 4): through the
 * convolution to its binarized activations, then through their binarization to the layer's float input. A step
 * family: {@link #of} gives the backend's own version when its kernels implement this interface (the CPU backend
 * hands the activations' gradient over sample by sample while it is in cache, instead of writing a float plane of it
 * to memory and reading it back), else the portable default, written once: {@link BinaryWeightSteps#binaryConv2dBackwardData},
 * then {@link BinaryActivationSteps#binaryActivationBackward} or {@link ResidualTrainingSteps#binaryActivationBackwardAdd},
 * through a temporary.
 */
public interface BinaryInputGradientSteps {

    /**
     * {@code dx = binaryActivationBackward(x, mean, invStd, binaryConv2dBackwardData(g, dy, w))}, plus {@code addend}
     * unless it is null: the same floats as those steps one after the other. {@code x}, {@code addend} and {@code dx}
     * have {@code g}'s input shape, {@code mean} and {@code invStd} one value per sample; {@code dx} may not alias
     * {@code x}, {@code dy} or {@code addend}.
     */
    void binaryConv2dInputGradient(ConvGeometry g, Tensor dy, Tensor w, Tensor x, Tensor mean, Tensor invStd, Tensor addend, Tensor dx);

    /** The steps of {@code backend}: its own when it implements them, else {@link #portable}. */
    static BinaryInputGradientSteps of(Backend backend) {
        return Steps.of(backend, BinaryInputGradientSteps.class, PortableBinaryInputGradientSteps::new);
    }

    /** The portable default on the other step families of {@code backend} (for tests and for backends that lack their own). */
    static BinaryInputGradientSteps portable(Backend backend) {
        return new PortableBinaryInputGradientSteps(backend);
    }
}
