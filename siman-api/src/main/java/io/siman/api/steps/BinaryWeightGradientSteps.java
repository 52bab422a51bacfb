package io.siman.api.steps;

import io.siman.api.Backend;
import io.siman.api.BitwiseKernels;
import io.siman.api.ConvGeometry;
import io.siman.api.Tensor;

/**
 * The weight gradient of a binarized convolution layer whose training forward pass ran bitwise (docs/method.md
 * section 4): the forward pass has already packed the layer's binary activations, and a backend may read those bits
 * instead of recomputing the signs from the float input. A step family: {@link #of} gives the backend's own version
 * when its kernels implement this interface (the CPU backend lays each sample's bits out as ±1 vectors, with no
 * float input read and no comparison or transpose per value), else the portable default, written once:
 * {@link BinaryActivationSteps#binaryConv2dBackwardWeights}, which ignores the bits.
 */
public interface BinaryWeightGradientSteps {

    /**
     * {@link BinaryActivationSteps#binaryConv2dBackwardWeights}{@code (g, x, threshold, dy, dw)}, where {@code xBits}
     * ({@code g.packedInputShape()}, INT64) holds {@link BitwiseKernels#packActivations}{@code (x, threshold)} of
     * the same {@code x} and {@code threshold}: the same floats.
     */
    void binaryConv2dBackwardWeightsFromBits(ConvGeometry g, Tensor x, Tensor threshold, Tensor xBits, Tensor dy, Tensor dw);

    /** The steps of {@code backend}: its own when it implements them, else {@link #portable}. */
    static BinaryWeightGradientSteps of(Backend backend) {
        return Steps.of(backend, BinaryWeightGradientSteps.class, PortableBinaryWeightGradientSteps::new);
    }

    /** The portable default on the other step families of {@code backend} (for tests and for backends that lack their own). */
    static BinaryWeightGradientSteps portable(Backend backend) {
        return new PortableBinaryWeightGradientSteps(backend);
    }
}
